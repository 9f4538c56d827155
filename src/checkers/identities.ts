// The points of one scenario's history as small integers: every identity (database,
// series, time) a write sent or a read returned gets an id once per check session, and
// every checker keys its state by that id. A write's points and a read's rows are
// resolved once per operation for all checkers, so a million-point history costs a few
// bytes per point (identity-table.ts), not a string key and a map entry per checker.

import type { RecordedPoint } from '../engine/line-protocol.js';
import { parseTimestamp } from '../scenario/time.js';
import type { Operation } from './checker.js';
import { IdentityTable } from './identity-table.js';
import { RowSeries } from './row-series.js';
import type { ScannedWrite, SeriesShape } from './write-scan.js';
import { TableTags, escKey, escMeasurement, readOf, rfc3339, type FieldValue, type ReadOf } from './points.js';

/** A point a write sent, with its identity id. */
export interface SentPoint { id: number; table: string; fields: Record<string, FieldValue> }

/** A write's identified points (not rejected, with a time). */
export interface SentIds { db: string; points: SentPoint[]; untimed: number }

/** A read of whole points, each row with its identity id (-1: the row has no time). */
export interface ReadIds extends ReadOf { ids: Int32Array; tagKeys: string[] }

export class Identities {
  private readonly table = new IdentityTable();
  /** `db \0 series` (line-protocol form) -> series id. */
  private readonly seriesIds = new Map<string, number>();
  private readonly seriesKeys: string[] = [];
  /** Series ids of scanned series shapes (one shape per tag set), per database. */
  private readonly shapeIds = new Map<SeriesShape, { db: string; id: number }>();
  /** Rows whose time could not be read: their printed key -> id (such a point is never written). */
  private readonly oddIds = new Map<string, number>();
  private readonly oddTimes = new Map<number, string>();
  /** Tag columns per table, learnt from every write and read declaration. */
  readonly tags = new TableTags();
  /** The operation sent() and read() answered last, and their answers: asked again by the next checker. */
  private lastSentOp: Operation | undefined;
  private lastSentIds: SentIds | undefined;
  private lastReadOp: Operation | undefined;
  private lastReadIds: ReadIds | undefined;
  /** Per database and table: read rows' series ids by their tag values. */
  private readonly rowSeries = new Map<string, RowSeries>();

  get size(): number { return this.table.size; }

  /** `cpu,host=h3 at 2024-01-01T12:00:03Z`: how messages name a point (the database stays out). */
  describe(id: number): string {
    const key = this.seriesKeys[this.table.seriesOf(id)]!;
    const series = key.slice(key.indexOf('\u0000') + 1);
    const odd = this.oddTimes.get(id);
    if (odd !== undefined) return `${series} at ${odd}`;
    const secs = this.table.secsOf(id);
    const nanos = this.table.nanosOf(id);
    const ns = secs >= 0 && secs < 1e10 ? `${secs}${String(nanos).padStart(9, '0')}` : (BigInt(secs) * 1_000_000_000n + BigInt(nanos)).toString();
    return `${series} at ${rfc3339(ns)}`;
  }

  private series(db: string, series: string): number {
    const k = `${db}\u0000${series}`;
    let id = this.seriesIds.get(k);
    if (id === undefined) { id = this.seriesKeys.length; this.seriesIds.set(k, id); this.seriesKeys.push(k); }
    return id;
  }

  /** The identified points of a write (the same answer for every checker of the session). */
  sent(o: Operation): SentIds {
    if (this.lastSentOp === o) return this.lastSentIds!;
    if (o.write) return this.remember(o, this.scanned(o.write, o));
    const db = String(o.value.db ?? '');
    const raw = Array.isArray(o.value.points) ? (o.value.points as RecordedPoint[]) : [];
    const rejected = Array.isArray(o.result.rejected_lines) ? new Set(o.result.rejected_lines as number[]) : null;
    const points: SentPoint[] = [];
    let untimed = 0;
    for (const p of raw) {
      if (rejected?.has(p.line)) continue;
      if (p.time === null || p.time === undefined) { untimed++; continue; }
      const tagKeys = Object.keys(p.tags);
      if (tagKeys.length > 1) tagKeys.sort();
      let series = escMeasurement(p.table);
      for (const k of tagKeys) series += `,${escKey(k)}=${escKey(p.tags[k]!)}`;
      if (tagKeys.length) this.tags.learn(db, p.table, tagKeys);
      const [secs, nanos] = splitNs(p.time);
      points.push({ id: this.table.intern(this.series(db, series), secs, nanos), table: p.table, fields: p.fields });
    }
    return this.remember(o, { db, points, untimed });
  }

  private remember(o: Operation, sent: SentIds): SentIds {
    this.lastSentOp = o;
    this.lastSentIds = sent;
    return sent;
  }

  /** The same from the points the line scanner read (write-scan.ts). */
  private scanned(w: ScannedWrite, o: Operation): SentIds {
    const rejected = Array.isArray(o.result.rejected_lines) ? new Set(o.result.rejected_lines as number[]) : null;
    const points: SentPoint[] = [];
    let untimed = 0;
    for (const p of w.points) {
      if (rejected?.has(p.line)) continue;
      if (Number.isNaN(p.secs)) { untimed++; continue; }
      const shape = p.shape;
      let memo = shape.memo;
      if (memo === undefined || memo.owner !== this || memo.db !== w.db) {
        let s = this.shapeIds.get(shape);
        if (s?.db !== w.db) {
          // A new tag set (in this database): its tag keys are learnt once, not per point.
          if (shape.tagKeys.length) this.tags.learn(w.db, shape.table, shape.tagKeys);
          this.shapeIds.set(shape, s = { db: w.db, id: this.series(w.db, shape.series) });
        }
        shape.memo = memo = { owner: this, db: w.db, id: s.id };
      }
      points.push({ id: this.table.intern(memo.id, p.secs, p.nanos), table: shape.table, fields: p.fields });
    }
    return { db: w.db, points, untimed };
  }

  /** A read's rows as identity ids (a row no write sent gets one too: a later write may send it). */
  read(o: Operation): ReadIds | undefined {
    if (this.lastReadOp === o) return this.lastReadIds;
    const r = readOf(o, this.tags);
    let read: ReadIds | undefined;
    if (r) {
      const tagKeys = this.tags.sorted(r.db, r.table);
      const ids = new Int32Array(r.rows.length);
      const lookup = this.rowSeriesOf(r.db, r.table, tagKeys);
      for (let i = 0; i < r.rows.length; i++) {
        const row = r.rows[i]!;
        const t = row.time;
        if (typeof t !== 'string') { ids[i] = -1; continue; }
        const s = lookup.seriesOf(row);
        ids[i] = parseRowTime(t) ? this.table.intern(s, rowTime.secs, rowTime.nanos) : this.odd(s, t);
      }
      // Not `{ ...r }`: a spread is a slow path, and a history may hold many small reads.
      read = { db: r.db, table: r.table, complete: r.complete, local: r.local, final: r.final, rows: r.rows, ids, tagKeys };
    }
    this.lastReadOp = o;
    this.lastReadIds = read;
    return read;
  }

  /** The row-to-series lookup of a table as read with these tag columns. */
  private rowSeriesOf(db: string, table: string, tagKeys: string[]): RowSeries {
    const k = `${db}\u0000${table}`;
    let l = this.rowSeries.get(k);
    // Tag keys learnt since make a new list: the rows' series change with it.
    if (l?.tagKeys !== tagKeys) this.rowSeries.set(k, l = new RowSeries(tagKeys, escMeasurement(table), (series) => this.series(db, series)));
    return l;
  }

  private odd(series: number, time: string): number {
    const k = `${series} ${time}`;
    let id = this.oddIds.get(k);
    if (id === undefined) { id = this.table.fresh(series); this.oddIds.set(k, id); this.oddTimes.set(id, time); }
    return id;
  }
}

const NS = 1_000_000_000n;

/** Decimal nanoseconds as [whole seconds, nanoseconds 0..999999999]. */
function splitNs(ns: string): [number, number] {
  const n = ns.length;
  if (n > 9 && n < 20 && ns.charCodeAt(0) !== 45 /* - */) return [Number(ns.slice(0, n - 9)), Number(ns.slice(n - 9))];
  return fromBig(BigInt(ns));
}

function fromBig(ns: bigint): [number, number] {
  let secs = ns / NS;
  let nanos = ns % NS;
  if (nanos < 0n) { nanos += NS; secs -= 1n; }
  return [Number(secs), Number(nanos)];
}

/** The date part of recent timestamps: the rows of one run fall on few days. */
let dayCache = { text: '', secs: 0 };

const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const two = (s: string, i: number) => { const a = digit(s, i), b = digit(s, i + 1); return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN; };

/** Where parseRowTime leaves a row's time (no tuple allocated per row). */
const rowTime = { secs: 0, nanos: 0 };

/** A row's time as [secs, nanos]: `2024-01-01T12:00:03.5Z` quickly, anything else through parseTimestamp. */
export function readRfc3339(t: string): [number, number] | undefined {
  return parseRowTime(t) ? [rowTime.secs, rowTime.nanos] : undefined;
}

/** readRfc3339 into rowTime; false when `t` is no time. */
function parseRowTime(t: string): boolean {
  const n = t.length;
  if (n >= 20 && t.charCodeAt(10) === 84 /* T */ && t.charCodeAt(n - 1) === 90 /* Z */ && t.charCodeAt(13) === 58 && t.charCodeAt(16) === 58) {
    if (dayCache.text.length !== 10 || !t.startsWith(dayCache.text)) {
      const day = t.slice(0, 10);
      const ms = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
      if (Number.isNaN(ms)) return slow(t);
      dayCache = { text: day, secs: ms / 1000 };
    }
    const hh = two(t, 11), mm = two(t, 14), ss = two(t, 17);
    if (!(hh < 24 && mm < 60 && ss < 60)) return slow(t);
    let nanos = 0;
    if (n > 20) {
      const digits = n - 21;
      if (t.charCodeAt(19) !== 46 /* . */ || digits < 1 || digits > 9) return slow(t);
      for (let i = 20; i < n - 1; i++) { const d = digit(t, i); if (d < 0 || d > 9) return slow(t); nanos = nanos * 10 + d; }
      for (let i = digits; i < 9; i++) nanos *= 10;
    } else if (t.charCodeAt(19) !== 90) return slow(t);
    rowTime.secs = dayCache.secs + hh * 3600 + mm * 60 + ss;
    rowTime.nanos = nanos;
    return true;
  }
  return slow(t);
}

function slow(t: string): boolean {
  const ns = parseTimestamp(t);
  if (ns === undefined) return false;
  [rowTime.secs, rowTime.nanos] = fromBig(ns);
  return true;
}
