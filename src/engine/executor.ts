// Runs one step: renders its templates, gives it a deadline, classifies how it
// ended, times it (engine overhead = wall time minus time spent on the cluster),
// keeps its output for later templates, and tells the reporters.

import type { Driver } from '../drivers/driver.js';
import { TemplateError } from '../scenario/template.js';
import { durationMs, formatMs } from '../scenario/duration.js';
import { stepKind, type ExpectDuration, type Step } from '../scenario/types.js';
import type { ScenarioContext } from './context.js';
import { DurationError, InconclusiveError, InfraError, UnsupportedError, VerificationError, errorMessage } from './errors.js';
import type { Reporters, StepError, StepResult, TestInfo } from './events.js';
import { stepDeadlineMs } from './plan.js';
import { STEPS } from './steps/index.js';
import { refreshLiveNames, usesLiveNames } from './live-names.js';
import type { StepRun } from './steps/step.js';

export class Executor {
  constructor(private readonly ctx: ScenarioContext, private readonly test: TestInfo, private readonly events: Reporters) {}

  /** Read as the run's plan read it (src/engine/plan.ts), at most what a timer honours. */
  private timeoutFor(step: Step): number {
    return stepDeadlineMs(step, this.ctx.stepTimeoutMs);
  }

  /** The step's name, or a description of its (rendered, when given) spec. */
  label(step: Step, spec?: unknown): string {
    const kind = stepKind(step)!;
    if (step.name) return step.name;
    try {
      return STEPS[kind].label((spec ?? (step as Record<string, unknown>)[kind]) as never);
    } catch {
      return kind;
    }
  }

  async run(step: Step, path: string, depth: number, docPath: Array<string | number>): Promise<StepResult> {
    const ctx = this.ctx;
    const kind = stepKind(step)!;
    const impl = STEPS[kind];
    const raw = (step as Record<string, unknown>)[kind];
    // Templates are rendered up front (labels show real values); a template that
    // cannot be rendered yet fails the step below, with its message. Live names
    // (${raft.leader}, ${shards.<table>...}) are fetched from the cluster inside the
    // step instead: within its timeout, after it begins, a crash blamed on the node.
    let spec: unknown;
    let renderError: unknown;
    const live = impl.render !== false && usesLiveNames(ctx, raw);
    if (impl.render === false || live) spec = raw;
    else {
      try {
        spec = ctx.render(raw);
      } catch (e) { renderError = e; }
    }
    const label = this.label(step, spec);
    let info = { path, kind, label, depth, where: ctx.scenario.where(docPath) };
    this.events.onStepBegin(this.test, info);
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const io0 = ctx.history.ioMs;
    const timeoutMs = this.timeoutFor(step);
    const timeout = AbortSignal.timeout(Math.ceil(timeoutMs));
    // A node crashing ends the step at once: waiting out a timeout on a dead node tells nothing.
    const signal = AbortSignal.any([ctx.signal, timeout, ctx.driver.crashed]);
    const children: StepResult[] = [];
    const picked: string[] = [];
    const r: StepRun = {
      ctx, path, signal, depth, docPath, children, picked,
      runChild: (s, p, d, dp) => this.run(s, p, d, dp),
      progress: (text) => this.events.onStepProgress(this.test, { ...info, text }),
      log: (m) => this.events.onLog(m),
      node: (ref, states, exclude) => {
        const id = ctx.node(ref, states, exclude);
        if (ref === 'random' && picked.length < 100) picked.push(id);
        return id;
      },
    };
    let output: unknown;
    let error: StepError | undefined;
    let status: StepResult['status'] = 'passed';
    let workMs: number | undefined;
    try {
      if (renderError) throw renderError;
      if (live) {
        await refreshLiveNames(ctx, raw, path, signal);
        spec = ctx.render(raw);
        info = { ...info, label: this.label(step, spec) };
      }
      const w0 = performance.now();
      output = await impl.run(spec as never, r);
      workMs = performance.now() - w0;
      if (step.id) ctx.outputs.set(step.id, output);
      if (step.expect_duration) checkDuration(step.expect_duration, workMs);
    } catch (e) {
      // What a step did before it failed, when it says (a nemesis' rounds so far).
      if (e instanceof Error && 'stepOutput' in e) output = e.stepOutput;
      const cause = await blameCrash(ctx.driver, e, ctx.signal.aborted);
      ({ status, error } = classify(cause, { interrupted: ctx.signal.aborted, timedOut: timeout.aborted, timeoutMs }));
      error.where = ctx.scenario.where(docPath);
    }
    const duration = performance.now() - t0;
    const io = ctx.history.ioMs - io0;
    const result: StepResult = {
      ...info, status, verifies: typeof impl.verifies === 'function' ? impl.verifies(raw as never) : impl.verifies,
      started_at: startedAt, duration_ms: round(duration), overhead_ms: round(Math.max(0, duration - io), 3),
      ...(error ? { error } : {}),
      ...(output !== undefined ? { output: trimOutput(output) } : {}),
      ...(r.attempts ? { attempts: r.attempts } : {}),
      ...(picked.length ? { picked } : {}),
      ...(children.length ? { children } : {}),
    };
    this.events.onStepEnd(this.test, result);
    return result;
  }
}

/**
 * expect_duration: the step's own work (its run, not template rendering or reporting)
 * within the bounds, read with validate's parser (plan.ts has already accepted them).
 */
function checkDuration(bounds: ExpectDuration, ms: number): void {
  const max = bounds.max !== undefined ? durationMs(bounds.max, 0, 'bound') : undefined;
  const min = bounds.min !== undefined ? durationMs(bounds.min, 0, 'bound') : undefined;
  const took = formatMs(round(ms, 3));
  if (max !== undefined && ms > max) throw new DurationError(`step took ${took}, expected at most ${bounds.max} (expect_duration.max)`, `<= ${bounds.max}`, took);
  if (min !== undefined && ms < min) throw new DurationError(`step took ${took}, expected at least ${bounds.min} (expect_duration.min)`, `>= ${bounds.min}`, took);
}

/**
 * A step that went wrong while a node crashed (exited without the scenario causing it)
 * is the crash's fault: an infrastructure error naming the node, not a verdict on the
 * answers of the nodes still up. A refused connection can arrive before the exit is
 * seen, so the driver is given a moment to notice exits first.
 */
export async function blameCrash(driver: Driver, e: unknown, interrupted: boolean): Promise<unknown> {
  if (interrupted) return e;
  if (!driver.crashed.aborted) await driver.noticeExits();
  return driver.crashed.aborted ? driver.crashed.reason : e;
}

export function classify(e: unknown, s: { interrupted: boolean; timedOut: boolean; timeoutMs: number }): { status: StepResult['status']; error: StepError } {
  if (s.interrupted) return { status: 'error', error: { type: 'interrupted', message: 'interrupted' } };
  if (e instanceof DurationError) return { status: 'failed', error: { type: 'duration', message: e.message, expected: e.expected, actual: e.actual } };
  if (e instanceof UnsupportedError) return { status: 'skipped', error: { type: 'unsupported', message: e.message } };
  if (e instanceof InconclusiveError) return { status: 'inconclusive', error: { type: 'inconclusive', message: e.message } };
  if (e instanceof InfraError) return { status: 'error', error: { type: 'infrastructure', message: e.message, tried: e.detail.tried, log_tail: e.detail.logTail } };
  if (s.timedOut) return { status: 'failed', error: { type: 'timeout', message: `step timed out after ${round(s.timeoutMs / 1000, 1)} s` } };
  if (e instanceof VerificationError) {
    const childType = (e as Error & { childType?: StepError['type'] }).childType;
    return {
      status: childType === 'infrastructure' ? 'error' : childType === 'inconclusive' ? 'inconclusive' : childType === 'unsupported' ? 'skipped' : 'failed',
      error: { type: childType ?? 'verification', message: e.message, expected: e.detail.expected, actual: e.detail.actual, diff: e.detail.diff },
    };
  }
  if (e instanceof TemplateError) return { status: 'failed', error: { type: 'verification', message: e.message } };
  return { status: 'failed', error: { type: 'verification', message: errorMessage(e) } };
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Outputs go into the journal: keep big row sets from bloating it. */
function trimOutput(o: unknown): unknown {
  if (o && typeof o === 'object' && Array.isArray((o as { rows?: unknown[] }).rows)) {
    const rows = (o as { rows: unknown[] }).rows;
    if (rows.length > 100) return { ...o, rows: rows.slice(0, 100), rows_truncated: rows.length };
  }
  return o;
}
