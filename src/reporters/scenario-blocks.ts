// With --jobs, scenarios run at once and their events interleave. This wrapper holds
// each scenario's events until the scenario ends, then replays them on the wrapped
// reporter in one go: a scenario's lines are never mixed with another's. Blocks come
// out as scenarios finish, each headed by its name; run-level events pass straight on.

import type { Reporter, RunInfo, RunResult, StepInfo, StepResult, TestInfo, TestResult } from '../engine/events.js';
import type { HistoryEntry } from '../engine/history.js';

export class ScenarioBlocks implements Reporter {
  /** Per running scenario (by its index in the run): its events so far. */
  private readonly held = new Map<number, Array<() => void>>();

  constructor(private readonly inner: Reporter) {}

  private hold(t: TestInfo, event: () => void) {
    const list = this.held.get(t.index);
    if (list) list.push(event);
    else this.held.set(t.index, [event]);
  }

  onBegin(run: RunInfo) { return this.inner.onBegin?.(run); }
  onTestBegin(t: TestInfo) { this.hold(t, () => this.inner.onTestBegin?.(t)); }
  onStepBegin(t: TestInfo, s: StepInfo) { this.hold(t, () => this.inner.onStepBegin?.(t, s)); }
  onStepEnd(t: TestInfo, s: StepResult) { this.hold(t, () => this.inner.onStepEnd?.(t, s)); }
  onOperation(e: HistoryEntry) { this.inner.onOperation?.(e); }

  async onTestEnd(t: TestInfo, r: TestResult) {
    const events = this.held.get(t.index) ?? [];
    this.held.delete(t.index);
    for (const e of events) e();
    await this.inner.onTestEnd?.(t, r);
  }

  onEnd(r: RunResult) { return this.inner.onEnd?.(r); }
  onLog(m: string) { this.inner.onLog?.(m); }
}
