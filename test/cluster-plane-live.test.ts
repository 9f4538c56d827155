// Runner support for issue 8 on real reference-server processes: ${shards.<table>.N...}
// names shards the writes created, shards: {some, every, none} judges them, a node
// registered through the API and deleted is absent, and a condition that does not hold
// fails naming every shard it saw.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarios } from '../src/scenario/loader.js';
import { runScenarios } from '../src/engine/run.js';
import { FIXTURES } from './helpers.js';

const base = mkdtempSync(join(tmpdir(), 'phantom-cluster-plane-'));
process.env.PHANTOM_TEST_STATE_DIR = join(base, 'state');
t.teardown(() => rmSync(base, { recursive: true, force: true }));

async function run(file: string) {
  const { scenarios, diagnostics } = await loadScenarios([join(FIXTURES, 'engine', file)]);
  if (diagnostics.length) throw new Error(JSON.stringify(diagnostics));
  const result = await runScenarios(scenarios, {
    seed: 5, driver: 'process', out: join(base, 'reports'), reporters: ['json'], keep: false, bail: false,
    argv: [], signal: new AbortController().signal,
  });
  return result.tests[0]!;
}

t.test('automatic shards by ${shards.<table>.N}, shard conditions, an API-registered node absent after DELETE', async (t) => {
  const test = await run('cluster-plane-live.yaml');
  t.same(test.steps.filter((s) => s.status !== 'passed').map((s) => `${s.path} ${s.label}: ${s.error?.message}`), []);
  t.equal(test.verdict, 'passed');
  const first = test.steps.find((s) => s.label.startsWith('the first automatic shard'))!;
  t.match(first.output, { status: 200, body: { id: Number, table: 'auto' } }, 'the template named a shard the write created');
});

t.test('a shard condition that does not hold fails with every shard it saw', async (t) => {
  const test = await run('cluster-plane-live-fails.yaml');
  t.equal(test.verdict, 'failed');
  const failed = test.steps.find((s) => s.status === 'failed')!;
  t.match(failed.error?.message, /^catalog via a, db1\.auto: no shard matches \{"node_ids_include":\["a","b","c"\]\} \(#1 db1\.auto \[\w\] Stable; #2 db1\.auto \[\w\] Stable\)$/);
  t.match(failed.error?.where, /cluster-plane-live-fails\.yaml:11:5$/);
});

t.test('a live name is fetched inside its step: within its timeout, after it begins, a timeout reported as one', async (t) => {
  const test = await run('live-names-timeout.yaml');
  t.same(test.steps.slice(0, 2).map((s) => s.status), ['passed', 'passed'], 'two leaders in turn are killed');
  const step = test.steps[2]!;
  t.equal(step.status, 'failed');
  t.match(step.error, { type: 'timeout', message: 'step timed out after 2 s' });
  t.ok(step.duration_ms >= 1900, `the fetch ran inside the step (${step.duration_ms} ms)`);
  t.equal(step.label, 'the catalog state via the leader, when none can be elected');
});
