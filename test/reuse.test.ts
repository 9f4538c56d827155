// cluster: {reuse: true} with real reference-server clusters: compatible scenarios share
// one cluster started once, each finds it empty (the last one's databases dropped, even
// after a failure), another topology gets a cluster of its own, a cluster whose
// membership a scenario changed is replaced, and validate refuses what would leave a
// shared cluster in an unknown state.

import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, pidsWith, readJson, sandbox } from './helpers.js';

const fixture = (f: string) => join('test', 'fixtures', 'reuse', f);

interface Step { label: string; output?: { nodes?: Array<{ id: string; pid?: number }> } }
interface JournalScenario { file: string; verdict: string; setup: Step[]; nodes: Array<{ log: string }>; teardown: { problems: string[] } }

/** The pids of a scenario's nodes, as its cluster step reported them. */
const pidsOf = (s: JournalScenario) => (s.setup[0]?.output?.nodes ?? []).map((n) => n.pid).sort();

t.test('reusing scenarios share one cluster, emptied between them, even after a failure', async (t) => {
  const sb = sandbox(t);
  const files = ['a-writes.yaml', 'c-fails.yaml', 'b-reads.yaml', 'd-one-node.yaml'].map(fixture);
  const r = await cli(['run', ...files, '--out', sb.out, '--seed', '9'], { env: sb.env });
  t.equal(r.exitCode, 1, 'C fails on purpose');
  const journal = readJson(join(sb.out, 'latest', 'journal.json'));
  const [a, c, b, d] = journal.scenarios as JournalScenario[];
  t.same([a, c, b, d].map((s) => s!.verdict), ['passed', 'failed', 'passed', 'passed'], r.stdout);
  t.match(a!.setup[0]!.label, /^start 2 nodes \(process driver, shared cluster 1\)$/, 'A starts the shared cluster');
  t.match(c!.setup[0]!.label, /^reuse shared cluster 1 /, 'C reuses it');
  t.match(b!.setup[0]!.label, /^reuse shared cluster 1 /, 'B reuses it after C failed');
  t.match(d!.setup[0]!.label, /^start 1 node \(process driver, shared cluster 2\)$/, 'D, another topology, gets its own');
  t.equal(pidsOf(a!).length, 2);
  t.same(pidsOf(c!), pidsOf(a!), 'C ran on the very nodes A started');
  t.same(pidsOf(b!), pidsOf(a!), 'so did B');
  // Node starts, counted in the history: two clusters for four scenarios.
  const history = readFileSync(join(sb.out, 'latest', 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(history.filter((e) => e.f === 'start_cluster' && e.type === 'invoke').length, 2, 'the cluster was started twice: shared cluster 1 and 2');
  // B wrote to the same database and table as A and C and saw only its own row (its query
  // expects exactly that), so neither A's nor failed C's data leaked.
  t.ok([a, c, b, d].every((s) => s!.teardown.problems.length === 0));
  t.ok(a!.nodes.every((n) => n.log.includes(join('logs', 'shared-cluster-1'))), 'shared node logs have their own folder');
  t.same(readdirSync(join(sb.state, 'runs')), [], 'both shared clusters were stopped: no run record left');
  const temp = `phantom-${journal.run_id}-shared-`;
  t.same(pidsWith(temp), [], 'no node of a shared cluster is left');
});

t.test('a cluster a scenario changed is stopped, and the next reusing scenario starts a fresh one', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', fixture('e-removes-node.yaml'), fixture('b-reads.yaml'), '--out', sb.out], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  t.match(r.stdout, /shared cluster 1 stopped: membership changed: the catalog lists [ab] \(Active\), the cluster started with a,b; the next reusing scenario starts a fresh one/);
  const [e, b] = readJson(join(sb.out, 'latest', 'journal.json')).scenarios as JournalScenario[];
  t.match(e!.setup[0]!.label, /shared cluster 1\)$/);
  t.match(b!.setup[0]!.label, /^start 2 nodes \(process driver, shared cluster 2\)$/, 'B started a fresh shared cluster');
  t.notOk(existsSync(join(sb.state, 'runs')) && readdirSync(join(sb.state, 'runs')).length, 'nothing left running');
});

t.test('validate refuses faults, add_node and late nodes in a reusing scenario, each where it is', async (t) => {
  const r = await cli(['validate', fixture('bad-fault.yaml')]);
  t.equal(r.exitCode, 2);
  const out = r.stdout + r.stderr;
  t.match(out, /bad-fault\.yaml:4:33: node "c" starts later \(start: false\): with cluster\.reuse/);
  t.match(out, /bad-fault\.yaml:7:5: a fault in a scenario with cluster\.reuse leaves the shared cluster in a state the next scenario cannot trust; remove cluster\.reuse/);
  t.match(out, /bad-fault\.yaml:9:9: add_node in a scenario with cluster\.reuse/);
  const good = await cli(['validate', fixture('a-writes.yaml'), fixture('b-reads.yaml')]);
  t.equal(good.exitCode, 0, good.stdout + good.stderr);
});
