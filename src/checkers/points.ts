// Points as the checkers see them: a write's points and a read's rows turned into the
// same identity key (database, table, tag set, time), so "was this acknowledged point
// read back?" is one map lookup. Tag columns are told from field columns by the tag
// keys writes used (and the table's declared tags).

import type { RecordedPoint } from '../engine/line-protocol.js';
import { formatTimestamp, parseTimestamp } from '../scenario/time.js';
import type { Operation } from './checker.js';

const escMeasurement = (s: string) => (/[\\, ]/.test(s) ? s.replace(/[\\, ]/g, (c) => `\\${c}`) : s);
const escKey = (s: string) => (/[\\,= ]/.test(s) ? s.replace(/[\\,= ]/g, (c) => `\\${c}`) : s);

export type FieldValue = number | string | boolean;

/** A point a write sent, with its identity key. */
export interface SentPoint {
  key: string;
  table: string;
  fields: Record<string, FieldValue>;
}

/** Identity key: database, series in line-protocol form, canonical RFC 3339 time. */
export function identityKey(db: string, series: string, time: string): string {
  return `${db}\u0000${series} at ${time}`;
}

/** `cpu,host=h3 at 2024-01-01T12:00:03Z` (the database stays out of messages). */
export function describeKey(key: string): string {
  return key.slice(key.indexOf('\u0000') + 1);
}

/** Which columns of a table's rows are tags, learnt from writes and declarations. */
export class TableTags {
  private readonly tables = new Map<string, { keys: Set<string>; sorted: string[] }>();

  learn(db: string, table: string, keys: Iterable<string>): void {
    let t = this.tables.get(`${db}.${table}`);
    if (!t) this.tables.set(`${db}.${table}`, t = { keys: new Set(), sorted: [] });
    let grew = false;
    for (const k of keys) if (!t.keys.has(k)) { t.keys.add(k); grew = true; }
    if (grew) t.sorted = [...t.keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  sorted(db: string, table: string): string[] {
    return this.tables.get(`${db}.${table}`)?.sorted ?? [];
  }
}

/** A write's point with its identity worked out: the same for every checker, so done once per operation. */
interface KeyedPoint { key: string; table: string; tagKeys: string[]; fields: Record<string, FieldValue>; line: number }

/** Each write's keyed points (undefined time: untimed), kept while the checkers look at it. */
const keyedCache = new WeakMap<object, Array<KeyedPoint | undefined>>();

function keyedPoints(db: string, raw: RecordedPoint[]): Array<KeyedPoint | undefined> {
  let out = keyedCache.get(raw);
  if (out) return out;
  out = raw.map((p) => {
    if (p.time === null || p.time === undefined) return undefined;
    const tagKeys = Object.keys(p.tags);
    let series = escMeasurement(p.table);
    for (const k of tagKeys.length > 1 ? [...tagKeys].sort() : tagKeys) series += `,${escKey(k)}=${escKey(p.tags[k]!)}`;
    return { key: identityKey(db, series, rfc3339(p.time)), table: p.table, tagKeys, fields: p.fields, line: p.line };
  });
  keyedCache.set(raw, out);
  return out;
}

/** The identified points of a write (with a time; the server picks the time of the others). */
export function sentPoints(o: Operation, tags: TableTags): { db: string; points: SentPoint[]; untimed: number; rejected: Set<number> } {
  const db = String(o.value.db ?? '');
  const raw = Array.isArray(o.value.points) ? (o.value.points as RecordedPoint[]) : [];
  const rejected = new Set(Array.isArray(o.result.rejected_lines) ? (o.result.rejected_lines as number[]) : []);
  const keyed = keyedPoints(db, raw);
  const points: SentPoint[] = [];
  let untimed = 0;
  for (let i = 0; i < raw.length; i++) {
    if (rejected.has(raw[i]!.line)) continue;
    const p = keyed[i];
    if (!p) { untimed++; continue; }
    if (p.tagKeys.length) tags.learn(db, p.table, p.tagKeys);
    points.push(p);
  }
  return { db, points, untimed, rejected };
}

/** The date part of recent timestamps: points of one run fall on few days. */
let dayCache = { day: NaN, text: '' };
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** formatTimestamp of a decimal ns string, without bigint arithmetic in the common case. */
export function rfc3339(ns: string): string {
  if (ns.length < 10 || ns.length > 19 || ns.startsWith('-')) return formatTimestamp(BigInt(ns));
  const secs = Number(ns.slice(0, -9));
  const day = Math.floor(secs / 86400);
  if (day !== dayCache.day) dayCache = { day, text: new Date(day * 86_400_000).toISOString().slice(0, 11) };
  const inDay = secs - day * 86400;
  const base = `${dayCache.text}${two(Math.floor(inDay / 3600))}:${two(Math.floor(inDay / 60) % 60)}:${two(inDay % 60)}`;
  const sub = ns.slice(-9);
  if (sub === '000000000') return `${base}Z`;
  return `${base}.${sub.replace(/0+$/, '')}Z`;
}

/** What a query read, when its rows are points of one table (the step recorded `read`). */
export interface ReadOf {
  db: string;
  table: string;
  /** Every point of the table must be in it (no WHERE, no LIMIT). */
  complete: boolean;
  local: boolean;
  /** The workload's final phase marked it final (docs/history.md, "Final reads"). */
  final: boolean;
  rows: Array<Record<string, unknown>>;
}

export function readOf(o: Operation, tags: TableTags): ReadOf | undefined {
  const read = o.value.read as { table?: unknown; complete?: unknown; tags?: unknown; final?: unknown } | undefined;
  if (o.f !== 'query' || o.type !== 'ok' || !read || typeof read.table !== 'string' || !Array.isArray(o.result.rows)) return undefined;
  const db = String(o.value.db ?? '');
  if (Array.isArray(read.tags)) tags.learn(db, read.table, read.tags.map(String));
  return { db, table: read.table, complete: read.complete === true && o.value.local !== true, local: o.value.local === true, final: read.final === true, rows: o.result.rows as Array<Record<string, unknown>> };
}

/**
 * The identity keys a row may have: as printed, then with its time made canonical (only
 * tried when the first misses, so the common case costs one string).
 */
export function rowKey(db: string, table: string, row: Record<string, unknown>, tagKeys: string[], canonical = false): string | undefined {
  let series = escMeasurement(table);
  for (const k of tagKeys) {
    const v = row[k];
    if (v !== null && v !== undefined && v !== '') series += `,${escKey(k)}=${escKey(String(v))}`;
  }
  const t = row.time;
  if (typeof t !== 'string') return undefined;
  if (!canonical) return identityKey(db, series, t);
  const ns = parseTimestamp(t);
  return ns === undefined ? undefined : identityKey(db, series, formatTimestamp(ns));
}

/** Looks a row up in a map of identities, trying the canonical time on a miss. */
export function lookupRow<V>(map: Map<string, V>, db: string, table: string, row: Record<string, unknown>, tagKeys: string[]): { key: string | undefined; value: V | undefined } {
  const k = rowKey(db, table, row, tagKeys);
  if (k !== undefined) {
    const v = map.get(k);
    if (v !== undefined) return { key: k, value: v };
  }
  const c = rowKey(db, table, row, tagKeys, true);
  return { key: c ?? k, value: c !== undefined ? map.get(c) : undefined };
}

/** Field values compared as the history prints them (big integers are decimal text). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  return String(a) === String(b);
}

/** A row's field columns: everything but time and the tags. */
export function rowFields(row: Record<string, unknown>, tagKeys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (k !== 'time' && !tagKeys.includes(k) && v !== null && v !== undefined) out[k] = v;
  return out;
}
