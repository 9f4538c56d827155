// What a workload has done so far: operations by outcome, by node and by kind, write
// latencies, and the ops/s of the last stretch, for the progress line and the step's output.

import type { OpType } from '../history.js';

export type Outcome = Exclude<OpType, 'invoke'>;

export class Tally {
  started = 0;
  readonly outcomes: Record<Outcome, number> = { ok: 0, fail: 0, info: 0 };
  readonly byNode: Record<string, number> = {};
  readonly byKind: Record<string, number> = {};
  readonly writeLatencies: number[] = [];
  /** The first error an operation got, to say why nothing succeeded. */
  firstError: string | undefined;
  private windowStart = performance.now();
  private windowDone = 0;

  record(kind: string, node: string, outcome: Outcome, ms: number, isWrite: boolean): void {
    this.outcomes[outcome]++;
    this.byNode[node] = (this.byNode[node] ?? 0) + 1;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    if (isWrite && outcome === 'ok') this.writeLatencies.push(ms);
    this.windowDone++;
  }

  get done(): number {
    return this.outcomes.ok + this.outcomes.fail + this.outcomes.info;
  }

  /** Completed operations per second since the last call. */
  rateSinceLast(now = performance.now()): number {
    const secs = (now - this.windowStart) / 1000;
    const r = secs > 0 ? this.windowDone / secs : 0;
    this.windowStart = now;
    this.windowDone = 0;
    return r;
  }

  text(opsPerSec: number, extra: string[] = []): string {
    const { ok, fail, info } = this.outcomes;
    return [`${Math.round(opsPerSec)} ops/s`, `ok ${ok}`, `fail ${fail}`, `info ${info}`, ...extra].join(', ');
  }

  latency(): { p50: number; p99: number; max: number } | null {
    const l = [...this.writeLatencies].sort((a, b) => a - b);
    if (!l.length) return null;
    const at = (p: number) => round(l[Math.min(l.length - 1, Math.max(0, Math.ceil((p / 100) * l.length) - 1))]!);
    return { p50: at(50), p99: at(99), max: round(l[l.length - 1]!) };
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
