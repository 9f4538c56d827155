// What run works out from a scenario before any cluster starts: the default step
// timeout, how long nodes may take to get ready, the anchors, every step's deadline
// and pause, and every time and point known in advance. Each is read with the parser
// validate uses (src/scenario/duration.ts, time.ts), so a scenario validate accepts
// always plans; test/fuzz-loader.test.ts checks that on mutated files.

import { durationMs, durationNs, timerMs } from '../scenario/duration.js';
import { hashBound } from '../scenario/hash.js';
import type { JsonPath } from '../scenario/positions.js';
import { renderStatic, staticResolver } from '../scenario/static-render.js';
import { collectTemplates, parseTemplate, type Resolver } from '../scenario/template.js';
import { evalTimeExpr, instantProblem, isTimeError } from '../scenario/time.js';
import type { PointSpec, Scenario, Step, WorkloadSpec } from '../scenario/types.js';
import { pointToLine } from './points.js';
import { nemesisDeadlineMs } from './nemesis/schedule.js';

export const DEFAULT_STEP_TIMEOUT_MS = 30_000;
export const DEFAULT_READY_TIMEOUT_MS = 15_000;
export const DEFAULT_AWAIT_TIMEOUT_MS = 30_000;
export const DEFAULT_AWAIT_INTERVAL_MS = 100;
/** A parallel step has no deadline of its own: its branches have theirs. */
const PARALLEL_DEADLINE_MS = 24 * 3600_000;

/** A scenario run cannot prepare: where (a path into the document) and why. */
export class PlanError extends Error {
  constructor(readonly path: JsonPath, message: string) {
    super(message);
  }
}

export interface RunPlan {
  stepTimeoutMs: number;
  readyTimeoutMs: number;
  anchors: Map<string, bigint>;
  /** Each step's deadline in ms (one a timer honours), by document path ("steps.3.parallel.0"). */
  deadlines: Map<string, number>;
}

/** How long a step may run: its own timeout, or what its kind needs on top of the default. */
export function stepDeadlineMs(step: Step, defaultMs: number): number {
  if (step.timeout !== undefined) return timerMs(durationMs(step.timeout, defaultMs));
  if (step.parallel) return PARALLEL_DEADLINE_MS;
  if (step.await) return timerMs(durationMs(step.await.timeout, DEFAULT_AWAIT_TIMEOUT_MS) + 10_000);
  if (step.wait !== undefined) return timerMs(durationMs(step.wait, 0, 'pause') + defaultMs);
  if (step.workload) return timerMs(workloadMs(step.workload) + durationMs(step.workload.final_timeout, 30_000) + defaultMs);
  if (step.nemesis) return nemesisDeadlineMs(step.nemesis, defaultMs);
  return timerMs(defaultMs);
}

/** How long a workload starts operations: its duration, or ops at its rate (whichever is shorter). */
function workloadMs(w: WorkloadSpec): number {
  const byOps = w.ops !== undefined && typeof w.rate === 'number' ? (w.ops / w.rate) * 1000 : Infinity;
  const byDuration = w.duration !== undefined ? durationMs(w.duration, 0) : Infinity;
  const ms = Math.min(byOps, byDuration);
  return Number.isFinite(ms) ? ms : 0;
}

/** Prepares a loaded scenario for a run; throws PlanError (with the place) when it cannot. */
export function planScenario(scenario: Scenario): RunPlan {
  const doc = scenario.doc;
  const at = <T>(path: JsonPath, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw e instanceof PlanError ? e : new PlanError(path, e instanceof Error ? e.message : String(e));
    }
  };
  const stepTimeoutMs = at(['timeout'], () => durationMs(doc.timeout, DEFAULT_STEP_TIMEOUT_MS));
  const readyTimeoutMs = at(['cluster', 'ready_timeout'], () => durationMs(doc.cluster?.ready_timeout, DEFAULT_READY_TIMEOUT_MS));

  const anchors = new Map<string, bigint>();
  for (const [name, expr] of Object.entries(doc.anchors ?? {})) {
    const v = evalTimeExpr(expr, (n) => anchors.get(n));
    if (isTimeError(v)) throw new PlanError(['anchors', name], v.message);
    anchors.set(name, v);
  }
  const statics = staticResolver(doc, anchors);

  // Every template must parse, and those known now must render.
  for (const { path, text } of collectTemplates({ ...doc, anchors: undefined })) {
    const errors: string[] = [];
    parseTemplate(text, errors);
    if (errors.length) throw new PlanError(path, errors[0]!);
    at(path, () => renderStatic(text, statics));
  }

  const time = (path: JsonPath, expr: string | number) => at(path, () => timeOf(expr, statics, anchors));
  const point = (path: JsonPath, p: PointSpec, fields?: Record<string, string>) => {
    const ns = time([...path, 'time'], p.time);
    const rendered = at(path, () => renderStatic(p, statics));
    if (ns !== undefined && rendered) at(path, () => pointToLine(rendered.value as PointSpec, ns, fields));
  };

  for (const [db, dbSpec] of Object.entries(doc.databases ?? {})) {
    for (const [table, t] of Object.entries(dbSpec.tables ?? {})) {
      const tp: JsonPath = ['databases', db, 'tables', table];
      at([...tp, 'partition_duration'], () => durationMs(t.partition_duration, 0, 'span'));
      for (const [name, sh] of Object.entries(t.shards ?? {})) {
        if (Array.isArray(sh.time)) sh.time.forEach((x, i) => time([...tp, 'shards', name, 'time', i], x));
        if (Array.isArray(sh.hash)) sh.hash.forEach((h, i) => {
          if (typeof h === 'number' && hashBound(h) === undefined) throw new PlanError([...tp, 'shards', name, 'hash', i], `hash bound ${h} is not an integer`);
        });
      }
    }
  }
  for (const [name, p] of Object.entries(doc.picks ?? {})) if (p.time !== undefined) time(['picks', name, 'time'], p.time);
  const fieldsOf = (table: string) => {
    const dbs = Object.keys(doc.databases ?? {});
    return dbs.length === 1 ? doc.databases?.[dbs[0]!]?.tables?.[table]?.fields : undefined;
  };
  for (const [name, p] of Object.entries(doc.points ?? {})) point(['points', name], p, fieldsOf(p.table));

  const deadlines = new Map<string, number>();
  const visit = (step: Step, path: JsonPath) => {
    deadlines.set(path.join('.'), at([...path, 'timeout'], () => stepDeadlineMs(step, stepTimeoutMs)));
    if (step.wait !== undefined) at([...path, 'wait'], () => durationMs(step.wait, 0, 'pause'));
    for (const k of ['min', 'max'] as const) {
      if (step.expect_duration?.[k] !== undefined) at([...path, 'expect_duration', k], () => durationMs(step.expect_duration![k], 0, 'bound'));
    }
    if (step.await) {
      at([...path, 'await', 'timeout'], () => durationMs(step.await!.timeout, DEFAULT_AWAIT_TIMEOUT_MS));
      at([...path, 'await', 'interval'], () => durationMs(step.await!.interval, DEFAULT_AWAIT_INTERVAL_MS, 'interval'));
    }
    const w = step.write;
    if (w) {
      (w.points ?? []).forEach((p, i) => { if (typeof p !== 'string') point([...path, 'write', 'points', i], p, fieldsOf(p.table)); });
      if (w.generate) {
        const gp = [...path, 'write', 'generate'];
        const start = time([...gp, 'start'], w.generate.start);
        const every = at([...gp, 'interval'], () => durationNs(w.generate!.interval, 1_000_000_000n, 'spacing'));
        const problem = start === undefined ? undefined : instantProblem(start + BigInt(w.generate.count - 1) * every);
        if (problem) throw new PlanError(gp, `the last generated point: ${problem}`);
      }
    }
    (step.parallel ?? []).forEach((b, i) => {
      if (Array.isArray(b)) b.forEach((s, j) => visit(s, [...path, 'parallel', i, j]));
      else visit(b, [...path, 'parallel', i]);
    });
  };
  doc.steps.forEach((s, i) => visit(s, ['steps', i]));
  return { stepTimeoutMs, readyTimeoutMs, anchors, deadlines };
}

/** A time expression's instant, or undefined when it depends on the run (a pick, a step output). */
function timeOf(expr: string | number, statics: Resolver, anchors: Map<string, bigint>): bigint | undefined {
  let e: string | number = expr;
  if (typeof expr === 'string') {
    const rendered = renderStatic(expr, statics);
    if (!rendered) return undefined;
    e = typeof rendered.value === 'number' ? rendered.value : String(rendered.value);
  }
  const v = evalTimeExpr(e, (n) => anchors.get(n));
  if (isTimeError(v)) throw new Error(v.message);
  return v;
}
