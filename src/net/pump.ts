// One direction of a proxied connection: moves bytes from `src` to `dst` in one of three modes.
//   pipe:   the fast path: `src.pipe(dst)` (no JavaScript of ours per chunk), or, when `src`
//           reads into our own buffers (UpstreamReads), each chunk written as it is read.
//   shaped: each chunk is queued with the time it is due (latency, jitter, bandwidth) and
//           written when due; order is always kept (a chunk is never due before the previous).
//   held:   nothing moves; `src` is paused so the kernel buffers fill and the sender stalls,
//           like a link whose packets are dropped. Chunks already queued stay queued.
// Switching modes never loses or reorders bytes: whatever is queued is written first.
import type net from 'node:net';
import type { DirectionShape } from './link-shape.js';
import type { UpstreamReads } from './upstream-reads.js';

export type PumpMode = { kind: 'pipe' } | { kind: 'held' } | { kind: 'shaped'; shape: DirectionShape };

/** Above this many queued bytes a shaped pump stops reading (the sender feels backpressure). */
const HIGH_WATER = 1 << 20;

interface Queued {
  due: number;
  /** null: the source ended; end the destination. */
  chunk: Buffer | null;
}

export class Pump {
  private mode: PumpMode = { kind: 'held' };
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private timer?: NodeJS.Timeout;
  /** When the last queued chunk is due, and when the bandwidth cap frees up. */
  private lastDue = 0;
  private bandwidthFree = 0;
  private waitingForDrain = false;
  /** The destination has been ended: nothing more will ever be written. */
  done = false;

  /** `reads`: src was dialled with `reads.onread`, so its bytes come from there, not 'data'. */
  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    private readonly random: () => number,
    private readonly reads?: UpstreamReads,
  ) {
    src.pause();
    if (reads) reads.deliver = this.arrive;
    src.on('end', () => {
      if (this.mode.kind === 'pipe' && this.queue.length === 0) this.finish();
      else this.enqueue(null, 0);
    });
  }

  get kind(): PumpMode['kind'] {
    return this.mode.kind;
  }

  set(mode: PumpMode): void {
    if (this.done) return;
    if (this.mode.kind === 'pipe' && !this.reads) this.src.unpipe(this.dst);
    this.src.off('data', this.onData);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.src.pause();
    this.mode = mode;
    if (mode.kind === 'held') return;
    if (mode.kind === 'pipe') {
      // Everything queued goes first, in order; then the kernel-to-kernel path.
      this.writeQueued(Infinity);
      if (this.done) return;
      if (this.reads) this.resumeIfRoom();
      else this.src.pipe(this.dst, { end: false });
      return;
    }
    if (!this.reads) this.src.on('data', this.onData);
    this.schedule();
    this.resumeIfRoom();
  }

  private readonly onData = (chunk: Buffer): void => {
    const shape = (this.mode as Extract<PumpMode, { kind: 'shaped' }>).shape;
    const bps = shape.bytesPerSecond;
    // A bandwidth cap releases big chunks in slices of ~20 ms worth of bytes, not in one burst.
    const slice = bps === undefined ? chunk.length : Math.max(1, Math.floor(bps / 50));
    for (let off = 0; off < chunk.length; off += slice) {
      const piece = chunk.subarray(off, off + slice);
      let ready = performance.now();
      if (bps !== undefined) {
        this.bandwidthFree = Math.max(this.bandwidthFree, ready) + (piece.length / bps) * 1000;
        ready = this.bandwidthFree;
      }
      const jitter = shape.jitterMs * (this.random() * 2 - 1);
      this.enqueue(piece, Math.max(0, shape.latencyMs + jitter), ready);
    }
    if (this.queuedBytes > HIGH_WATER) this.src.pause();
  };

  /** A chunk read by `reads` into its buffer; `done` lets it reuse the buffer. */
  private readonly arrive = (chunk: Buffer, done: () => void): boolean => {
    if (this.mode.kind === 'pipe') {
      if (this.dst.write(chunk, done)) return true;
      this.waitForDrain();
      return false;
    }
    // The slow paths keep chunks a while: they keep a copy, and the buffer is free at once.
    const copy = Buffer.from(chunk);
    done();
    if (this.mode.kind === 'shaped') {
      this.onData(copy);
      return true; // onData pauses src itself when its queue is full
    }
    this.enqueue(copy, 0); // held: read before the pause took effect; delivered on release
    return false;
  };

  private enqueue(chunk: Buffer | null, delayMs: number, from = performance.now()): void {
    const due = Math.max(from + delayMs, this.lastDue);
    this.lastDue = due;
    this.queue.push({ due, chunk });
    this.queuedBytes += chunk?.length ?? 0;
    this.schedule();
  }

  private schedule(): void {
    if (this.mode.kind !== 'shaped' || this.timer || this.queue.length === 0) return;
    const wait = Math.max(0, this.queue[0]!.due - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writeQueued(performance.now());
      this.schedule();
      this.resumeIfRoom();
    }, Math.ceil(wait));
  }

  /** Writes every queued chunk due by `now`, in order. */
  private writeQueued(now: number): void {
    if (this.dst.destroyed) return this.dispose();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) {
      const { chunk } = this.queue.shift()!;
      if (chunk === null) return this.finish();
      this.queuedBytes -= chunk.length;
      if (!this.dst.write(chunk)) this.waitForDrain();
    }
  }

  private waitForDrain(): void {
    if (this.waitingForDrain) return;
    this.waitingForDrain = true;
    this.dst.once('drain', () => {
      this.waitingForDrain = false;
      this.resumeIfRoom();
    });
  }

  /** Reads again, unless dst is full or (shaped) too much is queued. pipe() does this itself. */
  private resumeIfRoom(): void {
    if (this.waitingForDrain) return;
    if (this.mode.kind === 'shaped' ? this.queuedBytes <= HIGH_WATER / 2 : this.mode.kind === 'pipe' && this.reads) this.src.resume();
  }

  private finish(): void {
    this.done = true;
    this.queue = [];
    this.queuedBytes = 0;
    if (!this.dst.destroyed) this.dst.end();
  }

  /** Stops every timer (the connection is going away). */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.queuedBytes = 0;
  }
}
