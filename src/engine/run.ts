// A run: several scenarios, one seed, one report folder. Reaps what earlier killed
// runs left, runs each scenario on a fresh cluster, and maps the outcome onto the
// exit codes of DESIGN.md.

import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createDriver, reaperFor } from '../drivers/index.js';
import type { Driver } from '../drivers/driver.js';
import type { Scenario } from '../scenario/types.js';
import { ConsoleReporter } from '../reporters/console.js';
import { GithubReporter } from '../reporters/github.js';
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
  argv: string[];
  signal: AbortSignal;
  consoleStream?: NodeJS.WriteStream;
  /** Makes each scenario's driver (tests); default: the driver named by `driver`. */
  createDriver?: typeof createDriver;
  /** Extra listeners (tests, benchmarks). */
  extraReporters?: Reporter[];
  /** --shard: recorded in the journal (the scenarios are already this shard's). */
  shard?: ShardRecord;
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
  const seed = o.seed ?? randomSeed();
  const reportDir = o.out ? createRunDir(o.out, runId) : null;
  const list: Reporter[] = [];
  if (o.reporters.includes('console')) list.push(new ConsoleReporter({ stream: o.consoleStream }));
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
    files: scenarios.map((s) => s.file), argv: o.argv, ...(o.shard ? { shard: o.shard } : {}),
  };
  await events.onBegin(run);
  installExitHook();

  {
    for (const r of await reaperFor(o.driver).reapOrphans()) {
      events.onLog(`reaped run ${r.run_id} left by a killed runner: ${r.killed.length} node(s) killed, ${r.removed.length} temp dir(s) removed${r.problems.length ? `; problems: ${r.problems.join('; ')}` : ''}`);
    }
  }

  const rng = new Rng(seed);
  const tests: TestResult[] = [];
  for (const [index, scenario] of scenarios.entries()) {
    if (o.signal.aborted) break;
    const key = relative(process.cwd(), scenario.file) || scenario.file;
    const scenarioRng = rng.derive(key);
    const slug = slugify(key);
    const driver = (o.createDriver ?? createDriver)(o.driver, { runId: `${runId}-${index}`, server: o.server });
    live.add(driver);
    try {
      tests.push(await runScenario(scenario, {
        runId, rng: scenarioRng, driver, events, keep: o.keep, signal: o.signal,
        info: { file: scenario.file, name: scenario.doc.name, description: scenario.doc.description, seed: scenarioRng.seed, index },
        logDir: logDirFor(reportDir, slug, scenarios.length === 1, join(stateDir(), 'logs', runId)),
      }));
    } finally {
      live.delete(driver);
    }
    const last = tests[tests.length - 1]!;
    if (o.bail && last.verdict !== 'passed' && last.verdict !== 'skipped') break;
  }

  // What never started still belongs in the reports (JUnit lists it as skipped).
  const bailed = !o.signal.aborted && tests.length < scenarios.length;
  const not_run = scenarios.slice(tests.length).map((s) => ({
    file: s.file, name: s.doc.name, reason: bailed ? 'not run: --bail stopped the run after a scenario that did not pass' : 'not run: the run was interrupted',
  }));
  const interrupted = o.signal.aborted || tests.some((t) => t.verdict === 'interrupted');
  const cleanupFailed = tests.some((t) => t.teardown.problems.length > 0);
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

function slugify(s: string): string {
  return s.replace(/\.ya?ml$/, '').replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '') || 'scenario';
}
