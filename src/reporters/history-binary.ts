// history.bin: the compact copy of history.jsonl, written beside it batch by batch, that
// `phantom-test check` reads instead of half a gigabyte of JSON (Jepsen keeps history.edn
// for people and its own binary format for loading: the same split). Repeated strings and
// series are defined once and referenced by id, a write's points are binary, and every
// batch ends with a SYNC naming how much of history.jsonl it matches. Layout:
// src/engine/history-bin-format.ts and docs/history.md. An entry this format cannot carry
// stops the copy there: the reader then reads the rest from history.jsonl.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { HistoryEntry } from '../engine/history.js';
import { BIN_MAGIC, BIN_VERSION, Field, HEADER_BYTES, NO_ID, OP_TYPES, Rec, SLOT_AT, Slot, TAIL_CHECK_BYTES, Val, fnv1a } from '../engine/history-bin-format.js';
import { historyJson } from './history-json.js';

/** Values whose JSON is shorter than this are defined once (`{"status":204}`): they repeat. */
const SHARED_MAX = 64;
/** Longer ones (a read's request: db, SQL, what it reads) are defined when they come a second time. */
const REPEATED_MAX = 1024;
/** Past this many defined values (values that do not repeat after all), the rest go inline. */
const SHARED_LIMIT = 10_000;
/** Strings kept for their ids, at most: past it the copy stops. */
const ID_LIMIT = 1 << 20;
/** Series kept for their ids (a key each in the runner's memory): past it a new series' write goes as JSON. */
const SERIES_LIMIT = 1 << 18;
const TYPE_CODE: Record<string, number> = Object.fromEntries(OP_TYPES.map((t, i) => [t, i]));
/** A write's point, in the order the runner records its keys (src/engine/line-protocol.ts). */
const POINT_KEYS = ['table', 'tags', 'time', 'fields', 'line'];
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

/** A value the binary form would not carry exactly: the entry goes as JSON, or the copy stops. */
class NotCarried extends Error {}

/** Text utf8 keeps as it is: a lone surrogate would come back as U+FFFD (JSON keeps it as an escape). */
function carried(s: string): string {
  // String.prototype.isWellFormed is in Node 20, not yet in the TypeScript lib this project targets.
  if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) throw new NotCarried();
  return s;
}

export class BinaryHistoryWriter {
  private fd: number | null;
  /** False once an entry could not be carried: the slot still names the jsonl, the bin covers what it has. */
  private copying = true;
  /** What the last SYNC written covers: the jsonl bytes and lines, and the check of their tail. */
  private covered = { bytes: 0, lines: 0, tailBytes: 0, tailHash: 0 };
  /** The batch not yet written: definitions and ops, in order. */
  private readonly batch = new Encoder();
  /** The op being encoded: definitions it needs go to the batch first. */
  private readonly op = new Encoder();
  private readonly strings = new Map<string, number>();
  private readonly series = new Map<string, number>();
  private readonly shared = new Map<string, number>();
  /** Longer values seen once, not yet defined. */
  private readonly seenOnce = new Set<string>();
  /** Bin bytes written: up to the end of the last SYNC. */
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
    if (this.fd === null || !this.copying) return;
    if (this.strings.size >= ID_LIMIT) { this.stop(); return; }
    try {
      this.encode(e, sidecar);
    } catch (err) {
      if (!(err instanceof NotCarried)) throw err;
      this.stop();
    }
  }

  private encode(e: HistoryEntry, sidecar?: SidecarRef): void {
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
    if (e.error === undefined) op.u8(0); else { op.u8(1); op.text(carried(e.error)); }
    const valueAt = op.pos;
    if (sidecar) {
      op.u8(Val.Sidecar); op.text(historyJson(sidecar.inline)); op.text(carried(sidecar.file));
    } else if (e.value === undefined) op.u8(Val.None);
    else if (!(e.type === 'invoke' && e.f === 'write' && this.writeOrJson(e.value))) {
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

  /** A write's points in binary, or false (it goes as JSON) when one is not carried exactly. */
  private writeOrJson(value: unknown): boolean {
    try { return this.write(value); } catch (err) {
      if (err instanceof NotCarried) return false;
      throw err;
    }
  }

  /** A write invoke's value with its points in binary; false when a point is not in the recorded shape. */
  private write(value: unknown): boolean {
    if (!isObject(value) || typeof value.db !== 'string' || !Array.isArray(value.points)) return false;
    const op = this.op;
    op.u8(Val.Write); op.u32(this.str(value.db)); op.u32(value.points.length);
    for (const p of value.points as unknown[]) {
      if (!isObject(p) || typeof p.table !== 'string' || !isObject(p.tags) || !isObject(p.fields) || !isId(p.line)) return false;
      // Restored in this key order: a point recorded in any other is kept as JSON.
      let keys = 0;
      for (const k in p) if (k !== POINT_KEYS[keys++]) return false;
      if (keys !== POINT_KEYS.length) return false;
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
        // The reader sets fields by key: `__proto__` would not become a field.
        if (k === '__proto__') return false;
        op.u32(this.str(k));
        if (typeof v === 'number') { if (!Number.isFinite(v)) return false; op.u8(Field.Number); op.f64(v + 0); }
        else if (typeof v === 'string') { op.u8(Field.String); op.text(carried(v)); }
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
    if (typeof body === 'string') { op.u8(1); op.text(carried(body)); } else op.u8(0);
    return true;
  }

  private str(s: string): number { return this.defined(this.strings, Rec.DefString, carried(s)); }

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
    // Each part length-prefixed: no table or tag text can make two series one key.
    let key = `${table.length}:${table}`;
    let n = 0;
    for (const k in tags) {
      const v = tags[k];
      if (typeof v !== 'string' || k === '__proto__') return undefined;
      key += `${k.length}:${k}${v.length}:${v}`;
      n++;
    }
    let id = this.series.get(key);
    if (id === undefined) {
      if (n > 0xffff || this.series.size >= SERIES_LIMIT) return undefined;
      carried(table);
      for (const k in tags) { carried(k); carried(tags[k] as string); }
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
   * brings history.jsonl to `jsonlBytes` bytes and `jsonlLines` lines, last modified at
   * `jsonlMtimeNs`. The slot is rewritten even after the copy stopped: it must name the
   * jsonl as it now is, or the reader would not trust the part the bin does cover.
   */
  flush(jsonl: Buffer, jsonlBytes: number, jsonlLines: number, jsonlMtimeNs: bigint): void {
    if (this.fd === null) return;
    const b = this.batch;
    try {
      if (this.copying) {
        const at = b.begin(Rec.Sync);
        b.f64(jsonlBytes); b.f64(jsonlLines);
        b.end(at);
        this.writeAll(b.buf, b.pos, this.written);
        this.written += b.pos;
        const tail = Math.min(TAIL_CHECK_BYTES, jsonl.length);
        this.covered = { bytes: jsonlBytes, lines: jsonlLines, tailBytes: tail, tailHash: fnv1a(jsonl, jsonl.length - tail, jsonl.length) };
      }
      const c = this.covered;
      const slot = Buffer.alloc(HEADER_BYTES - SLOT_AT);
      const o = (field: number) => field - SLOT_AT;
      slot.writeDoubleLE(this.written, o(Slot.binEnd)); slot.writeDoubleLE(c.bytes, o(Slot.coveredBytes)); slot.writeDoubleLE(c.lines, o(Slot.coveredLines));
      slot.writeUInt32LE(c.tailBytes, o(Slot.tailBytes)); slot.writeUInt32LE(c.tailHash, o(Slot.tailHash));
      slot.writeDoubleLE(jsonlBytes, o(Slot.jsonlSize)); slot.writeBigUInt64LE(jsonlMtimeNs, o(Slot.jsonlMtimeNs));
      // After the batch: a kill between the two writes leaves the slot naming the previous
      // SYNC and the previous jsonl, which no longer matches: the reader takes the jsonl.
      this.writeAll(slot, slot.length, SLOT_AT);
    } catch {
      // Disk full, say: the slot names an older jsonl, so the reader will not use the bin.
      this.close();
    }
    b.pos = 0;
  }

  /** Writes all of buf[0, n) at `at`; a short write (disk full) throws. */
  private writeAll(buf: Buffer, n: number, at: number): void {
    if (writeSync(this.fd!, buf, 0, n, at) !== n) throw new Error('short write');
  }

  /** Copies nothing more (an entry the format cannot carry): what is written stays valid. */
  stop(): void {
    this.copying = false;
    this.batch.pos = 0;
  }

  /** The run's history is complete. */
  close(): void {
    if (this.fd !== null) { try { closeSync(this.fd); } catch { /* already gone */ } this.fd = null; }
  }
}

function isId(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < NO_ID;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
