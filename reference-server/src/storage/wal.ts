// Write-ahead log: length- and CRC-framed JSON records in numbered segment files. A record is
// fsynced before the write it carries is acknowledged (unless the client asked for no_sync),
// so `kill -9` loses nothing acknowledged; on start, records newer than what the SQLite store
// has applied are replayed. A torn tail (crash mid-append) is cut off on open.
//
// A record replay cannot apply (it should never be logged: the store checks entries first)
// must not keep the node from starting: it is copied to `quarantine/<seq>.json` beside the
// segments, reported to the caller, and replay goes on with the next record.
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { EncodedPoint } from './point-codec.js';
import { writeFully } from '../util/write-fully.js';

export interface WalEntry {
  db: string;
  table: string;
  shard: number;
  /** Write version (coordinator clock) used to merge replicas deterministically. */
  ver: number;
  points: EncodedPoint[];
}

export interface WalRecord {
  seq: number;
  entries: WalEntry[];
}

/** A record replay could not apply, set aside in `file`. seq is 0 if the record was unreadable. */
export interface QuarantinedRecord {
  seq: number;
  file: string;
  error: string;
}

const HEADER = 8;
const SEGMENT_BYTES = 64 * 1024 * 1024;

export class Wal {
  private fd = -1;
  private segment = 0;
  private segmentSize = 0;
  private nextSeq = 1;
  /** Highest seq in each closed segment, for truncation. */
  private segmentLastSeq = new Map<number, number>();
  /** The last append, so that revert() can take it back. */
  private lastAppend?: { seq: number; sizeBefore: number };

  constructor(private readonly dir: string) {}

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /**
   * Opens the log, replaying every intact record with seq > afterSeq through `apply`. A record
   * `apply` throws on is quarantined (see above) and listed in the result.
   */
  open(afterSeq: number, apply: (r: WalRecord) => void): { replayed: number; quarantined: QuarantinedRecord[] } {
    fs.mkdirSync(this.dir, { recursive: true });
    const segments = this.segments();
    let replayed = 0;
    const quarantined: QuarantinedRecord[] = [];
    for (const seg of segments) {
      const file = this.file(seg);
      const buf = fs.readFileSync(file);
      let off = 0;
      let last = 0;
      while (off + HEADER <= buf.length) {
        const len = buf.readUInt32LE(off);
        const crc = buf.readUInt32LE(off + 4);
        if (off + HEADER + len > buf.length) break;
        const payload = buf.subarray(off + HEADER, off + HEADER + len);
        if (crc32(payload) !== crc) break;
        off += HEADER + len;
        let rec: WalRecord;
        try {
          rec = JSON.parse(payload.toString('utf8')) as WalRecord;
          if (!Number.isSafeInteger(rec.seq) || !Array.isArray(rec.entries)) throw new Error('not a WAL record');
        } catch (err) {
          quarantined.push(this.quarantine(`${seg}-${off}`, payload, 0, err));
          continue;
        }
        last = rec.seq;
        this.nextSeq = Math.max(this.nextSeq, rec.seq + 1);
        if (rec.seq > afterSeq) {
          try {
            apply(rec);
            replayed++;
          } catch (err) {
            quarantined.push(this.quarantine(String(rec.seq), payload, rec.seq, err));
          }
        }
      }
      if (off < buf.length) fs.truncateSync(file, off); // torn or corrupt tail
      this.segmentLastSeq.set(seg, last);
      this.segment = seg;
      this.segmentSize = off;
    }
    this.nextSeq = Math.max(this.nextSeq, afterSeq + 1);
    if (segments.length === 0) this.segment = 1;
    this.fd = fs.openSync(this.file(this.segment), 'a');
    return { replayed, quarantined };
  }

  private quarantine(name: string, payload: Buffer, seq: number, err: unknown): QuarantinedRecord {
    const dir = path.join(this.dir, 'quarantine');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, payload);
    return { seq, file, error: (err as Error)?.message ?? String(err) };
  }

  /** Appends one record; fsyncs unless `sync` is false. Returns its seq. */
  append(entries: WalEntry[], sync: boolean): number {
    // Rotation happens before an append, never after, so revert() only ever cuts the open segment.
    if (this.segmentSize >= SEGMENT_BYTES) this.rotate();
    const seq = this.nextSeq++;
    const payload = Buffer.from(JSON.stringify({ seq, entries }), 'utf8');
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    const sizeBefore = this.segmentSize;
    try {
      writeFully(this.fd, Buffer.concat([header, payload]));
      if (sync) fs.fdatasyncSync(this.fd);
    } catch (err) {
      // Cut a partly written record (e.g. ENOSPC) so later records do not follow a torn one.
      this.nextSeq--;
      try {
        fs.ftruncateSync(this.fd, sizeBefore);
      } catch {
        /* the open below reports the real problem */
      }
      throw err;
    }
    this.segmentSize += HEADER + payload.length;
    this.segmentLastSeq.set(this.segment, seq);
    this.lastAppend = { seq, sizeBefore };
    return seq;
  }

  /**
   * Takes back the record just appended (its apply failed, so it was never acknowledged):
   * a record that could not be applied must not wait in the log for replay to trip on.
   */
  revert(seq: number): void {
    const last = this.lastAppend;
    if (!last || last.seq !== seq || this.nextSeq !== seq + 1) throw new Error(`WAL record ${seq} is not the last one appended`);
    fs.ftruncateSync(this.fd, last.sizeBefore);
    fs.fdatasyncSync(this.fd);
    this.segmentSize = last.sizeBefore;
    this.nextSeq = seq;
    this.lastAppend = undefined;
    if (this.segmentSize === 0) this.segmentLastSeq.delete(this.segment);
    else this.segmentLastSeq.set(this.segment, seq - 1);
  }

  /** Deletes closed segments whose records are all durably applied (seq <= appliedSeq). */
  truncate(appliedSeq: number): void {
    for (const [seg, last] of this.segmentLastSeq) {
      if (seg !== this.segment && last <= appliedSeq) {
        fs.rmSync(this.file(seg), { force: true });
        this.segmentLastSeq.delete(seg);
      }
    }
  }

  closedSegments(): number {
    return this.segmentLastSeq.size - 1;
  }

  close(): void {
    if (this.fd >= 0) {
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
    }
    this.fd = -1;
  }

  private rotate(): void {
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.segment += 1;
    this.segmentSize = 0;
    this.fd = fs.openSync(this.file(this.segment), 'a');
  }

  private segments(): number[] {
    return fs
      .readdirSync(this.dir)
      .filter((f) => /^\d{10}\.wal$/.test(f))
      .map((f) => Number(f.slice(0, 10)))
      .sort((a, b) => a - b);
  }

  private file(seg: number): string {
    return path.join(this.dir, `${String(seg).padStart(10, '0')}.wal`);
  }
}

