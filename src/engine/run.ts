// A run: several scenarios, one seed, one report folder. Reaps what earlier killed
// runs left, runs each scenario on a fresh cluster (or a shared one: cluster.reuse),
// up to --jobs at once, and maps the outcome onto the exit codes of DESIGN.md.

import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createDriver, reaperFor } from '../drivers/index.js';
import type { Driver } from '../drivers/driver.js';
import type { Scenario } from '../scenario/types.js';
import { ConsoleReporter } from '../reporters/console.js';
import { GithubReporter } from '../reporters/github.js';
import { ScenarioBlocks } from '../reporters/scenario-blocks.js';
import { HistoryReporter } from '../reporters/history.js';
import { HtmlReporter } from '../reporters/html.js';
import { JournalReporter } from '../reporters/journal.js';
import { JunitReporter } from '../reporters/junit.js';
import { createRunDir, linkLatest, newRunId } from '../reporters/run-dir.js';
import { PACKAGE_ROOT, stateDir } from '../util/paths.js';
import { Reporters, type Reporter, type RunInfo, type RunResult, type TestResult } from './events.js';
import { Rng, randomSeed } from './rng.js';
import type { ShardRecord } from './shard.js';
import { logDirFor, runScenario } from './scenario-runner.js';
import { SharedClusters } from './shared-clusters.js';
import { reuseKey } from '../scenario/reuse.js';
import type { ReplayScenario } from './nemesis/replay.js';
import type { ExternalCluster } from '../drivers/external/cluster-file.js';

export const EXIT = { passed: 0, failed: 1, invalid: 2, infra: 3, cleanup: 4, interrupted: 130 } as const;

export interface RunOptions {
  seed?: number;
  driver: string;
  /** Report root (reports/); null writes no files. */
  out: string | null;
  reporters: string[];
  keep: boolean;
  bail: boolean;
  server?: string;
  /** Extra arguments for every node of every cluster (`--server-arg`). */
  serverArgs?: string[];
  argv: string[];
  signal: AbortSignal;
  consoleStream?: NodeJS.WriteStream;
  /** Makes each scenario's driver (tests); default: the driver named by `driver`. */
  createDriver?: typeof createDriver;
  /** Scenarios run at once, each on its own cluster (default 1). */
  jobs?: number;
  /** Extra listeners (tests, benchmarks). */
  extraReporters?: Reporter[];
  /** --shard: recorded in the journal (the scenarios are already this shard's). */
  shard?: ShardRecord;
  /** phantom-test replay: each recorded scenario's seed and nemesis schedules, by file. */
  replay?: Map<string, ReplayScenario>;
  /** --driver external: the attached cluster (--cluster-file). */
  external?: ExternalCluster;
  /** --repeat/--seeds: run every scenario once per run seed (src/engine/seeds.ts). */
  seeds?: number[];
}

export function toolVersion(): string {
  try { return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version; } catch { return '0.0.0'; }
}

/** Drivers of the run in progress, killed synchronously if the process exits abruptly. */
const live = new Set<Driver>();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => { for (const d of live) d.emergencyKill(); });
}

export async function runScenarios(scenarios: Scenario[], o: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const runId = newRunId();
  const seed = o.seeds?.[0] ?? o.seed ?? randomSeed();
  const reportDir = o.out ? createRunDir(o.out, runId) : null;
  const list: Reporter[] = [];
  // A repeated run is a run of every scenario once per seed, each repetition its own test case.
  const units = scenarios.flatMap((scenario) => (o.seeds ?? [undefined]).map((runSeed) => ({ scenario, runSeed })));
  const jobs = Math.max(1, Math.min(o.jobs ?? 1, units.length));
  // Scenarios running at once print as whole blocks, each when it ends (no live line).
  if (o.reporters.includes('console')) {
    list.push(jobs > 1 ? new ScenarioBlocks(new ConsoleReporter({ stream: o.consoleStream, live: false })) : new ConsoleReporter({ stream: o.consoleStream }));
  }
  if (o.reporters.includes('github')) list.push(new GithubReporter({ stream: o.consoleStream }));
  if (reportDir) {
    // The history and report.html are part of the run's record whenever files are written.
    list.push(new HistoryReporter(reportDir));
    list.push(new HtmlReporter(reportDir, toolVersion()));
    if (o.reporters.includes('json')) list.push(new JournalReporter(reportDir, toolVersion()));
    if (o.reporters.includes('junit')) list.push(new JunitReporter(reportDir));
  }
  list.push(...(o.extraReporters ?? []));
  const events = new Reporters(list);
  const run: RunInfo = {
    run_id: runId, seed, driver: o.driver, started_at: new Date().toISOString(), report_dir: reportDir,
    files: [...new Set(scenarios.map((s) => s.file))], argv: o.argv, ...(o.shard ? { shard: o.shard } : {}), ...(o.seeds ? { seeds: o.seeds } : {}),
  };
  await events.onBegin(run);
  if (jobs > 1) events.onLog(`running up to ${jobs} scenarios at once, each on its own cluster`);
  installExitHook();

  {
    for (const r of await reaperFor(o.driver).reapOrphans()) {
      events.onLog(`reaped run ${r.run_id} left by a killed runner: ${r.killed.length} node(s) killed, ${r.removed.length} temp dir(s) removed${r.problems.length ? `; problems: ${r.problems.join('; ')}` : ''}`);
    }
  }

  const rng = new Rng(seed);
  const makeDriver = (id: string) => (o.createDriver ?? createDriver)(o.driver, { runId: `${runId}-${id}`, server: o.server, serverArgs: o.serverArgs, ...(o.external ? { external: o.external } : {}) });
  const logRoot = join(stateDir(), 'logs', runId);
  const slugs = uniqueSlugs(units.map((u) => slugify(fileKey(u.scenario) + (u.scenario.variant ?? '') + (u.runSeed === undefined ? '' : `-seed-${u.runSeed}`))));
  const shared = new SharedClusters(makeDriver, live);
  // An attached cluster (external) is never reset wholesale, which drops every database: it may
  // hold its owner's data. Each scenario drops only what it created (drivers/external).
  const reuseKeys = units.map((u) => (o.driver === 'external' ? undefined : reuseKey(u.scenario.doc.cluster)));
  /** Reusing scenarios not started yet, per key: a shared cluster is kept only for them. */
  const waitingFor = new Map<string, number>();
  for (const k of reuseKeys) if (k) waitingFor.set(k, (waitingFor.get(k) ?? 0) + 1);
  // Up to `jobs` scenarios at once, taken in declared order; results keep that order.
  const results: TestResult[] = [];
  /** Cleanup problems of the run's shared clusters outside any scenario's teardown: exit 4. */
  const runProblems: string[] = [];
  let started = 0;
  let stopStarting = false;
  const runOne = async (index: number): Promise<TestResult> => {
    const { scenario, runSeed } = units[index]!;
    // A replay takes the recorded scenario seed as is (its folder may be named differently here).
    const recorded = o.replay?.get(scenario.file);
    // A repetition derives as a run with --seed <runSeed> would, so that command replays it.
    const scenarioRng = recorded ? new Rng(recorded.seed) : (runSeed === undefined ? rng : new Rng(runSeed)).derive(fileKey(scenario));
    const seedTag = runSeed === undefined ? '' : ` [seed=${runSeed}]`;
    const variant = (scenario.variant ?? '') + seedTag;
    const info = {
      file: scenario.file, name: scenario.doc.name + seedTag, description: scenario.doc.description, seed: scenarioRng.seed, index,
      ...(runSeed === undefined ? {} : { run_seed: runSeed, base_name: scenario.doc.name }), ...(variant ? { variant } : {}),
    };
    const base = { runId, rng: scenarioRng, events, keep: o.keep, signal: o.signal, info, ...(recorded ? { recorded: recorded.schedules } : {}) };
    const key = reuseKeys[index];
    if (key) {
      waitingFor.set(key, waitingFor.get(key)! - 1);
      const lease = shared.acquire(key, scenario.doc.cluster?.token);
      let released = false;
      const release = async () => {
        released = true;
        const more = waitingFor.get(key)! > 0 && !stopStarting;
        const r = await lease.release({ more, keep: o.keep, signal: o.signal });
        if (r.retired) events.onLog(`${r.retired} (after ${scenario.file})`);
        return r;
      };
      const result = await runScenario(scenario, {
        ...base, driver: lease.driver, shared: { reused: lease.reused, name: lease.name, release },
        logDir: logDirFor(reportDir, lease.name.replace(/ /g, '-'), false, logRoot),
      });
      // A scenario skipped before its cluster started still gives the cluster back.
      if (!released) runProblems.push(...(await release()).problems);
      return result;
    }
    const driver = makeDriver(String(index));
    live.add(driver);
    try {
      return await runScenario(scenario, { ...base, driver, logDir: logDirFor(reportDir, slugs[index]!, units.length === 1, logRoot) });
    } finally {
      live.delete(driver);
    }
  };
  const worker = async () => {
    while (!stopStarting && !o.signal.aborted && started < units.length) {
      const index = started++;
      const r = await runOne(index);
      results[index] = r;
      // --bail: start nothing more; scenarios already running finish.
      if (o.bail && r.verdict !== 'passed' && r.verdict !== 'skipped') stopStarting = true;
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: jobs }, worker));
  // Shared clusters whose next scenario never started (--bail, Ctrl-C), or left by a crash.
  runProblems.push(...await shared.closeAll(o.keep));
  for (const p of runProblems) events.onLog(`cleanup: ${p}`);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  const tests = results.slice(0, started);

  // What never started still belongs in the reports (JUnit lists it as skipped).
  const bailed = !o.signal.aborted && tests.length < units.length;
  const not_run = units.slice(tests.length).map(({ scenario: s, runSeed }) => ({
    file: s.file, name: s.doc.name + (runSeed === undefined ? '' : ` [seed=${runSeed}]`), reason: bailed ? 'not run: --bail stopped the run after a scenario that did not pass' : 'not run: the run was interrupted',
  }));
  const interrupted = o.signal.aborted || tests.some((t) => t.verdict === 'interrupted');
  const cleanupFailed = runProblems.length > 0 || tests.some((t) => t.teardown.problems.length > 0);
  const errored = tests.some((t) => t.verdict === 'error');
  // An unconfirmed fault proves nothing either way: it fails the run like a failed check.
  const failed = tests.some((t) => t.verdict === 'failed' || t.verdict === 'inconclusive');
  const exit_code = interrupted ? EXIT.interrupted : cleanupFailed ? EXIT.cleanup : errored ? EXIT.infra : failed ? EXIT.failed : EXIT.passed;
  const verdict: RunResult['verdict'] = interrupted ? 'interrupted' : cleanupFailed ? 'cleanup_failed' : errored ? 'error' : failed ? 'failed' : 'passed';
  const result: RunResult = { run, tests, not_run, exit_code, verdict, finished_at: new Date().toISOString(), duration_ms: Math.round(performance.now() - t0) };
  await events.onEnd(result);
  if (o.out && reportDir) linkLatest(o.out, runId);
  return result;
}

/** A scenario's name within the run (its seed derives from it): the path from the working directory. */
function fileKey(s: Scenario): string {
  return relative(process.cwd(), s.file) || s.file;
}

/** Log folders never shared: a second a/b.yaml vs a_b.yaml gets a suffix. */
function uniqueSlugs(slugs: string[]): string[] {
  const seen = new Set<string>();
  return slugs.map((s, i) => {
    const slug = seen.has(s) ? `${s}-${i}` : s;
    seen.add(slug);
    return slug;
  });
}

function slugify(s: string): string {
  return s.replace(/\.ya?ml$/, '').replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '') || 'scenario';
}
