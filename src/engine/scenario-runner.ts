// Runs one scenario from cluster start to teardown: start the nodes, set up the
// schema and picks, run the steps in order (stopping at the first failure), and
// always tear down: undo faults that need it, stop every node, remove temp dirs.

import { join } from 'node:path';
import type { Driver, TeardownReport } from '../drivers/driver.js';
import { stepKind, topologyNodes, type Scenario } from '../scenario/types.js';
import { ClusterClient } from './client.js';
import { ScenarioContext } from './context.js';
import { InfraError, errorMessage } from './errors.js';
import type { Reporters, StepError, StepResult, TestInfo, TestResult, Verdict } from './events.js';
import { Executor, blameCrash, classify } from './executor.js';
import { History } from './history.js';
import { runChecks } from './checks.js';
import { formatTimestamp } from '../scenario/time.js';
import type { Rng } from './rng.js';
import type { PlannedRound } from './nemesis/schedule.js';
import { setupTasks } from './setup.js';
import { PlanError, planScenario, type RunPlan } from './plan.js';
import { preparations, scenarioNeeds, unsupportedReason } from './capabilities.js';

export interface ScenarioRunOptions {
  runId: string;
  info: TestInfo;
  rng: Rng;
  driver: Driver;
  events: Reporters;
  logDir: string;
  keep: boolean;
  signal: AbortSignal;
  /** Nemesis schedules to run as recorded (phantom-test replay), by step path. */
  recorded?: ReadonlyMap<string, PlannedRound[]>;
  /**
   * The cluster is shared with other scenarios (cluster.reuse): started by an earlier one
   * when reused, and given back at teardown instead of being stopped.
   */
  shared?: { reused: boolean; name: string; release(): Promise<TeardownReport> };
}

export async function runScenario(scenario: Scenario, o: ScenarioRunOptions): Promise<TestResult> {
  const doc = scenario.doc;
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  o.events.onTestBegin(o.info);
  const history = new History(o.info.name, (e) => o.events.onOperation(e));
  // Worked out before anything starts; validate accepts only scenarios that plan.
  let plan: RunPlan;
  try {
    plan = planScenario(scenario);
  } catch (e) {
    return unplannable(scenario, o, e, startedAt, t0);
  }
  const client = new ClusterClient(history, doc.cluster?.token ?? o.driver.token);
  const ctx = new ScenarioContext(scenario, o.info, o.runId, o.driver, client, history, o.rng, o.signal, plan.stepTimeoutMs);
  for (const [path, rounds] of o.recorded ?? []) ctx.recordedSchedules.set(path, rounds);
  const exec = new Executor(ctx, o.info, o.events);
  // Decided before the cluster starts: a driver that cannot do what the scenario asks skips it.
  const unsupported = scenario.skip ?? unsupportedReason(scenario, o.driver);
  if (unsupported) return skippedScenario(scenario, o, exec, unsupported, startedAt, t0);
  const setup: StepResult[] = [];
  const steps: StepResult[] = [];
  let verdict: Verdict = 'passed';
  let error: StepError | undefined;
  let readyMs: number | null = null;

  const record = (r: StepResult, into: StepResult[]) => {
    into.push(r);
    if (r.status === 'passed') return true;
    verdict = r.error?.type === 'interrupted' ? 'interrupted' : r.status === 'error' ? 'error'
      : r.status === 'inconclusive' ? 'inconclusive' : r.error?.type === 'unsupported' ? 'skipped' : 'failed';
    error ??= r.error;
    return false;
  };

  try {
    // Cluster start is a setup step of its own, so its timing shows in every report.
    const nodeCount = plural(topologyNodes(doc.cluster).filter((n) => n.start !== false).length, 'node');
    const up = o.shared?.reused ? await timed('setup.0', 'cluster', `reuse ${o.shared.name} (${nodeCount}, ${o.driver.name} driver)`, 0, o, ctx, async () => {
      return { reused: o.shared!.name, nodes: o.driver.nodes().map((n) => ({ id: n.id, url: n.url, pid: n.pid })) };
    }) : await timed('setup.0', 'cluster', `start ${nodeCount} (${o.driver.name} driver${o.shared ? `, ${o.shared.name}` : ''})`, 0, o, ctx, async () => {
      const t = performance.now();
      const nodes = await history.op({ f: 'start_cluster', node: null, step: 'setup.0' }, () => o.driver.start({
        nodes: topologyNodes(doc.cluster).map((n) => ({ id: n.id, start: n.start !== false, args: [...(doc.cluster?.args ?? []), ...(n.args ?? [])], env: { ...(doc.cluster?.env ?? {}), ...(n.env ?? {}) } })),
        token: doc.cluster?.token, logFormat: doc.cluster?.log_format, readyTimeoutMs: plan.readyTimeoutMs,
        logDir: o.logDir, signal: o.signal, prepare: preparations(scenario),
        network: scenarioNeeds(scenario).some((n) => n.capability === 'network'),
        // A stream of its own: jitter draws (one per chunk, as traffic flows) never shift the
        // scenario's other seeded choices.
        random: ((jitter) => () => jitter.float())(o.rng.derive('driver')),
      }), { okValue: (ns) => ns.map((n) => ({ id: n.id, url: n.url })) });
      readyMs = Math.round((performance.now() - t) * 10) / 10;
      return { ready_ms: readyMs, nodes: nodes.map((n) => ({ id: n.id, url: n.url, pid: n.pid })) };
    });
    let ok = record(up, setup);
    let i = 1;
    const setupSignal = AbortSignal.any([o.signal, o.driver.crashed]);
    for (const task of ok ? setupTasks(ctx) : []) {
      const path = `setup.${i++}`;
      ok = record(await timed(path, 'setup', task.label, 0, o, ctx, () => task.run(ctx, path, setupSignal)), setup);
      if (!ok) break;
    }
    for (const [index, step] of doc.steps.entries()) {
      if (!ok || o.signal.aborted) {
        if (o.signal.aborted && verdict === 'passed') verdict = 'interrupted';
        steps.push(skipped(exec, step, String(index), scenario.where(['steps', index])));
        continue;
      }
      ok = record(await exec.run(step, String(index), 0, ['steps', index]), steps);
    }
    // The history checkers judge a run whose steps all passed (src/engine/checks.ts).
    if (ok && !o.signal.aborted && doc.check?.length) {
      for (const r of runChecks(doc.check, history.all(), o.info, o.events)) record(r, steps);
    }
    // A node that crashed after the last step finished still makes the run untrustworthy.
    if (verdict === 'passed' && !o.signal.aborted) {
      await o.driver.noticeExits();
      if (o.driver.crashed.aborted) {
        const crash = o.driver.crashed.reason as InfraError;
        verdict = 'error';
        error = { type: 'infrastructure', message: crash.message, log_tail: crash.detail.logTail };
      }
    }
  } catch (e) {
    verdict = 'error';
    error = { type: 'infrastructure', message: errorMessage(e) };
  }

  // Teardown: undo what must be undone, then stop everything.
  const td0 = performance.now();
  const problems: string[] = [];
  for (const f of ctx.activeFaults.reverse()) {
    try { await f.undo?.(); } catch (e) { problems.push(`undo ${f.action} on ${f.target}: ${errorMessage(e)}`); }
  }
  let kept = false;
  let notes: string[] | undefined;
  const nodes = o.driver.nodes();
  try {
    const report = o.shared ? await o.shared.release() : await o.driver.teardown({ keep: o.keep });
    problems.push(...report.problems);
    kept = report.kept;
    notes = report.notes;
  } catch (e) {
    problems.push(`teardown: ${errorMessage(e)}`);
  }
  await client.close();
  const result: TestResult = {
    info: o.info, verdict, started_at: startedAt, duration_ms: Math.round(performance.now() - t0), ready_ms: readyMs,
    setup, steps, teardown: { duration_ms: Math.round(performance.now() - td0), problems, kept, ...(notes?.length ? { notes } : {}) },
    ...((verdict as Verdict) === 'skipped' ? { skip_reason: error?.message } : error ? { error } : {}), nodes,
    resolved: resolved(ctx),
    history_count: history.all().length,
  };
  await o.events.onTestEnd(o.info, result);
  return result;
}

/** A scenario that cannot be prepared: nothing is started, and the message says where. */
async function unplannable(scenario: Scenario, o: ScenarioRunOptions, e: unknown, startedAt: string, t0: number): Promise<TestResult> {
  const where = e instanceof PlanError ? `${scenario.where(e.path)}: ` : '';
  const result: TestResult = {
    info: o.info, verdict: 'error', started_at: startedAt, duration_ms: Math.round(performance.now() - t0), ready_ms: null,
    setup: [], steps: [], teardown: { duration_ms: 0, problems: [], kept: false },
    error: { type: 'infrastructure', message: `${where}cannot prepare the scenario (validate should have rejected it; please report): ${errorMessage(e)}` },
    nodes: [], resolved: {}, history_count: 0,
  };
  await o.events.onTestEnd(o.info, result);
  return result;
}

/** A scenario the driver cannot run: nothing starts, every step is skipped with the reason. */
async function skippedScenario(scenario: Scenario, o: ScenarioRunOptions, exec: Executor, reason: string, startedAt: string, t0: number): Promise<TestResult> {
  const result: TestResult = {
    info: o.info, verdict: 'skipped', skip_reason: reason, started_at: startedAt, duration_ms: Math.round(performance.now() - t0), ready_ms: null,
    setup: [], steps: scenario.doc.steps.map((s, i) => skipped(exec, s, String(i), scenario.where(['steps', i]))),
    teardown: { duration_ms: 0, problems: [], kept: false }, nodes: [], resolved: {}, history_count: 0,
  };
  await o.events.onTestEnd(o.info, result);
  return result;
}

/** Runs a setup task as a reported step. */
async function timed(path: string, kind: string, label: string, depth: number, o: ScenarioRunOptions, ctx: ScenarioContext, fn: () => Promise<unknown>): Promise<StepResult> {
  const info = { path, kind, label, depth };
  o.events.onStepBegin(o.info, info);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const io0 = ctx.history.ioMs;
  let output: unknown;
  let status: StepResult['status'] = 'passed';
  let error: StepError | undefined;
  try {
    output = await fn();
  } catch (e) {
    const cause = await blameCrash(o.driver, e, o.signal.aborted);
    ({ status, error } = classify(cause, { interrupted: o.signal.aborted, timedOut: false, timeoutMs: 0 }));
    // A cluster that cannot start is the runner's problem (exit 3), not a verdict on the system.
    if (!o.signal.aborted && (e instanceof InfraError || kind === 'cluster')) { status = 'error'; error = { ...error, type: 'infrastructure' }; }
  }
  const duration = performance.now() - t0;
  const r: StepResult = {
    ...info, status, verifies: false, started_at: startedAt, duration_ms: Math.round(duration * 10) / 10,
    overhead_ms: Math.round(Math.max(0, duration - (ctx.history.ioMs - io0)) * 1000) / 1000,
    ...(error ? { error } : {}), ...(output !== undefined ? { output } : {}),
  };
  o.events.onStepEnd(o.info, r);
  return r;
}

function skipped(exec: Executor, step: Parameters<Executor['label']>[0], path: string, where: string): StepResult {
  const kind = stepKind(step) ?? 'step';
  return { path, kind, label: exec.label(step), depth: 0, where, status: 'skipped', verifies: false, started_at: new Date().toISOString(), duration_ms: 0, overhead_ms: 0 };
}

function resolved(ctx: ScenarioContext): Record<string, unknown> {
  return {
    anchors: Object.fromEntries([...ctx.anchors].map(([k, v]) => [k, { time: formatTimestamp(v), ns: v.toString() }])),
    vars: ctx.doc.vars ?? {},
    picks: Object.fromEntries(ctx.picks),
    shards: Object.fromEntries(ctx.shards),
    nodes: ctx.driver.nodes().map((n) => ({ id: n.id, url: n.url, port: n.port, log: n.log })),
    scenario: ctx.doc,
  };
}

export function logDirFor(reportDir: string | null, scenarioSlug: string, single: boolean, fallback: string): string {
  if (!reportDir) return join(fallback, scenarioSlug);
  return single ? join(reportDir, 'logs') : join(reportDir, 'logs', scenarioSlug);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
