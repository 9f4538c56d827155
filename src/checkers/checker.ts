// The contract of a history checker (Jepsen's Checker): a pure function of one scenario's
// history, fed operation by operation so a history of millions never sits in memory as
// objects, answering valid true / false / 'unknown' with details. An exception inside a
// checker makes its answer unknown, never a crash.

import type { HistoryEntry } from '../engine/history.js';
import type { CheckEntry } from './history-lines.js';
import { Identities } from './identities.js';
import { CheckInputError } from './input-error.js';
import { PendingInvokes } from './pending-invokes.js';
import type { ScannedWrite } from './write-scan.js';

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
  readonly value: Record<string, unknown>;
  /** The completion's value (what came back: status, rows, rejected lines). */
  readonly result: Record<string, unknown>;
  error?: string;
  /** A write's db and points as read from the history's bytes, when they were (identities.ts uses them). */
  write?: ScannedWrite;
}

/** An operation whose values are parsed when a checker first reads them. */
class PairedOperation implements Operation {
  private v: Record<string, unknown> | undefined;
  private r: Record<string, unknown> | undefined;
  error?: string;
  write?: ScannedWrite;

  constructor(
    readonly index: number, readonly f: string, readonly type: 'ok' | 'fail' | 'info', readonly node: string | null, readonly step: string,
    readonly invokeMs: number, readonly completeMs: number, private readonly invoke: CheckEntry | undefined, private readonly completion: CheckEntry | undefined,
  ) {
    if (invoke?.write) this.write = invoke.write;
  }

  get value(): Record<string, unknown> { return this.v ??= asRecord(this.invoke?.value); }
  get result(): Record<string, unknown> { return this.r ??= asRecord(this.completion?.value); }
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
  private readonly pending = new PendingInvokes();

  constructor(private readonly emit: (o: Operation) => void) {}

  add(e: CheckEntry): void {
    if (e.type === 'invoke') { this.pending.set(e); return; }
    const inv = this.pending.take(e.invoke_index);
    const o = new PairedOperation(e.invoke_index, e.f, e.type, e.node, e.step, inv?.time_ms ?? e.time_ms, e.time_ms, inv, e);
    const error = e.error;
    if (error !== undefined) o.error = error;
    this.emit(o);
  }

  /** Invokes never completed are info: they may have happened. */
  end(): void {
    for (const inv of this.pending.values()) {
      const o = new PairedOperation(inv.index, inv.f, 'info', inv.node, inv.step, inv.time_ms, Infinity, inv, undefined);
      o.error = 'never completed';
      this.emit(o);
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
        // A line the checker needed turned out corrupt: bad input, not a broken checker.
        try { r.run.op(o); } catch (e) { if (e instanceof CheckInputError) throw e; r.broken = e; }
      }
    });
  }

  add(e: CheckEntry): void { this.pairer.add(e); }

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
