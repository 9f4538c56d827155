// The points of a write read straight from its history line's bytes: a million writes
// then cost no JSON.parse of their values and no object per tag set. Each point is
// `{"table":..,"tags":{..},"time":..,"fields":{..},"line":..}` in that order (how the
// runner records them, src/engine/line-protocol.ts); a write in any other shape, or
// with escapes in its table or tags, is left to JSON.parse (undefined here).

import { ByteCache } from './byte-cache.js';
import { BACKSLASH, ByteCursor, QUOTE } from './byte-cursor.js';
import { escKey, escMeasurement, type FieldValue } from './points.js';

/** A table and tag set, as the identity of a series needs it. */
export interface SeriesShape {
  table: string;
  tagKeys: string[];
  series: string;
  /**
   * The series id the last check session gave it in a database (identities.ts): found on the
   * shape, not through a map, for each of a million points. A session checks it is its own.
   */
  memo?: { owner: object; db: string; id: number };
}

/** A point of a scanned write: time as whole seconds and nanoseconds (NaN: no time). */
export interface ScannedPoint { shape: SeriesShape; secs: number; nanos: number; fields: Record<string, FieldValue>; line: number }

export interface ScannedWrite { db: string; points: ScannedPoint[] }

const COMMA = 0x2c, COLON = 0x3a;
const lit = (s: string) => Buffer.from(s, 'latin1');
const TABLE = lit('{"table":"');
const TAGS = lit(',"tags":{');
const TIME = lit(',"time":');
const FIELDS = lit(',"fields":');
const LINE = lit(',"line":');
const NULL = lit('null');

/** The series shape of `"table":"cpu","tags":{"host":"h3"}`, from its bytes. */
function shapeOf(buf: Buffer, from: number, to: number): SeriesShape {
  const { table, tags } = JSON.parse(`{${buf.toString('utf8', from, to)}}`) as { table: string; tags: Record<string, string> };
  const tagKeys = Object.keys(tags).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let series = escMeasurement(table);
  for (const k of tagKeys) series += `,${escKey(k)}=${escKey(tags[k]!)}`;
  return { table, tagKeys, series };
}

export class WriteScanner extends ByteCursor {
  /**
   * One shape per tag set, not per point, however many tag sets there are: identities.ts
   * keys series ids by shape object, so a shape made afresh per point (a capped cache)
   * would grow that map by one entry per point. Kept: as many as the series it keeps anyway.
   */
  private readonly shapes = new ByteCache<SeriesShape>(shapeOf, Infinity);
  private readonly dbs = new Map<string, string>();


  /** Moves the cursor past one JSON value (strings with escapes, nested objects and arrays). */
  private skip(): boolean {
    const { buf, to } = this;
    let p = this.p, depth = 0;
    for (; p < to; p++) {
      const c = buf[p]!;
      if (c === QUOTE) {
        for (p++; p < to && buf[p] !== QUOTE; p++) if (buf[p] === BACKSLASH) p++;
        if (depth === 0) { this.p = p + 1; return true; }
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) { this.p = p; return true; }
        if (--depth === 0) { this.p = p + 1; return true; }
      } else if (c === COMMA && depth === 0) { this.p = p; return true; }
    }
    this.p = p;
    return depth === 0;
  }

  /** The db and points of the write value at buf[from, to), or undefined (read it with JSON.parse). */
  scan(buf: Buffer, from: number, to: number): ScannedWrite | undefined {
    this.buf = buf; this.p = from; this.to = to;
    if (buf[this.p++] !== 0x7b) return undefined;
    let db: string | undefined;
    let points: ScannedPoint[] | undefined;
    while (this.p < to) {
      if (buf[this.p] !== QUOTE) return undefined;
      this.p++;
      const keyEnd = this.stringEnd();
      if (keyEnd < 0 || buf[keyEnd + 1] !== COLON) return undefined;
      const key = buf.toString('latin1', this.p, keyEnd);
      this.p = keyEnd + 2;
      if (key === 'db') {
        if (buf[this.p] !== QUOTE) return undefined;
        this.p++;
        const e = this.stringEnd();
        if (e < 0) return undefined;
        const text = buf.toString('utf8', this.p, e);
        db = this.dbs.get(text) ?? (this.dbs.set(text, text), text);
        this.p = e + 1;
      } else if (key === 'points') {
        if (buf[this.p++] !== 0x5b) return undefined;
        points = [];
        while (buf[this.p] !== 0x5d) {
          const start = this.p;
          if (!this.expect(TABLE)) return undefined;
          let e = this.stringEnd();
          if (e < 0) return undefined;
          this.p = e + 1;
          if (!this.expect(TAGS)) return undefined;
          while (buf[this.p] !== 0x7d) {
            if (buf[this.p] !== QUOTE) return undefined;
            this.p++;
            e = this.stringEnd();
            if (e < 0 || buf[e + 1] !== COLON || buf[e + 2] !== QUOTE) return undefined;
            this.p = e + 3;
            e = this.stringEnd();
            if (e < 0) return undefined;
            this.p = e + 1;
            if (buf[this.p] === COMMA) this.p++;
          }
          this.p++;
          const shape = this.shapes.get(buf, start + 1, this.p)!;
          if (!this.expect(TIME)) return undefined;
          let secs = NaN, nanos = 0;
          if (!this.expect(NULL)) {
            if (buf[this.p++] !== QUOTE) return undefined;
            e = this.stringEnd();
            const digits = e - this.p;
            if (e < 0 || digits < 10 || digits > 19) return undefined;
            secs = 0;
            for (let i = this.p; i < e; i++) {
              const d = buf[i]! - 48;
              if (d < 0 || d > 9) return undefined;
              if (i < e - 9) secs = secs * 10 + d; else nanos = nanos * 10 + d;
            }
            this.p = e + 1;
          }
          if (!this.expect(FIELDS)) return undefined;
          const fieldsFrom = this.p;
          if (buf[this.p] !== 0x7b || !this.skip()) return undefined;
          const fields = JSON.parse(buf.toString('utf8', fieldsFrom, this.p)) as Record<string, FieldValue>;
          if (!this.expect(LINE)) return undefined;
          let line = 0;
          for (; buf[this.p]! >= 48 && buf[this.p]! <= 57; this.p++) line = line * 10 + buf[this.p]! - 48;
          if (buf[this.p++] !== 0x7d) return undefined;
          points.push({ shape, secs, nanos, fields, line });
          if (buf[this.p] === COMMA) this.p++;
          else if (buf[this.p] !== 0x5d) return undefined;
        }
        this.p++;
      } else if (!this.skip()) return undefined;
      if (buf[this.p] === COMMA) { this.p++; continue; }
      if (buf[this.p] === 0x7d) break;
      return undefined;
    }
    return db !== undefined && points ? { db, points } : undefined;
  }
}
