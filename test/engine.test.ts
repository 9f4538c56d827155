// The engine and every step kind against a real process cluster of the reference
// server (a missing build fails the file: see helpers.ts).
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarios } from '../src/scenario/loader.js';
import { runScenarios } from '../src/engine/run.js';
import type { HistoryEntry } from '../src/engine/history.js';
import type { StepResult } from '../src/engine/events.js';
import { FIXTURES, pidsWith, readJson } from './helpers.js';

const base = mkdtempSync(join(tmpdir(), 'phantom-engine-spec-'));
process.env.PHANTOM_TEST_STATE_DIR = join(base, 'state');
t.teardown(() => rmSync(base, { recursive: true, force: true }));

async function run(file: string, seed = 11) {
  const { scenarios, diagnostics } = await loadScenarios([join(FIXTURES, 'engine', file)]);
  if (diagnostics.length) throw new Error(JSON.stringify(diagnostics));
  const ops: HistoryEntry[] = [];
  const result = await runScenarios(scenarios, {
    seed, driver: 'process', out: join(base, 'reports'), reporters: ['json', 'junit'], keep: false, bail: false,
    argv: [], signal: new AbortController().signal, extraReporters: [{ onOperation: (e) => ops.push(e) }],
  });
  return { result, ops, test: result.tests[0]! };
}

const flat = (steps: StepResult[]): StepResult[] => steps.flatMap((s) => [s, ...flat(s.children ?? [])]);

t.test('a pause ended by kill or stop is not undone again at teardown', async (t) => {
  const { result, test } = await run('pause-then-kill.yaml');
  t.equal(test.verdict, 'passed');
  t.same(test.teardown.problems, [], 'teardown found nothing left to resume');
  t.equal(result.exit_code, 0, 'a clean run is not a cleanup failure (exit 4)');
});

t.test('int64 and uint64 beyond 2^53 compare exactly in json, jsonl and csv', async (t) => {
  const { test } = await run('big-integers.yaml');
  t.same(test.steps.slice(0, -1).map((s) => s.status), Array(8).fill('passed'), 'exact values pass and off-by-one values are excluded');
  const last = test.steps.at(-1)!;
  t.equal(last.status, 'failed', 'an expectation off by one fails');
  t.match(last.error?.diff, /^- \{i: 9007199254740992,/m, 'the diff shows the expected value exactly');
  t.match(last.error?.diff, /^\+ \{i: "9007199254740993",/m, 'and the returned one');
});

t.test('every step kind passes on a real cluster', async (t) => {
  const { result, ops, test } = await run('every-step.yaml');
  const failed = flat([...test.setup, ...test.steps]).filter((s) => s.status !== 'passed');
  t.same(failed.map((s) => `${s.path} ${s.label}: ${s.error?.message}`), [], 'no step failed');
  t.equal(result.exit_code, 0);
  t.equal(test.verdict, 'passed');
  const kinds = new Set(flat(test.steps).map((s) => s.kind));
  t.same([...kinds].sort(), ['add_node', 'admin', 'await', 'consistency', 'expect_catalog', 'fault', 'parallel', 'query', 'wait', 'write']);
  const faults = test.steps.filter((s) => s.kind === 'fault').map((s) => (s.output as { action: string }).action);
  t.same([...new Set(faults)].sort(), ['kill', 'pause', 'restart', 'resume', 'start', 'stop'], 'all six faults ran');

  // The history: each invoke has exactly one completion, in order.
  const invokes = ops.filter((o) => o.type === 'invoke');
  const completions = ops.filter((o) => o.type !== 'invoke');
  t.equal(invokes.length, completions.length, 'every invoke completes');
  t.ok(completions.every((c) => ops[c.invoke_index]!.type === 'invoke' && ops[c.invoke_index]!.f === c.f), 'completions point at their invoke');
  t.ok(ops.some((o) => o.f === 'kill' && o.type === 'ok'), 'faults are in the history');
  // A partial write stored its good lines: ok, with the lines the server refused (docs/history.md).
  t.ok(ops.some((o) => o.f === 'write' && o.type === 'ok' && Array.isArray((o.value as { rejected_lines?: unknown })?.rejected_lines)), 'the partial write is ok with its rejected lines');

  // Picks landed in the named shards; shard ids came back from the cluster.
  const resolved = test.resolved as { picks: Record<string, string>; shards: Record<string, { id: number }> };
  t.match(resolved.picks, { low: /^host-\d+$/, high: /^srv\d+$/ });
  t.type(resolved.shards.LOW!.id, 'number');

  // Timing: the engine's own share of a step is small.
  const own = flat(test.steps).filter((s) => s.kind === 'query').map((s) => s.overhead_ms);
  t.ok(own.length > 5 && Math.max(...own) < 50, `engine overhead per query step under 50 ms (max ${Math.max(...own)})`);
  t.ok(test.ready_ms! > 0 && test.ready_ms! < 15_000, `cluster ready in ${test.ready_ms} ms`);

  // Nothing left behind.
  for (const n of test.nodes) {
    t.notOk(existsSync(n.dataDir!), `data dir of ${n.id} removed`);
    t.same(pidsWith(n.dataDir!), [], `node ${n.id} stopped`);
  }
  t.same(test.teardown.problems, []);
  const journal = readJson(join(result.run.report_dir!, 'journal.json'));
  t.equal(journal.format, 'phantom-test/journal');
  t.equal(journal.version, 1);
  t.equal(journal.seed, 11);
  t.equal(journal.scenarios[0].steps.length, test.steps.length);
});

t.test('the same seed makes the same random choices, and the seed decides them', async (t) => {
  const victim = async (seed: number) => {
    const { test } = await run('random-kill.yaml', seed);
    t.equal(test.verdict, 'passed', `seed ${seed} passes${test.error ? `: ${JSON.stringify(test.error).slice(0, 800)}` : ''}`);
    return (test.steps[0]!.output as { nodes: string[] }).nodes[0]!;
  };
  const bySeed = new Map<number, string>();
  for (const seed of [1, 2, 3, 4, 5, 6]) bySeed.set(seed, await victim(seed));
  t.equal(await victim(5), bySeed.get(5), `seed 5 kills ${bySeed.get(5)} again`);
  t.ok(new Set(bySeed.values()).size > 1, `six seeds do not all pick the same node: ${[...bySeed.values()]}`);
});

t.test('a wrong expectation fails with a diff; later steps are skipped', async (t) => {
  const { result, test } = await run('fails-rows.yaml');
  t.equal(result.exit_code, 1);
  t.equal(test.verdict, 'failed');
  const bad = test.steps[1]!;
  t.equal(bad.status, 'failed');
  t.match(bad.error, { type: 'verification', message: /rows differ/, where: /fails-rows\.yaml:7:5$/, diff: /(?=[\s\S]*^- \{host: "y")(?=[\s\S]*^\+ \{host: "x")/m }); // both sides of the diff
  t.equal(test.steps[2]!.status, 'skipped');
  t.same(test.teardown.problems, []);
});

t.test('an await that never holds fails after its timeout, with attempts', async (t) => {
  const { result, test } = await run('fails-await.yaml');
  t.equal(result.exit_code, 1);
  const a = test.steps[1]!;
  t.equal(a.status, 'failed');
  t.match(a.error!.message, /still not true after 3s \(\d+ attempts\): query via a: expected 5 row\(s\), got 1/);
  // Retried (a query answers in milliseconds; 3 s leaves room for a loaded machine), and
  // gave up rather than hung: bounds that hold on a busy machine, not timings.
  t.ok(a.attempts! >= 2, `${a.attempts} attempts`);
  t.ok(a.duration_ms >= 2900 && a.duration_ms < 15_000, `gave up after its timeout (${a.duration_ms} ms)`);
});
