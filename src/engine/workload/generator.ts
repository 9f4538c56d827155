// Which operation comes next: a shared, bounded, rate-limited sequence of operation
// numbers (Jepsen's generator, reduced to what a workload needs), and each client's own
// seeded choices (kind, node) so a seed replays the same choices per client.

import type { WorkloadKind } from '../../scenario/types.js';
import type { Rng } from '../rng.js';
import { sleep } from '../sleep.js';
import { TokenBucket } from './token-bucket.js';

export type OpKind = Exclude<WorkloadKind, 'mix'>;

export class OpSequence {
  private issued = 0;
  private readonly bucket: TokenBucket | undefined;
  readonly t0 = performance.now();
  /** Set when the bounds end the workload (or stop() is called), so waiting clients stop too. */
  private stopped = false;

  constructor(private readonly bounds: { ops?: number; durationMs?: number; rate?: number }, private readonly signal: AbortSignal) {
    this.bucket = bounds.rate !== undefined ? new TokenBucket(bounds.rate) : undefined;
  }

  private over(now: number): boolean {
    if (this.stopped) return true;
    if (this.bounds.ops !== undefined && this.issued >= this.bounds.ops) return true;
    return this.bounds.durationMs !== undefined && now - this.t0 >= this.bounds.durationMs;
  }

  /** The next operation's number, once the rate allows it; undefined when the workload is over. */
  async next(): Promise<number | undefined> {
    if (this.over(performance.now())) return undefined;
    const seq = this.issued++;
    const wait = this.bucket?.take() ?? 0;
    if (wait > 0) {
      // Do not sleep past the end: an operation due after it is never started.
      const left = this.bounds.durationMs !== undefined ? this.t0 + this.bounds.durationMs - performance.now() : Infinity;
      if (wait >= left) { await sleep(Math.max(0, left), this.signal); this.stopped = true; return undefined; }
      await sleep(wait, this.signal);
    }
    const late = this.bounds.durationMs !== undefined && performance.now() - this.t0 >= this.bounds.durationMs;
    return late || this.stopped ? undefined : seq;
  }
}

/** A weighted choice among the kinds (for mix), or the one kind. */
export function kindChooser(kind: WorkloadKind, weights: Partial<Record<OpKind, number>> | undefined): (rng: Rng) => OpKind {
  if (kind !== 'mix') return () => kind;
  const entries = (Object.entries(weights ?? {}) as Array<[OpKind, number]>).filter(([, w]) => w > 0);
  const total = entries.reduce((a, [, w]) => a + w, 0);
  return (rng) => {
    let x = rng.float() * total;
    for (const [k, w] of entries) { x -= w; if (x < 0) return k; }
    return entries[entries.length - 1]![0];
  };
}
