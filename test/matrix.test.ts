// matrix: one scenario file, one test case per combination of its values, expanded at
// load time. Names, counts and rewritten docs without a cluster; then one small matrix
// on real clusters (three starts), and the positioned errors of bad matrices (exit 2).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FIXTURES, cli, sandbox } from './helpers.js';
import { loadScenarios } from '../src/scenario/loader.js';
import { topologyNodes } from '../src/scenario/types.js';

const dir = join(FIXTURES, 'matrix');
const bad = join(FIXTURES, 'matrix-bad');

t.test('seed 002 matrix: twelve combinations named after their values, each with its values applied', async (t) => {
  const { scenarios, diagnostics } = await loadScenarios([join(dir, 'seed-002.yaml')]);
  // Lint runs per combination: via e is fine with five nodes, an error in each three-node one.
  t.same(diagnostics.map((d) => d.message), ['unknown node "e" (declared: a, b, c) (in matrix combinations [nodes=3, replication_factor=1, num_hash_partitions=1], [nodes=3, replication_factor=1, num_hash_partitions=4], [nodes=3, replication_factor=2, num_hash_partitions=1], [nodes=3, replication_factor=2, num_hash_partitions=4], [nodes=3, replication_factor=3, num_hash_partitions=1], [nodes=3, replication_factor=3, num_hash_partitions=4])']);
  t.equal(scenarios.length, 0, 'an invalid file runs nothing');

  const text = readFileSync(join(dir, 'seed-002.yaml'), 'utf8').replace('via: e', 'via: c');
  const { loadScenarioText } = await import('../src/scenario/loader.js');
  const r = loadScenarioText(join(dir, 'seed-002.yaml'), text);
  t.same(r.diagnostics, []);
  const all = r.scenarios!;
  t.equal(all.length, 12);
  t.equal(all[0]!.doc.name, 'placement [nodes=3, replication_factor=1, num_hash_partitions=1]');
  t.equal(all[11]!.doc.name, 'placement [nodes=5, replication_factor=3, num_hash_partitions=4]');
  t.equal(new Set(all.map((s) => s.doc.name)).size, 12);
  for (const s of all) {
    const [, n, rf, hp] = /nodes=(\d+), replication_factor=(\d+), num_hash_partitions=(\d+)/.exec(s.doc.name)!.map(Number);
    t.same(topologyNodes(s.doc.cluster).map((x) => x.id), ['a', 'b', 'c', 'd', 'e'].slice(0, n), `${s.doc.name}: nodes`);
    t.match(s.doc.databases!.db1!.tables!.cpu, { replication_factor: rf, num_hash_partitions: hp });
    t.equal(s.doc.matrix, undefined);
    t.equal(s.skip, undefined, 'every replication_factor fits in 3 nodes');
    t.equal(s.where(['steps', 0]), `${join(dir, 'seed-002.yaml')}:7:5`, 'positions point at the original file');
  }
});

t.test('a small matrix on real clusters: each combination runs with its node count and replication', async (t) => {
  const s = sandbox(t);
  const r = await cli(['run', join(dir, 'nodes-by-rf.yaml'), '--out', s.out, '--reporter', 'console,json,junit'], { env: s.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  const reportDir = /reports: (\S+)/.exec(r.stdout)![1]!;
  const journal = JSON.parse(readFileSync(join(reportDir, 'journal.json'), 'utf8'));
  const byName = new Map<string, { verdict: string; nodes: unknown[]; setup: Array<{ label: string; output?: { replication_factor?: number } }>; skip_reason?: string }>(
    journal.scenarios.map((x: { name: string }) => [x.name, x]));
  t.same([...byName.keys()], [1, 2].flatMap((n) => [1, 2].map((rf) => `matrix write and read [nodes=${n}, replication_factor=${rf}]`)));
  for (const [n, rf] of [[1, 1], [2, 1], [2, 2]]) {
    const x = byName.get(`matrix write and read [nodes=${n}, replication_factor=${rf}]`)!;
    t.equal(x.verdict, 'passed');
    t.equal(x.nodes.length, n, 'started that many nodes');
    // The table was created on the cluster with the combination's replication factor.
    t.equal(x.setup.find((st) => st.label === 'create table db1.m')?.output?.replication_factor, rf);
  }
  const skipped = byName.get('matrix write and read [nodes=1, replication_factor=2]')!;
  t.equal(skipped.verdict, 'skipped');
  t.match(skipped.skip_reason, 'replication_factor 2 needs at least 2 nodes and this combination has 1');
  t.equal(skipped.nodes.length, 0, 'no cluster started for it');
  const junit = readFileSync(join(reportDir, 'junit.xml'), 'utf8');
  t.match(junit, 'name="scenario: matrix write and read [nodes=2, replication_factor=2]"');
  t.match(junit, /name="scenario: matrix write and read \[nodes=1, replication_factor=2\]"[^>]*>\s*<skipped message="skipped: replication_factor 2/);
  const names = [...junit.matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => m[1]);
  t.equal(new Set(names).size, names.length, 'no two JUnit cases share a name');
});

t.test('invalid matrices: positioned errors, exit 2, nothing started', async (t) => {
  const s = sandbox(t);
  const cases: Array<[string, RegExp]> = [
    ['unknown-key.yaml', /unknown-key\.yaml:2:23: unknown key "replicas"/],
    ['empty-list.yaml', /empty-list\.yaml:2:18: needs at least 1 item/],
    ['nodes-listed.yaml', /nodes-listed\.yaml:2:12: matrix\.nodes sets the node list/],
    ['no-tables.yaml', /no-tables\.yaml:2:11: matrix\.replication_factor sets it on the tables under databases, and this scenario declares none/],
    ['none-runnable.yaml', /none-runnable\.yaml:3:1: no combination of the matrix can run \(replication_factor 2 needs at least 2 nodes/],
    ['via-missing-node.yaml', /via-missing-node\.yaml:4:19: unknown node "e" \(declared: a, b, c\) \(in matrix combination \[nodes=3\]\)/],
  ];
  for (const [file, expected] of cases) {
    const r = await cli(['run', join(bad, file), '--out', s.out], { env: s.env });
    t.equal(r.exitCode, 2, file);
    t.match(r.stdout + r.stderr, expected, file);
    t.notMatch(r.stdout, /start \d+ node/, `${file}: nothing started`);
  }
});
