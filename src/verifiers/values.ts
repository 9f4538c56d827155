// Equality of one expected value with what the cluster returned. Times compare as
// instants ("2024-01-01T00:00:00" from a query equals "2024-01-01T00:00:00Z" from
// an anchor); numbers within a tolerance; a missing value equals null.

import { stringify } from 'lossless-json';
import { parseTimestamp } from '../scenario/time.js';

export interface CompareOptions {
  tolerance?: number;
}

export function valuesEqual(expected: unknown, actual: unknown, column: string | undefined, opts: CompareOptions = {}): boolean {
  if (expected === undefined || expected === null) return actual === undefined || actual === null;
  if (actual === undefined || actual === null) return false;
  if (column === 'time' || column?.endsWith('_time')) {
    const a = asInstant(expected);
    const b = asInstant(actual);
    if (a !== undefined && b !== undefined) return a === b;
  }
  if (typeof expected === 'number' || typeof expected === 'bigint') {
    if (typeof actual === 'string' && !isNumeric(actual)) return false;
    return typeof actual === 'number' || typeof actual === 'bigint' || typeof actual === 'string' ? numbersEqual(expected, actual, opts.tolerance) : false;
  }
  // CSV carries numbers as text, and "10" and "10.0" are the same float.
  if (typeof expected === 'string' && typeof actual === 'string' && isNumeric(expected) && isNumeric(actual)) {
    return numbersEqual(expected, actual, opts.tolerance);
  }
  if (typeof expected === 'boolean' && typeof actual === 'string') return String(expected) === actual.toLowerCase();
  if (typeof expected === 'string' && (typeof actual === 'number' || typeof actual === 'bigint')) return expected === String(actual);
  if (typeof expected === 'object') {
    if (Array.isArray(expected)) {
      return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => valuesEqual(e, actual[i], undefined, opts));
    }
    if (typeof actual !== 'object' || Array.isArray(actual)) return false;
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual as object)]);
    return [...keys].every((k) => valuesEqual((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], k, opts));
  }
  return expected === actual;
}

const isNumeric = (s: string) => /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s.trim());

/**
 * Two numbers (number, bigint or numeric text). Integers compare exactly as bigint, so
 * int64 and uint64 values beyond 2^53 never pass by rounding to the same double; other
 * numbers compare as doubles, within the tolerance.
 */
function numbersEqual(a: number | bigint | string, b: number | bigint | string, tolerance = 0): boolean {
  const ai = exactInteger(a);
  const bi = exactInteger(b);
  if (ai !== undefined && bi !== undefined) {
    const d = ai > bi ? ai - bi : bi - ai;
    return d === 0n || Number(d) <= tolerance;
  }
  const an = Number(typeof a === 'string' ? a.trim() : a);
  const bn = Number(typeof b === 'string' ? b.trim() : b);
  if (Number.isNaN(an) || Number.isNaN(bn)) return false;
  return an === bn || Math.abs(an - bn) <= tolerance;
}

/** The exact integer a value denotes (a double's own exact value), or undefined. */
function exactInteger(v: number | bigint | string): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : undefined;
  const t = v.trim();
  return /^-?\d+$/.test(t) ? BigInt(t) : undefined;
}

function asInstant(v: unknown): bigint | undefined {
  if (typeof v === 'string') return parseTimestamp(v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'bigint') return v;
  return undefined;
}

/** Rows compare on the union of their columns (so a missing column equals null). */
export function rowsEqual(expected: Record<string, unknown>, actual: Record<string, unknown>, opts: CompareOptions = {}): boolean {
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  return [...keys].every((k) => valuesEqual(expected[k], actual[k], k, opts));
}

/** Only the expected row's columns must match. */
export function rowMatches(expected: Record<string, unknown>, actual: Record<string, unknown>, opts: CompareOptions = {}): boolean {
  return Object.keys(expected).every((k) => valuesEqual(expected[k], actual[k], k, opts));
}

/** A stable one-line form of a row for diffs: keys sorted, times normalized. */
export function showRow(row: Record<string, unknown>): string {
  const keys = Object.keys(row).filter((k) => row[k] !== null && row[k] !== undefined).sort();
  return '{' + keys.map((k) => `${k}: ${showValue(normalizeTime(k, row[k]))}`).join(', ') + '}';
}

/** JSON text of a value; a bigint as its digits (JSON.stringify throws on bigint). */
export function showValue(v: unknown): string {
  return stringify(v) ?? String(v);
}

function normalizeTime(k: string, v: unknown): unknown {
  if (k !== 'time' || typeof v !== 'string') return v;
  const ns = parseTimestamp(v);
  if (ns === undefined) return v;
  return new Date(Number(ns / 1_000_000n)).toISOString().replace('.000Z', 'Z');
}
