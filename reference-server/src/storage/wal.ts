// Write-ahead log: length- and CRC-framed JSON records in numbered segment files. A record is
// fsynced before the write it carries is acknowledged (unless the client asked for no_sync),
// so `kill -9` loses nothing acknowledged; on start, records newer than what the SQLite store
// has applied are replayed. A torn tail (crash mid-append) is cut off on open.
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { EncodedPoint } from './point-codec.js';

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

const HEADER = 8;
const SEGMENT_BYTES = 64 * 1024 * 1024;

export class Wal {
  private fd = -1;
  private segment = 0;
  private segmentSize = 0;
  private nextSeq = 1;
  /** Highest seq in each closed segment, for truncation. */
  private segmentLastSeq = new Map<number, number>();

  constructor(private readonly dir: string) {}

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Opens the log, replaying every intact record with seq > afterSeq through `apply`. */
  open(afterSeq: number, apply: (r: WalRecord) => void): { replayed: number } {
    fs.mkdirSync(this.dir, { recursive: true });
    const segments = this.segments();
    let replayed = 0;
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
        const rec = JSON.parse(payload.toString('utf8')) as WalRecord;
        last = rec.seq;
        this.nextSeq = Math.max(this.nextSeq, rec.seq + 1);
        if (rec.seq > afterSeq) {
          apply(rec);
          replayed++;
        }
        off += HEADER + len;
      }
      if (off < buf.length) fs.truncateSync(file, off); // torn or corrupt tail
      this.segmentLastSeq.set(seg, last);
      this.segment = seg;
      this.segmentSize = off;
    }
    this.nextSeq = Math.max(this.nextSeq, afterSeq + 1);
    if (segments.length === 0) this.segment = 1;
    this.fd = fs.openSync(this.file(this.segment), 'a');
    return { replayed };
  }

  /** Appends one record; fsyncs unless `sync` is false. Returns its seq. */
  append(entries: WalEntry[], sync: boolean): number {
    const seq = this.nextSeq++;
    const payload = Buffer.from(JSON.stringify({ seq, entries }), 'utf8');
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    try {
      fs.writeSync(this.fd, Buffer.concat([header, payload]));
      if (sync) fs.fdatasyncSync(this.fd);
    } catch (err) {
      // Cut a partly written record (e.g. ENOSPC) so later records do not follow a torn one.
      this.nextSeq--;
      try {
        fs.ftruncateSync(this.fd, this.segmentSize);
      } catch {
        /* the open below reports the real problem */
      }
      throw err;
    }
    this.segmentSize += HEADER + payload.length;
    this.segmentLastSeq.set(this.segment, seq);
    if (this.segmentSize >= SEGMENT_BYTES) this.rotate();
    return seq;
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
