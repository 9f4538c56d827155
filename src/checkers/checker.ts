// The contract of a history checker (Jepsen's Checker): a pure function of one scenario's
// history, fed operation by operation so a history of millions never sits in memory as
// objects, answering valid true / false / 'unknown' with details. An exception inside a
// checker makes its answer unknown, never a crash.

import type { HistoryEntry } from '../engine/history.js';
import { Identities } from './identities.js';

export type Validity = true | false | 'unknown';

export interface CheckResult {
  checker: string;
  valid: Validity;
  /** One line for the console: what was checked and what was found. */
  summary: string;
  /** Each failure names its operations (docs/history.md, "Checkers"); at most MAX_FAILURES. */
  failures: string[];
  /** Checker-specific counts and figures. */
  [detail: string]: unknown;
}

/** Failure messages kept per checker: the counts say how many there were. */
export const MAX_FAILURES = 20;

/** An invocation and its completion, paired: what a checker reasons about. */
export interface Operation {
  /** The invoke's index: what messages call `write #4711`. */
  index: number;
  f: string;
  /** ok: happened; fail: certainly did not; info: unknown (may apply at any later time). */
  type: 'ok' | 'fail' | 'info';
  node: string | null;
  step: string;
  invokeMs: number;
  /** Completion time; Infinity for an invoke that never completed (the run was cut off). */
  completeMs: number;
  /** The invoke's value (what was asked: the points of a write, the SQL of a read). */
  value: Record<string, unknown>;
  /** The completion's value (what came back: status, rows, rejected lines). */
  result: Record<string, unknown>;
  error?: string;
}

export interface CheckerRun {
  /** Operations arrive in completion order (the order of the history). */
  op(o: Operation): void;
  end(): CheckResult;
}

export interface Checker {
  name: string;
  /** One line for `--help`, the schema and did-you-mean messages. */
  description: string;
  /** `ids` is shared by the session's checkers: points resolved once for all of them. */
  start(ids: Identities): CheckerRun;
}

/** Pairs invokes with their completions, in history order. */
export class OperationPairer {
  private readonly pending = new Map<number, HistoryEntry>();

  constructor(private readonly emit: (o: Operation) => void) {}

  add(e: HistoryEntry): void {
    if (e.type === 'invoke') { this.pending.set(e.index, e); return; }
    const inv = this.pending.get(e.invoke_index);
    this.pending.delete(e.invoke_index);
    this.emit({
      index: e.invoke_index, f: e.f, type: e.type, node: e.node, step: e.step,
      invokeMs: inv?.time_ms ?? e.time_ms, completeMs: e.time_ms,
      value: asRecord(inv?.value), result: asRecord(e.value),
      ...(e.error !== undefined ? { error: e.error } : {}),
    });
  }

  /** Invokes never completed are info: they may have happened. */
  end(): void {
    for (const inv of this.pending.values()) {
      this.emit({ index: inv.index, f: inv.f, type: 'info', node: inv.node, step: inv.step, invokeMs: inv.time_ms, completeMs: Infinity, value: asRecord(inv.value), result: {}, error: 'never completed' });
    }
    this.pending.clear();
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Runs several checkers over one scenario's history in one pass. */
export class CheckSession {
  private readonly runs: Array<{ checker: Checker; run: CheckerRun; broken?: unknown }>;
  private readonly pairer: OperationPairer;

  constructor(checkers: Checker[]) {
    const ids = new Identities();
    this.runs = checkers.map((checker) => ({ checker, run: checker.start(ids) }));
    this.pairer = new OperationPairer((o) => {
      for (const r of this.runs) {
        if (r.broken) continue;
        try { r.run.op(o); } catch (e) { r.broken = e; }
      }
    });
  }

  add(e: HistoryEntry): void { this.pairer.add(e); }

  end(): CheckResult[] {
    this.pairer.end();
    return this.runs.map((r) => {
      if (!r.broken) {
        try { return r.run.end(); } catch (e) { r.broken = e; }
      }
      const message = r.broken instanceof Error ? r.broken.message : String(r.broken);
      return { checker: r.checker.name, valid: 'unknown' as const, summary: `the checker failed: ${message}`, failures: [] };
    });
  }
}

/** The checkers' verdicts over a whole history held in memory (tests, the run itself). */
export function checkHistory(checkers: Checker[], entries: Iterable<HistoryEntry>): CheckResult[] {
  const s = new CheckSession(checkers);
  for (const e of entries) s.add(e);
  return s.end();
}

/** Seconds since the scenario started, for messages: 12.3 s. */
export function secs(ms: number): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'never';
}

/** p-th percentile (0-100) of values, nearest rank; undefined when empty. */
export function percentile(sorted: Float64Array | number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
