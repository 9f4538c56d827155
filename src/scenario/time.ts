// Instants as nanoseconds since the Unix epoch (bigint), and the time expressions
// scenarios use: an RFC 3339 timestamp, an integer of nanoseconds, or an anchor
// name with offsets ("T1 + 1h", "T3 - 30s").

import { parseDurationNs } from './duration.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Parses an RFC 3339 timestamp (a missing zone means UTC, as query results print it). */
export function parseTimestamp(text: string): bigint | undefined {
  const m = RFC3339.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  let ns = BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0') || '0');
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    const offsetMin = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
    ns -= sign * offsetMin * 60_000_000_000n;
  }
  return ns;
}

/** RFC 3339 in UTC with only as many fraction digits as needed. */
export function formatTimestamp(ns: bigint): string {
  const ms = ns / 1_000_000n;
  let sub = ns % 1_000_000_000n;
  let msFloor = ms;
  if (sub < 0n) { sub += 1_000_000_000n; }
  if (ns < 0n && ns % 1_000_000n !== 0n) msFloor -= 1n;
  const base = new Date(Number(msFloor)).toISOString().slice(0, 19);
  if (sub === 0n) return `${base}Z`;
  const frac = sub.toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}.${frac}Z`;
}

export type AnchorLookup = (name: string) => bigint | undefined;

export interface TimeExprError { message: string }

const TERM = /^\s*([+-])\s*([0-9][0-9a-z.]*)\s*/;

/**
 * Evaluates a time expression. Anchors are looked up through `lookup`; an unknown
 * anchor or a bad duration comes back as an error message rather than an exception.
 */
export function evalTimeExpr(expr: string | number, lookup: AnchorLookup): bigint | TimeExprError {
  if (typeof expr === 'number') {
    if (!Number.isSafeInteger(expr)) return { message: `time ${expr} is not an integer of nanoseconds` };
    return BigInt(expr);
  }
  const text = expr.trim();
  if (/^-?\d+$/.test(text)) return BigInt(text);
  const ts = parseTimestamp(text);
  if (ts !== undefined) return ts;
  const head = /^([A-Za-z_][A-Za-z0-9_]*|\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)/.exec(text);
  if (!head) return { message: `"${text}" is not a time: use an RFC 3339 timestamp, nanoseconds, or an anchor like "T1 + 1h"` };
  let value = parseTimestamp(head[1]!) ?? lookup(head[1]!);
  if (value === undefined) return { message: `unknown anchor "${head[1]}"` };
  let rest = text.slice(head[0].length);
  while (rest.trim() !== '') {
    const m = TERM.exec(rest);
    if (!m) return { message: `cannot read "${rest.trim()}" in time expression "${text}"` };
    const d = parseDurationNs(m[2]!);
    if (d === undefined) return { message: `"${m[2]}" is not a duration (try 500ms, 10s, 1h30m, 1d)` };
    value = m[1] === '+' ? value + d : value - d;
    rest = rest.slice(m[0].length);
  }
  return value;
}

export function isTimeError(v: bigint | TimeExprError): v is TimeExprError {
  return typeof v !== 'bigint';
}
