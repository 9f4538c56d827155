// Reads history.bin, the runner's compact copy of history.jsonl (src/reporters/history-binary.ts,
// docs/history.md), into the same CheckEntry objects the jsonl scanner makes. It is used only
// when it matches the jsonl beside it: ours (magic and version), not older than the jsonl, and
// the jsonl still holds the bytes its last SYNC names. Anything else (an old run, another
// tool's history, an edited jsonl, a bin cut short or corrupt) leaves the jsonl to be read
// from where the last good SYNC ended: from its start when there is none.

import { existsSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpType } from '../engine/history.js';
import { BIN_MAGIC, BIN_VERSION, Field, HEADER_BYTES, NO_ID, OP_TYPES, RECORD_HEAD, Rec, Slot, TAIL_CHECK_BYTES, Val, fnv1a } from '../engine/history-bin-format.js';
import type { RecordedPoint } from '../engine/line-protocol.js';
import type { CheckEntry } from './history-lines.js';
import { CheckInputError } from './input-error.js';
import type { FieldValue } from './points.js';
import { withSidecar } from './sidecar.js';
import { escKey, escMeasurement } from './points.js';
import type { ScannedPoint, ScannedWrite, SeriesShape } from './write-scan.js';

/** How much of history.jsonl the entries read from history.bin stand for. */
export interface Covered { bytes: number; lines: number }

const NONE: Covered = { bytes: 0, lines: 0 };
const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);
/** Small enough that an entry never completed, which pins the chunk its texts are in (TextRef), pins little. */
const CHUNK = 1 << 20;

/** A repeated value, parsed once for every entry that has it (checkers never change a value). */
interface Shared { json: string; parsed?: { value: unknown } }
/** What every entry of a file shares: where its jsonl is (for errors), each series' tags as recorded. */
interface FileContext { jsonlPath: string; tagsOf: Map<SeriesShape, Record<string, string>> }

/**
 * Text in a chunk of the file, decoded when a checker reads it: most never do (a write's body,
 * a read's request). The reader never reuses a chunk, so the bytes stay as they were; a chunk
 * lives while an entry that points into it does (entries live until paired, and checkers keep
 * figures, not entries).
 */
class TextRef {
  constructor(private readonly buf: Buffer, private readonly from: number, private readonly to: number) {}
  toString(): string { return this.buf.toString('utf8', this.from, this.to); }
}

/** A record the reader cannot make sense of: the file is used up to the SYNC before it. */
class Corrupt extends Error {}

/** One operation, its value parsed (or rebuilt) when a checker first reads it. */
class BinEntry implements CheckEntry {
  private parsed: { value: unknown } | undefined;

  constructor(
    readonly index: number, readonly scenario: string, readonly invoke_index: number, readonly time_ms: number,
    readonly type: OpType, readonly f: string, readonly node: string | null, readonly step: string,
    private readonly err: string | undefined,
    /**
     * undefined: no value; its JSON; a shared value; or already merged with its sidecar. A
     * write's is the rest of its value: its JSON with body and points left out.
     */
    private readonly source: TextRef | Shared | { value: unknown } | undefined,
    readonly write: ScannedWrite | undefined,
    private readonly body: TextRef | undefined,
    private readonly file: FileContext,
    /** The jsonl line this entry is a copy of, for errors. */
    private readonly line: number,
  ) {}

  get error(): string | undefined { return this.err; }

  get value(): unknown {
    if (this.parsed) return this.parsed.value;
    const s = this.source;
    let value: unknown;
    if (s === undefined) value = undefined;
    else if (this.write) value = this.restoreWrite(this.json(s instanceof TextRef ? s.toString() : (s as Shared).json) as Record<string, unknown>, this.write);
    else if (s instanceof TextRef) value = this.json(s.toString());
    else if ('json' in s) value = (s.parsed ??= { value: this.json(s.json) }).value;
    else value = s.value;
    this.parsed = { value };
    return value;
  }

  private json(text: string): unknown {
    try { return JSON.parse(text); } catch {
      throw new CheckInputError(`${this.file.jsonlPath}:${this.line}: its copy in history.bin is corrupt (delete history.bin to check history.jsonl): ${text.slice(0, 80)}`);
    }
  }

  /** The write's value as the jsonl has it: body and points put back in their places. */
  private restoreWrite(value: Record<string, unknown>, w: ScannedWrite): Record<string, unknown> {
    if (this.body !== undefined) value.body = this.body.toString();
    value.points = w.points.map((p): RecordedPoint => ({
      table: p.shape.table,
      tags: this.file.tagsOf.get(p.shape)!,
      time: Number.isNaN(p.secs) ? null : `${p.secs}${String(p.nanos).padStart(9, '0')}`,
      fields: p.fields,
      line: p.line,
    }));
    return value;
  }
}

/** The shape identities.ts keys by, made once per series as WriteScanner makes it once per tag set. */
function shapeOf(table: string, tags: Record<string, string>): SeriesShape {
  const tagKeys = Object.keys(tags).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let series = escMeasurement(table);
  for (const k of tagKeys) series += `,${escKey(k)}=${escKey(tags[k]!)}`;
  return { table, tagKeys, series };
}

/** The records of one file, decoded. */
class BinDecoder {
  buf: Buffer = Buffer.alloc(0);
  p = 0;
  private readonly strings: string[] = [];
  private readonly series: SeriesShape[] = [];
  private readonly shared: Shared[] = [];
  /** Each series' tags as recorded, to rebuild a write's `value` when a checker reads it. */
  private readonly file: FileContext;

  constructor(private readonly dir: string, jsonlPath: string) {
    this.file = { jsonlPath, tagsOf: new Map() };
  }

  private u8(): number { return this.buf[this.p++]!; }
  private u16(): number { const b = this.buf, p = this.p; this.p = p + 2; return b[p]! | (b[p + 1]! << 8); }
  private u32(): number { const b = this.buf, p = this.p; this.p = p + 4; return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000; }
  /** Through a scratch array: a third of the time of buf.readDoubleLE, and a history has millions. */
  private f64(): number {
    const b = this.buf, p = this.p, u = F64_BYTES;
    u[0] = b[p]!; u[1] = b[p + 1]!; u[2] = b[p + 2]!; u[3] = b[p + 3]!; u[4] = b[p + 4]!; u[5] = b[p + 5]!; u[6] = b[p + 6]!; u[7] = b[p + 7]!;
    this.p = p + 8;
    return F64[0]!;
  }
  private text(): string { const n = this.u32(); const from = this.p; this.p += n; return this.buf.toString('utf8', from, this.p); }
  private textRef(): TextRef { const n = this.u32(); const from = this.p; this.p += n; return new TextRef(this.buf, from, this.p); }
  private str(): string { const s = this.strings[this.u32()]; if (s === undefined) throw new Corrupt('an undefined string'); return s; }

  /** A definition record: kept for the records after it. */
  define(kind: number): void {
    if (kind === Rec.DefString) this.strings.push(this.text());
    else if (kind === Rec.DefValue) this.shared.push({ json: this.text() });
    else {
      const table = this.text();
      const tags: Record<string, string> = {};
      for (let n = this.u16(); n > 0; n--) { const k = this.text(); tags[k] = this.text(); }
      const shape = shapeOf(table, tags);
      this.series.push(shape);
      this.file.tagsOf.set(shape, tags);
    }
  }

  /** An Op record: the entry it copies (line `line` of history.jsonl). */
  op(line: number): CheckEntry {
    const type = OP_TYPES[this.u8()];
    const index = this.u32(), invokeIndex = this.u32();
    const scenario = this.str(), f = this.str();
    const nodeId = this.u32();
    const node = nodeId === NO_ID ? null : this.strings[nodeId];
    const step = this.str();
    const timeMs = this.f64();
    if (type === undefined || node === undefined) throw new Corrupt('a bad type or node');
    const error = this.u8() === 1 ? this.text() : undefined;
    const kind = this.u8();
    let source: ConstructorParameters<typeof BinEntry>[9];
    let write: ScannedWrite | undefined;
    let body: TextRef | undefined;
    if (kind === Val.None) source = undefined;
    else if (kind === Val.Json) source = this.textRef();
    else if (kind === Val.Shared) {
      source = this.shared[this.u32()];
      if (!source) throw new Corrupt('an undefined value');
    } else if (kind === Val.Write) {
      write = this.points();
      const t = this.u8();
      source = t === Val.Shared ? this.shared[this.u32()] : t === Val.Json ? this.textRef() : undefined;
      if (source === undefined) throw new Corrupt('a write without its value');
      if (this.u8() === 1) body = this.textRef();
    } else if (kind === Val.Sidecar) {
      const inline = this.text();
      const file = this.text();
      let parsed: unknown;
      try { parsed = JSON.parse(inline); } catch { throw new Corrupt('a bad sidecar value'); }
      source = { value: withSidecar(parsed, file, `${this.file.jsonlPath}:${line}`, this.dir) };
    } else throw new Corrupt('an unknown value kind');
    return new BinEntry(index, scenario, invokeIndex, timeMs, type, f, node, step, error, source, write, body, this.file, line);
  }

  private points(): ScannedWrite {
    const db = this.str();
    const n = this.u32();
    if (n > this.buf.length) throw new Corrupt('a bad point count');
    const points: ScannedPoint[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const shape = this.series[this.u32()];
      if (!shape) throw new Corrupt('an undefined series');
      const secs = this.f64(), nanos = this.u32(), line = this.u32();
      const fields: Record<string, FieldValue> = {};
      for (let k = this.u16(); k > 0; k--) {
        const key = this.str();
        const kind = this.u8();
        if (kind === Field.Number) fields[key] = this.f64();
        else if (kind === Field.String || kind === Field.BigInt) fields[key] = this.text();
        else if (kind === Field.True) fields[key] = true;
        else if (kind === Field.False) fields[key] = false;
        else throw new Corrupt('an unknown field kind');
      }
      points[i] = { shape, secs, nanos, fields, line };
    }
    return { db, points };
  }
}

/** The header's slot: the last SYNC the writer finished, and the jsonl it was written for. */
interface SlotValues { binEnd: number; coveredBytes: number; coveredLines: number; tailBytes: number; tailHash: number; jsonlSize: number; jsonlMtimeNs: bigint }

/** The slot, when the header is ours and its numbers make sense (whole, in order, in range). */
async function readSlot(file: FileHandle): Promise<SlotValues | undefined> {
  const h = Buffer.alloc(HEADER_BYTES);
  const { bytesRead } = await file.read(h, 0, HEADER_BYTES, 0);
  if (bytesRead < HEADER_BYTES || !h.subarray(0, BIN_MAGIC.length).equals(BIN_MAGIC) || h.readUInt16LE(BIN_MAGIC.length) !== BIN_VERSION) return undefined;
  const s: SlotValues = {
    binEnd: h.readDoubleLE(Slot.binEnd), coveredBytes: h.readDoubleLE(Slot.coveredBytes), coveredLines: h.readDoubleLE(Slot.coveredLines),
    tailBytes: h.readUInt32LE(Slot.tailBytes), tailHash: h.readUInt32LE(Slot.tailHash),
    jsonlSize: h.readDoubleLE(Slot.jsonlSize), jsonlMtimeNs: h.readBigUInt64LE(Slot.jsonlMtimeNs),
  };
  const whole = [s.binEnd, s.coveredBytes, s.coveredLines, s.jsonlSize].every((n) => Number.isSafeInteger(n) && n >= 0);
  if (!whole || s.binEnd < HEADER_BYTES || s.coveredBytes > s.jsonlSize || s.tailBytes > Math.min(TAIL_CHECK_BYTES, s.coveredBytes)) return undefined;
  return s;
}

/**
 * Whether history.jsonl is the file the slot was written for: the same size and modification
 * time to the nanosecond, and the bytes the bin covers end with the recorded tail. Any edit
 * (or a run killed between the jsonl's append and the bin's) shows in one of them.
 */
async function jsonlMatches(jsonlPath: string, slot: SlotValues): Promise<boolean> {
  const st = statSync(jsonlPath, { bigint: true });
  if (st.size !== BigInt(slot.jsonlSize) || st.mtimeNs !== slot.jsonlMtimeNs) return false;
  if (slot.tailBytes === 0) return slot.coveredBytes === 0;
  const tail = Buffer.alloc(slot.tailBytes);
  const file = await open(jsonlPath, 'r');
  try {
    const { bytesRead } = await file.read(tail, 0, tail.length, slot.coveredBytes - slot.tailBytes);
    return bytesRead === tail.length && tail[tail.length - 1] === 0x0a && fnv1a(tail, 0, tail.length) === slot.tailHash;
  } finally {
    await file.close();
  }
}

/** The slot, when history.bin is there, ours, and written for this very history.jsonl; else undefined (read the jsonl). */
async function usableSlot(file: FileHandle, path: string, jsonlPath: string): Promise<SlotValues | undefined> {
  try {
    const slot = await readSlot(file);
    if (!slot || slot.coveredLines === 0 || statSync(path).size < slot.binEnd) return undefined;
    return (await jsonlMatches(jsonlPath, slot)) ? slot : undefined;
  } catch {
    return undefined; // unreadable: the jsonl is the history anyway
  }
}

/**
 * Streams the entries of history.bin into `take` when it was written for this history.jsonl;
 * returns how much of the jsonl they stand for (none: read it all). Once it has been found
 * valid, damage inside it (a bad record, a SYNC that does not add up) is a CheckInputError:
 * entries were handed on already, and only the whole jsonl can be trusted then.
 */
export async function readBinHistory(dir: string, jsonlPath: string, take: (e: CheckEntry) => void): Promise<Covered> {
  const path = join(dir, 'history.bin');
  if (!existsSync(path)) return NONE;
  let file: FileHandle;
  try { file = await open(path, 'r'); } catch { return NONE; }
  try {
    const slot = await usableSlot(file, path, jsonlPath);
    if (!slot) return NONE;
    const end = slot.binEnd;
    const d = new BinDecoder(dir, jsonlPath);
    let covered = NONE;
    /** Entries after the last SYNC: handed on only when their batch's SYNC is read. */
    let batch: CheckEntry[] = [];
    let buf = Buffer.allocUnsafe(CHUNK);
    let have = 0;
    let at = HEADER_BYTES;
    let from = 0;
    let record = HEADER_BYTES;
    let emitting = false;
    const corrupt = (what: string) => new CheckInputError(`${path} is corrupt at byte ${record} (${what}): delete it and check again, from ${jsonlPath}`);
    try {
      for (;;) {
        // A whole record in buf[from, have), else read on (a record bigger than the buffer grows it).
        if (have - from < RECORD_HEAD || have - from < RECORD_HEAD + buf.readUInt32LE(from + 1)) {
          if (at >= end && have === from) break;
          const need = have - from >= RECORD_HEAD ? RECORD_HEAD + buf.readUInt32LE(from + 1) : RECORD_HEAD;
          if (need > end - at + (have - from)) throw corrupt('a record runs past the last SYNC');
          // A fresh chunk each time: entries read so far may point into the old one (TextRef).
          const next = Buffer.allocUnsafe(Math.max(CHUNK, need));
          buf.copy(next, 0, from, have);
          buf = next; have -= from; from = 0;
          const { bytesRead } = await file.read(buf, have, Math.min(buf.length - have, end - at), at);
          if (bytesRead === 0) throw corrupt('the file ends early');
          have += bytesRead; at += bytesRead;
          continue;
        }
        const kind = buf[from]!;
        const bodyEnd = from + RECORD_HEAD + buf.readUInt32LE(from + 1);
        d.buf = buf; d.p = from + RECORD_HEAD;
        if (kind === Rec.Op) batch.push(d.op(covered.lines + batch.length + 1));
        else if (kind === Rec.Sync) {
          const bytes = d.buf.readDoubleLE(d.p), lines = d.buf.readDoubleLE(d.p + 8);
          d.p += 16;
          if (!Number.isSafeInteger(bytes) || bytes <= covered.bytes || bytes > slot.coveredBytes || lines !== covered.lines + batch.length) throw corrupt('a SYNC that does not add up');
          emitting = true;
          for (const e of batch) take(e);
          emitting = false;
          batch = [];
          covered = { bytes, lines };
        } else if (kind === Rec.DefString || kind === Rec.DefSeries || kind === Rec.DefValue) d.define(kind);
        else throw corrupt(`a record of unknown kind ${kind}`);
        if (d.p !== bodyEnd) throw corrupt('a record longer or shorter than it says');
        record += bodyEnd - from;
        from = bodyEnd;
      }
    } catch (e) {
      // A record that reads past its end or names what was never defined; an error from the checkers is theirs.
      if (!emitting && (e instanceof Corrupt || e instanceof RangeError)) throw corrupt(e.message);
      throw e;
    }
    if (covered.bytes !== slot.coveredBytes || covered.lines !== slot.coveredLines || batch.length) throw corrupt('its last SYNC is not the one its header names');
    return covered;
  } finally {
    await file.close();
  }
}
