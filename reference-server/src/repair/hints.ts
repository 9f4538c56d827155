// Hinted handoff. When a replica cannot take a write, the coordinator keeps the write for it in
// a durable per-node file (one JSON record per line, fsynced) and replays it, in order, once the
// node answers again. Writes are idempotent (row identity + version), so a replay that repeats
// after a crash is harmless.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../util/log.js';
import type { WalEntry } from '../storage/wal.js';

export type HintSender = (nodeId: string, entries: WalEntry[]) => Promise<void>;

export class HintedHandoff {
  private pending = new Map<string, number>();
  private replaying = new Set<string>();
  private timer?: NodeJS.Timeout;
  stored = 0;
  replayed = 0;

  constructor(
    private readonly dir: string,
    private readonly send: HintSender,
    private readonly isUp: (nodeId: string) => boolean,
    private readonly log: Logger,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(dir)) {
      if (!f.endsWith('.hints')) continue;
      const lines = fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).length;
      if (lines > 0) this.pending.set(decodeURIComponent(f.slice(0, -6)), lines);
    }
  }

  /** Durably keeps `entries` for `nodeId`. */
  store(nodeId: string, entries: WalEntry[]): void {
    const fd = fs.openSync(this.file(nodeId), 'a');
    try {
      fs.writeSync(fd, JSON.stringify(entries) + '\n');
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

  pendingTotal(): number {
    let n = 0;
    for (const v of this.pending.values()) n += v;
    return n;
  }

  start(intervalMs = 500): void {
    this.timer = setInterval(() => {
      for (const id of this.pending.keys()) if (this.isUp(id)) void this.replay(id);
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Sends every stored hint for `nodeId`, oldest first; stops at the first failure. */
  async replay(nodeId: string): Promise<void> {
    if (this.replaying.has(nodeId) || !this.pending.get(nodeId)) return;
    this.replaying.add(nodeId);
    const file = this.file(nodeId);
    let sentBytes = 0;
    let sent = 0;
    try {
      const text = fs.readFileSync(file, 'utf8');
      for (const line of text.split('\n')) {
        if (!line) continue;
        let entries: WalEntry[] | undefined;
        try {
          entries = JSON.parse(line) as WalEntry[];
        } catch {
          // A torn last line from a crash mid-append: it was never acknowledged, drop it.
        }
        if (entries) await this.send(nodeId, entries);
        sentBytes += Buffer.byteLength(line) + 1;
        if (entries) sent++;
      }
      this.log.info({ target: nodeId, hints: sent }, 'hinted handoff replayed');
    } catch (err) {
      this.log.warn({ target: nodeId, err: (err as Error).message, sent }, 'hinted handoff replay stopped; will retry');
    }
    try {
      if (sentBytes > 0) this.consume(file, sentBytes);
      this.replayed += sent;
    } finally {
      this.replaying.delete(nodeId);
    }
  }

  /** Removes the first `bytes` of the hint file, keeping hints appended meanwhile. */
  private consume(file: string, bytes: number): void {
    const rest = fs.readFileSync(file).subarray(bytes);
    const tmp = file + '.tmp';
    fs.writeFileSync(tmp, rest);
    const fd = fs.openSync(tmp, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
    const left = rest.toString('utf8').split('\n').filter(Boolean).length;
    const nodeId = decodeURIComponent(path.basename(file).slice(0, -6));
    if (left === 0) this.pending.delete(nodeId);
    else this.pending.set(nodeId, left);
  }

  private file(nodeId: string): string {
    return path.join(this.dir, `${encodeURIComponent(nodeId)}.hints`);
  }
}
