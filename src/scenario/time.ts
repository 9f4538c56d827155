// Instants as nanoseconds since the Unix epoch (bigint), and the time expressions
// scenarios use: an RFC 3339 timestamp, an integer of nanoseconds, or an anchor
// name with offsets ("T1 + 1h", "T3 - 30s").

import { parseDurationNs } from './duration.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** The instants int64 nanoseconds can hold: what the cluster stores and what run can send. */
export const MIN_INSTANT_NS = -(2n ** 63n);
export const MAX_INSTANT_NS = 2n ** 63n - 1n;
const RANGE_TEXT = '1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z';

/** Why an instant cannot be used, or undefined when it is in int64 nanoseconds. */
export function instantProblem(ns: bigint): string | undefined {
  if (ns >= MIN_INSTANT_NS && ns <= MAX_INSTANT_NS) return undefined;
  return `time ${ns} ns is outside what int64 nanoseconds hold (${RANGE_TEXT})`;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): bigint {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return BigInt(era * 146097 + doe - 719468);
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/**
 * Reads an RFC 3339 timestamp (a missing zone means UTC, as query results print it):
 * its instant, an error for an impossible date or time (2024-13-45 is not rolled over
 * into 2025) or one outside int64 nanoseconds, or undefined when the text is not
 * shaped like a timestamp at all.
 */
export function readTimestamp(text: string): bigint | { error: string } | undefined {
  const m = RFC3339.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const [Y, M, D, H, Mi, S] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const bad = (what: string) => ({ error: `"${text.trim()}" is not a valid timestamp: ${what}` });
  if (M < 1 || M > 12) return bad(`month ${mo} is not 01-12`);
  if (D < 1 || D > daysInMonth(Y, M)) return bad(`day ${d} is not in ${y}-${mo} (01-${daysInMonth(Y, M)})`);
  if (H > 23) return bad(`hour ${h} is not 00-23`);
  if (Mi > 59) return bad(`minute ${mi} is not 00-59`);
  if (S > 59) return bad(`second ${s} is not 00-59`);
  let ns = (daysFromCivil(Y, M, D) * 86_400n + BigInt(H * 3600 + Mi * 60 + S)) * 1_000_000_000n + BigInt(frac.padEnd(9, '0') || '0');
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const [zh, zm] = [Number(digits.slice(0, 2)), Number(digits.slice(2))];
    if (zh > 23 || zm > 59) return bad(`zone offset ${zone} is not within ±23:59`);
    const sign = zone.startsWith('-') ? -1n : 1n;
    ns -= sign * BigInt(zh * 60 + zm) * 60_000_000_000n;
  }
  const range = instantProblem(ns);
  return range ? { error: `"${text.trim()}" is outside what int64 nanoseconds hold (${RANGE_TEXT})` } : ns;
}

/** Parses an RFC 3339 timestamp; undefined when it is not one (or not a possible one). */
export function parseTimestamp(text: string): bigint | undefined {
  const r = readTimestamp(text);
  return typeof r === 'bigint' ? r : undefined;
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
    if (!Number.isInteger(expr)) return { message: `time ${expr} is not an integer of nanoseconds` };
    if (!Number.isSafeInteger(expr)) return { message: `time ${expr} is beyond 2^53, where numbers lose digits: quote it to keep every digit` };
    return BigInt(expr);
  }
  const text = expr.trim();
  if (/^-?\d+$/.test(text)) {
    // Longer digit strings are out of range anyway (and slow to convert).
    const digits = text.replace(/^-?0*/, '');
    if (digits.length > 19) return { message: `time ${text.slice(0, 25)}${text.length > 25 ? '...' : ''} is outside what int64 nanoseconds hold (${RANGE_TEXT})` };
    const ns = BigInt(text);
    return instantProblem(ns) ? { message: instantProblem(ns)! } : ns;
  }
  const ts = readTimestamp(text);
  if (ts !== undefined) return typeof ts === 'bigint' ? ts : { message: ts.error };
  const head = /^([A-Za-z_][A-Za-z0-9_]*|\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|z|[+-]\d{2}:?\d{2})?)?)/.exec(text);
  if (!head) return { message: `"${text}" is not a time: use an RFC 3339 timestamp, nanoseconds, or an anchor like "T1 + 1h"` };
  const headTs = /^\d/.test(head[1]!) ? readTimestamp(head[1]!) : undefined;
  if (/^\d/.test(head[1]!) && headTs === undefined) return { message: `"${head[1]}" is not an RFC 3339 timestamp` };
  if (headTs !== undefined && typeof headTs !== 'bigint') return { message: headTs.error };
  let value = headTs ?? lookup(head[1]!);
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
  const problem = instantProblem(value);
  return problem ? { message: `"${text}": ${problem}` } : value;
}

export function isTimeError(v: bigint | TimeExprError): v is TimeExprError {
  return typeof v !== 'bigint';
}
