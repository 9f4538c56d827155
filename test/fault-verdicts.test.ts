// Verdicts about faults and timing, against real processes: a fault the driver lacks
// the capability for skips its scenario before anything starts (exit 0, the reason in
// every report); a fault whose witness cannot confirm it took effect is inconclusive
// (exit 1, "fault not confirmed"); expect_duration fails a step outside its bounds.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarios } from '../src/scenario/loader.js';
import { runScenarios, type RunOptions } from '../src/engine/run.js';
import { createDriver } from '../src/drivers/index.js';
import type { Capability } from '../src/drivers/driver.js';
import type { HistoryEntry } from '../src/engine/history.js';
import { FIXTURES, pidsWith, readJson } from './helpers.js';

const base = mkdtempSync(join(tmpdir(), 'phantom-fault-verdicts-'));
process.env.PHANTOM_TEST_STATE_DIR = join(base, 'state');
t.teardown(() => rmSync(base, { recursive: true, force: true }));

async function run(files: string[], extra: Partial<RunOptions> = {}) {
  const { scenarios, diagnostics } = await loadScenarios(files.map((f) => join(FIXTURES, 'engine', f)));
  if (diagnostics.length) throw new Error(JSON.stringify(diagnostics));
  const ops: HistoryEntry[] = [];
  let console = '';
  const stream = { write: (s: string) => { console += s; return true; }, isTTY: false, columns: 120 } as unknown as NodeJS.WriteStream;
  const result = await runScenarios(scenarios, {
    seed: 5, driver: 'process', out: join(base, 'reports'), reporters: ['console', 'json', 'junit'], keep: false, bail: false,
    argv: [], signal: new AbortController().signal, consoleStream: stream, extraReporters: [{ onOperation: (e) => ops.push(e) }], ...extra,
  });
  const dir = result.run.report_dir!;
  return { result, ops, console, journal: readJson(join(dir, 'journal.json')), junit: readFileSync(join(dir, 'junit.xml'), 'utf8') };
}

/** The process driver, minus some capabilities: what a driver that cannot do them looks like. */
const without = (...lack: Capability[]): RunOptions['createDriver'] => (name, o) => {
  const d = createDriver(name, o);
  Object.defineProperty(d, 'capabilities', { value: new Set([...d.capabilities].filter((c) => !lack.includes(c))) });
  return d;
};

t.test('a fault the driver cannot perform skips the scenario with the reason, exit 0', async (t) => {
  let started = 0;
  const { result, console, journal, junit } = await run(['kill-needs-processes.yaml'], {
    createDriver: (name, o) => { const d = without('processes')!(name, o); const start = d.start.bind(d); d.start = (x) => { started++; return start(x); }; return d; },
  });
  const test = result.tests[0]!;
  t.equal(test.verdict, 'skipped');
  t.match(test.skip_reason, /the process driver cannot do fault "kill" \(at .*kill-needs-processes\.yaml:8:9\): it needs the "processes" capability/);
  t.equal(started, 0, 'decided before the cluster starts');
  t.equal(result.exit_code, 0, 'neither passed nor failed: the exit code is unaffected');
  t.ok(test.steps.every((s) => s.status === 'skipped'));
  t.match(console, /skipped .*needs the "processes" capability/, 'console shows the reason');
  t.match(console, /0 passed, 0 failed, 1 skipped/);
  t.equal(journal.scenarios[0].verdict, 'skipped');
  t.match(journal.scenarios[0].skip_reason, /"processes" capability/, 'journal shows the reason');
  t.match(junit, /<skipped message="skipped: the process driver cannot do fault &quot;kill&quot;/, 'JUnit shows it as skipped, with the reason');
  t.match(junit, /failures="0" errors="0" skipped="1"/);
});

t.test('the same scenario runs where the driver has the capability', async (t) => {
  const { result } = await run(['kill-needs-processes.yaml']);
  t.equal(result.tests[0]!.verdict, 'passed');
});

t.test('a pause that is witnessed passes, and the history has it as a nemesis op', async (t) => {
  const { result, ops } = await run(['pause-one.yaml']);
  const test = result.tests[0]!;
  t.equal(test.verdict, 'passed');
  t.match((test.steps[0]!.output as { witness: string }).witness, /a: GET \/health hung/);
  t.match((test.steps[1]!.output as { witness: string }).witness, /a: GET \/health answered 200/);
  const pause = ops.filter((o) => o.f === 'pause');
  t.same(pause.map((o) => [o.type, o.node, o.value]), [['invoke', null, ['a']], ['ok', null, ['a']]], 'f = kind, value = targets');
});

t.test('a pause whose witness cannot confirm it is inconclusive: exit 1, fault not confirmed', async (t) => {
  const server = join(FIXTURES, 'servers', 'serves-from-helper.mjs');
  const { result, console, journal, junit } = await run(['pause-one.yaml'], { server });
  const test = result.tests[0]!;
  const step = test.steps[0]!;
  t.equal(step.status, 'inconclusive');
  t.equal(step.error?.type, 'inconclusive');
  t.match(step.error?.message, /^fault not confirmed: pause a: node a to stop answering: within 5000 ms GET \/health still answered 200/);
  t.equal(test.steps[1]!.status, 'skipped', 'the scenario stops there');
  t.equal(test.verdict, 'inconclusive');
  t.equal(result.exit_code, 1, 'counts as a failure');
  t.equal(result.verdict, 'failed');
  t.same(test.teardown.problems, [], 'the pause was undone and the node stopped');
  t.match(console, /\? 0 pause a/);
  t.match(console, /fault not confirmed/);
  t.match(console, /0 passed, 0 failed, 1 inconclusive/);
  t.equal(journal.scenarios[0].steps[0].status, 'inconclusive');
  t.match(junit, /<failure message="fault not confirmed: pause a[^"]*" type="inconclusive">/, 'JUnit: a failure of type inconclusive');
  t.same(pidsWith(server), [], 'wrapper and helper are gone');
});

t.test('expect_duration: within bounds passes, too slow or too fast fails with expected vs measured', async (t) => {
  const { result, journal } = await run(['duration-within.yaml', 'duration-too-slow.yaml', 'duration-too-fast.yaml']);
  const [within, slow, fast] = result.tests;
  t.equal(within!.verdict, 'passed');
  t.equal(slow!.verdict, 'failed');
  t.match(slow!.steps[0]!.error, { type: 'duration', expected: '<= 100ms', message: /^step took 3\d\d(\.\d+)? ms, expected at most 100ms \(expect_duration\.max\)$/ });
  t.equal(fast!.verdict, 'failed');
  t.match(fast!.steps[0]!.error, { type: 'duration', expected: '>= 1s', message: /^step took \d+(\.\d+)? ms, expected at least 1s \(expect_duration\.min\)$/ });
  t.match(fast!.steps[0]!.error!.where, /duration-too-fast\.yaml:5:5$/, 'positioned at the step');
  t.equal(result.exit_code, 1);
  t.equal(journal.scenarios[1].steps[0].error.type, 'duration');
});

t.test('validate reads expect_duration like every duration, at file:line:col', async (t) => {
  const { loadScenarioFile } = await import('../src/scenario/loader.js');
  const r = await loadScenarioFile(join(FIXTURES, 'bad', 'expect-duration.yaml'));
  t.same(r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`), [
    '6:29: "-5ms" is not a duration (durations are not negative)',
    '8:22: min (2s) is longer than max (1s): no duration can meet both',
    '10:29: "0s" is zero: this duration must be longer than 0',
  ]);
});
