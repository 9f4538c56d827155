// history.bin: the compact copy of history.jsonl, written beside it batch by batch, that
// `phantom-test check` reads instead of half a gigabyte of JSON (Jepsen keeps history.edn
// for people and its own binary format for loading: the same split). Repeated strings and
// series are defined once and referenced by id, a write's points are binary, and every
// batch ends with a SYNC naming how much of history.jsonl it matches. Layout:
// src/engine/history-bin-format.ts and docs/history.md. An entry this format cannot carry
// stops the copy there: the reader then reads the rest from history.jsonl.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { HistoryEntry } from '../engine/history.js';
import { BIN_MAGIC, BIN_VERSION, Field, HEADER_BYTES, NO_ID, OP_TYPES, Rec, SLOT_AT, TAIL_CHECK_BYTES, Val, fnv1a } from '../engine/history-bin-format.js';
import { historyJson } from './history-json.js';

/** Values whose JSON is shorter than this are defined once (`{"status":204}`): they repeat. */
const SHARED_MAX = 64;
/** Longer ones (a read's request: db, SQL, what it reads) are defined when they come a second time. */
const REPEATED_MAX = 1024;
/** Past this many defined values (values that do not repeat after all), the rest go inline. */
const SHARED_LIMIT = 10_000;
/** Series (and strings) kept for their ids, at most: past it a new series' write goes as JSON, and past as many strings the copy stops. */
const ID_LIMIT = 1 << 20;
const TYPE_CODE: Record<string, number> = Object.fromEntries(OP_TYPES.map((t, i) => [t, i]));
/** A point's time in the form secs + nanos carries exactly: 10-19 digits, no leading zero. */
const PLAIN_TIME = /^[1-9]\d{9,18}$/;

/** Bytes appended to a growing buffer. */
class Encoder {
  buf = Buffer.allocUnsafe(1 << 16);
  pos = 0;

  private room(n: number) {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  u8(n: number) { this.room(1); this.buf[this.pos++] = n; }
  u16(n: number) { this.room(2); this.buf.writeUInt16LE(n, this.pos); this.pos += 2; }
  u32(n: number) { this.room(4); this.buf.writeUInt32LE(n, this.pos); this.pos += 4; }
  f64(n: number) { this.room(8); this.buf.writeDoubleLE(n, this.pos); this.pos += 8; }
  /** u32 byte length, then the utf8 bytes. */
  text(s: string) {
    this.room(4 + s.length * 3);
    const n = this.buf.write(s, this.pos + 4, 'utf8');
    this.buf.writeUInt32LE(n, this.pos);
    this.pos += 4 + n;
  }
  bytes(b: Buffer, from: number, to: number) { this.room(to - from); b.copy(this.buf, this.pos, from, to); this.pos += to - from; }
  /** Starts a record; `end(at)` fills in its body length. */
  begin(kind: number): number { this.u8(kind); this.u32(0); return this.pos; }
  end(at: number) { this.buf.writeUInt32LE(this.pos - at, at - 4); }
}

/** A sidecar the jsonl line refers to: its value's inline part and the file. */
export interface SidecarRef { inline: Record<string, unknown>; file: string }

export class BinaryHistoryWriter {
  private fd: number | null;
  /** The batch not yet written: definitions and ops, in order. */
  private readonly batch = new Encoder();
  /** The op being encoded: definitions it needs go to the batch first. */
  private readonly op = new Encoder();
  private readonly strings = new Map<string, number>();
  private readonly series = new Map<string, number>();
  private readonly shared = new Map<string, number>();
  /** Longer values seen once, not yet defined. */
  private readonly seenOnce = new Set<string>();
  private written = HEADER_BYTES;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    const header = Buffer.alloc(HEADER_BYTES);
    BIN_MAGIC.copy(header, 0);
    header.writeUInt16LE(BIN_VERSION, BIN_MAGIC.length);
    writeSync(this.fd, header, 0, HEADER_BYTES, 0);
  }

  /** Appends one entry (one jsonl line) to the batch. */
  add(e: HistoryEntry, sidecar?: SidecarRef): void {
    if (this.fd === null) return;
    if (this.strings.size >= ID_LIMIT) { this.stop(); return; }
    const type = TYPE_CODE[e.type];
    if (type === undefined || !isId(e.index) || !isId(e.invoke_index) || !Number.isFinite(e.time_ms) || typeof e.scenario !== 'string'
      || typeof e.f !== 'string' || typeof e.step !== 'string' || (e.node !== null && typeof e.node !== 'string') || (e.error !== undefined && typeof e.error !== 'string')) {
      // Not an entry this version carries: the copy stops; the reader takes the rest from history.jsonl.
      this.stop();
      return;
    }
    const op = this.op;
    op.pos = 0;
    op.u8(type); op.u32(e.index); op.u32(e.invoke_index);
    op.u32(this.str(e.scenario)); op.u32(this.str(e.f)); op.u32(e.node === null ? NO_ID : this.str(e.node)); op.u32(this.str(e.step));
    op.f64(e.time_ms);
    if (e.error === undefined) op.u8(0); else { op.u8(1); op.text(e.error); }
    const valueAt = op.pos;
    if (sidecar) {
      op.u8(Val.Sidecar); op.text(historyJson(sidecar.inline)); op.text(sidecar.file);
    } else if (e.value === undefined) op.u8(Val.None);
    else if (!(e.type === 'invoke' && e.f === 'write' && this.write(e.value))) {
      op.pos = valueAt;
      const json = historyJson(e.value);
      if (json === undefined) op.u8(Val.None);
      else if (this.shares(json)) { op.u8(Val.Shared); op.u32(this.sharedValue(json)); }
      else { op.u8(Val.Json); op.text(json); }
    }
    const b = this.batch;
    const at = b.begin(Rec.Op);
    b.bytes(op.buf, 0, op.pos);
    b.end(at);
  }

  /** A write invoke's value with its points in binary; false when a point is not in the recorded shape. */
  private write(value: unknown): boolean {
    if (!isObject(value) || typeof value.db !== 'string' || !Array.isArray(value.points)) return false;
    const op = this.op;
    op.u8(Val.Write); op.u32(this.str(value.db)); op.u32(value.points.length);
    for (const p of value.points as unknown[]) {
      if (!isObject(p) || typeof p.table !== 'string' || !isObject(p.tags) || !isObject(p.fields) || !isId(p.line)) return false;
      let keys = 0;
      for (const _ in p) keys++;
      if (keys !== 5 || !('time' in p)) return false;
      const series = this.seriesOf(p.table, p.tags);
      if (series === undefined) return false;
      op.u32(series);
      if (p.time === null) { op.f64(NaN); op.u32(0); } else {
        if (typeof p.time !== 'string' || !PLAIN_TIME.test(p.time)) return false;
        op.f64(Number(p.time.slice(0, -9))); op.u32(Number(p.time.slice(-9)));
      }
      op.u32(p.line);
      const fieldsAt = op.pos;
      op.u16(0);
      let n = 0;
      for (const k in p.fields) {
        const v = p.fields[k];
        op.u32(this.str(k));
        if (typeof v === 'number') { if (!Number.isFinite(v)) return false; op.u8(Field.Number); op.f64(v + 0); }
        else if (typeof v === 'string') { op.u8(Field.String); op.text(v); }
        else if (typeof v === 'boolean') op.u8(v ? Field.True : Field.False);
        else if (typeof v === 'bigint') { op.u8(Field.BigInt); op.text(v.toString()); }
        else return false;
        n++;
      }
      if (n > 0xffff) return false;
      op.buf.writeUInt16LE(n, fieldsAt);
    }
    // The rest of the value, with the places of points and body kept (the reader restores
    // the key order): the same few texts on every write of a workload, so defined once.
    const body = value.body;
    const template = historyJson(typeof body === 'string' ? { ...value, body: 0, points: 0 } : { ...value, points: 0 });
    if (this.shared.has(template) || this.shared.size < SHARED_LIMIT) { op.u8(Val.Shared); op.u32(this.sharedValue(template)); }
    else { op.u8(Val.Json); op.text(template); }
    if (typeof body === 'string') { op.u8(1); op.text(body); } else op.u8(0);
    return true;
  }

  private str(s: string): number { return this.defined(this.strings, Rec.DefString, s); }

  /** The id of `text` in `ids`; the first time, a definition record (`kind`) goes to the batch. */
  private defined(ids: Map<string, number>, kind: number, text: string): number {
    let id = ids.get(text);
    if (id === undefined) {
      ids.set(text, id = ids.size);
      const at = this.batch.begin(kind);
      this.batch.text(text);
      this.batch.end(at);
    }
    return id;
  }

  /** The id of a table and tag set (in recorded order); undefined when a tag value is not text. */
  private seriesOf(table: string, tags: Record<string, unknown>): number | undefined {
    let key = table;
    let n = 0;
    for (const k in tags) {
      const v = tags[k];
      if (typeof v !== 'string') return undefined;
      key += `\u0000${k}\u0000${v}`;
      n++;
    }
    let id = this.series.get(key);
    if (id === undefined) {
      if (n > 0xffff || this.series.size >= ID_LIMIT) return undefined;
      this.series.set(key, id = this.series.size);
      const b = this.batch;
      const at = b.begin(Rec.DefSeries);
      b.text(table); b.u16(n);
      for (const k in tags) { b.text(k); b.text(tags[k] as string); }
      b.end(at);
    }
    return id;
  }

  /** Whether a value is defined once and referenced: short ones always, longer ones from their second time. */
  private shares(json: string): boolean {
    if (this.shared.has(json)) return true;
    if (this.shared.size >= SHARED_LIMIT || json.length >= REPEATED_MAX) return false;
    if (json.length < SHARED_MAX) return true;
    if (this.seenOnce.has(json)) { this.seenOnce.delete(json); return true; }
    // Bounded: values that never repeat (a read's rows) are forgotten.
    if (this.seenOnce.size >= SHARED_LIMIT) this.seenOnce.clear();
    this.seenOnce.add(json);
    return false;
  }

  private sharedValue(json: string): number { return this.defined(this.shared, Rec.DefValue, json); }

  /**
   * Ends the batch after its jsonl lines were appended: `jsonl` is that append, which
   * brings history.jsonl to `jsonlBytes` bytes and `jsonlLines` lines.
   */
  flush(jsonl: Buffer, jsonlBytes: number, jsonlLines: number): void {
    if (this.fd === null) return;
    const b = this.batch;
    const at = b.begin(Rec.Sync);
    b.f64(jsonlBytes); b.f64(jsonlLines);
    b.end(at);
    const tail = Math.min(TAIL_CHECK_BYTES, jsonl.length);
    const slot = Buffer.allocUnsafe(HEADER_BYTES - SLOT_AT);
    try {
      writeSync(this.fd, b.buf, 0, b.pos, this.written);
      this.written += b.pos;
      slot.writeDoubleLE(this.written, 0); slot.writeDoubleLE(jsonlBytes, 8); slot.writeDoubleLE(jsonlLines, 16);
      slot.writeUInt32LE(tail, 24); slot.writeUInt32LE(fnv1a(jsonl, jsonl.length - tail, jsonl.length), 28);
      // After the batch: a kill between the two writes leaves the slot naming the previous SYNC.
      writeSync(this.fd, slot, 0, slot.length, SLOT_AT);
    } catch {
      this.stop();
    }
    b.pos = 0;
  }

  /** No more batches: what is written stays valid up to its last SYNC. */
  stop(): void {
    if (this.fd !== null) { try { closeSync(this.fd); } catch { /* already gone */ } this.fd = null; }
  }
}

function isId(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < NO_ID;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
