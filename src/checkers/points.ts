// Points as the checkers see them: which columns of a read's rows are tags (learnt from
// the tag keys writes used and the table's declared tags), field values, timestamps.
// identities.ts turns a write's points and a read's rows into the same identity id.

import { formatTimestamp } from '../scenario/time.js';
import type { Operation } from './checker.js';

export const escMeasurement = (s: string) => (/[\\, ]/.test(s) ? s.replace(/[\\, ]/g, (c) => `\\${c}`) : s);
export const escKey = (s: string) => (/[\\,= ]/.test(s) ? s.replace(/[\\,= ]/g, (c) => `\\${c}`) : s);

export type FieldValue = number | string | boolean;

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
