// Hinted handoff. When a replica cannot take a write, the coordinator keeps the write for it in
// a durable per-node file (one JSON record per line, fsynced) and replays it, in order, once the
// node answers again. Writes are idempotent (row identity + field versions), so a replay that
// repeats after a crash is harmless. A hint the target refuses for good (4xx) is set aside in
// `<node>.rejected` rather than blocking every later hint. After a failed round the next one for
// that node waits longer (doubling up to 30 s), so a target that keeps failing costs little.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../util/log.js';
import { appendWhole } from '../util/write-fully.js';
import type { WalEntry } from '../storage/wal.js';
import { bugs } from '../bugs.js';

export type HintSender = (nodeId: string, entries: WalEntry[]) => Promise<void>;

/** Most bytes of a hint file read per replay round: memory stays bounded however long a node was down. */
const REPLAY_WINDOW = 32 * 1024 * 1024;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
/** Only with the hints-expire-early bug (bugs.ts). */
const HINT_WINDOW_S = 3600;

export class HintedHandoff {
  private pending = new Map<string, number>();
  private replaying = new Set<string>();
  /** Per node after a failed round: how long it waited, and when the next round may start. */
  private retry = new Map<string, { delayMs: number; notBefore: number }>();
  private timer?: NodeJS.Timeout;
  stored = 0;
  replayed = 0;
  rejected = 0;

  constructor(
    private readonly dir: string,
    private readonly send: HintSender,
    private readonly isUp: (nodeId: string) => boolean,
    /** Whether a send error means the target will never take this hint. */
    private readonly isPermanent: (err: unknown) => boolean,
    private readonly log: Logger,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(dir)) {
      if (!f.endsWith('.hints')) continue;
      const file = path.join(dir, f);
      const buf = fs.readFileSync(file);
      // A crash mid-append leaves a line without its newline: cut it, or the next hint would
      // be glued onto it. It was never acknowledged as stored.
      // PLANTED BUG (bugs.ts): hints-lost-on-restart searches from the wrong end and cuts the last complete hint.
      const end = (bugs.has('hints-lost-on-restart') ? buf.lastIndexOf(0x0a, buf.length - 2) : buf.lastIndexOf(0x0a)) + 1;
      if (end < buf.length) fs.truncateSync(file, end);
      let lines = 0;
      for (let i = 0; i < end; i++) if (buf[i] === 0x0a) lines++;
      if (lines > 0) this.pending.set(decodeURIComponent(f.slice(0, -6)), lines);
    }
  }

  /** Durably keeps `entries` for `nodeId`. */
  store(nodeId: string, entries: WalEntry[]): void {
    const fd = fs.openSync(this.file(nodeId), 'a');
    try {
      appendWhole(fd, JSON.stringify(entries) + '\n'); // never a torn line for the next hint to be glued onto
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.pending.set(nodeId, (this.pending.get(nodeId) ?? 0) + 1);
    this.stored++;
  }

  pendingFor(nodeId: string): number {
    return this.pending.get(nodeId) ?? 0;
  }

  start(intervalMs = 500): void {
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const id of this.pending.keys()) if (this.isUp(id) && (this.retry.get(id)?.notBefore ?? 0) <= now) void this.replay(id);
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Sends stored hints for `nodeId`, oldest first; stops at the first transient failure. */
  async replay(nodeId: string): Promise<void> {
    if (this.replaying.has(nodeId) || !this.pending.get(nodeId)) return;
    this.replaying.add(nodeId);
    const file = this.file(nodeId);
    // PLANTED BUG (bugs.ts): the 3600 s hint window is compared with milliseconds.
    if (bugs.has('hints-expire-early') && Date.now() - fs.statSync(file).mtimeMs > HINT_WINDOW_S) {
      this.log.warn({ target: nodeId }, 'target down longer than the hint window: its hints dropped');
      try { this.consume(nodeId, fs.statSync(file).size); } finally { this.replaying.delete(nodeId); }
      return;
    }
    let doneBytes = 0;
    let sent = 0;
    try {
      const window = readWindow(file, REPLAY_WINDOW);
      let start = 0;
      for (let nl = window.indexOf(0x0a); nl >= 0; nl = window.indexOf(0x0a, start)) {
        const line = window.subarray(start, nl).toString('utf8');
        try {
          await this.send(nodeId, JSON.parse(line) as WalEntry[]);
          sent++;
        } catch (err) {
          if (!this.isPermanent(err)) throw err;
          fs.appendFileSync(this.file(nodeId, 'rejected'), line + '\n');
          this.rejected++;
          this.log.error({ target: nodeId, err: (err as Error).message }, 'hint refused by its target; set aside');
        }
        start = nl + 1;
        doneBytes = start;
      }
      if (sent > 0) this.log.info({ target: nodeId, hints: sent }, 'hinted handoff replayed');
      this.retry.delete(nodeId);
    } catch (err) {
      const delayMs = Math.min(MAX_RETRY_MS, (this.retry.get(nodeId)?.delayMs ?? FIRST_RETRY_MS / 2) * 2);
      this.retry.set(nodeId, { delayMs, notBefore: Date.now() + delayMs });
      this.log.warn({ target: nodeId, err: (err as Error).message, sent, retry_in_ms: delayMs }, 'hinted handoff replay stopped; will retry');
    }
    try {
      if (doneBytes > 0) this.consume(nodeId, doneBytes);
      this.replayed += sent;
    } catch (err) {
      this.log.error({ target: nodeId, err: (err as Error).message }, 'could not trim the hint file; hints may be sent again (harmless)');
    } finally {
      this.replaying.delete(nodeId);
    }
  }

  /** Removes the first `bytes` of the hint file, keeping hints appended meanwhile. */
  private consume(nodeId: string, bytes: number): void {
    const file = this.file(nodeId);
    const fd0 = fs.openSync(file, 'r');
    let rest: Buffer;
    try {
      // Only what follows the sent prefix: hints appended meanwhile are kept.
      rest = Buffer.alloc(Math.max(0, fs.fstatSync(fd0).size - bytes));
      fs.readSync(fd0, rest, 0, rest.length, bytes);
    } finally {
      fs.closeSync(fd0);
    }
    const tmp = file + '.tmp';
    fs.writeFileSync(tmp, rest);
    const fd = fs.openSync(tmp, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
    let left = 0;
    for (const b of rest) if (b === 0x0a) left++;
    if (left === 0) this.pending.delete(nodeId);
    else this.pending.set(nodeId, left);
  }

  private file(nodeId: string, ext = 'hints'): string {
    return path.join(this.dir, `${encodeURIComponent(nodeId)}.${ext}`);
  }
}

/** Up to `max` bytes from the start of a file, cut after the last complete line. */
function readWindow(file: string, max: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(max, fs.fstatSync(fd).size));
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, buf.lastIndexOf(0x0a, n - 1) + 1);
  } finally {
    fs.closeSync(fd);
  }
}
