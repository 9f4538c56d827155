// Equality of one expected value with what the cluster returned. Times compare as
// instants ("2024-01-01T00:00:00" from a query equals "2024-01-01T00:00:00Z" from
// an anchor); numbers within a tolerance; a missing value equals null.

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
  if (typeof expected === 'number') {
    const n = typeof actual === 'number' ? actual : typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : NaN;
    if (Number.isNaN(n)) return false;
    return Math.abs(n - expected) <= (opts.tolerance ?? 0) || n === expected;
  }
  // CSV carries numbers as text, and "10" and "10.0" are the same float.
  if (typeof expected === 'string' && typeof actual === 'string' && isNumeric(expected) && isNumeric(actual)) {
    return Math.abs(Number(expected) - Number(actual)) <= (opts.tolerance ?? 0);
  }
  if (typeof expected === 'boolean' && typeof actual === 'string') return String(expected) === actual.toLowerCase();
  if (typeof expected === 'string' && typeof actual === 'number') return expected === String(actual);
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

function asInstant(v: unknown): bigint | undefined {
  if (typeof v === 'string') return parseTimestamp(v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
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
  return '{' + keys.map((k) => `${k}: ${JSON.stringify(normalizeTime(k, row[k]))}`).join(', ') + '}';
}

function normalizeTime(k: string, v: unknown): unknown {
  if (k !== 'time' || typeof v !== 'string') return v;
  const ns = parseTimestamp(v);
  if (ns === undefined) return v;
  return new Date(Number(ns / 1_000_000n)).toISOString().replace('.000Z', 'Z');
}
