// merge-reports combines the run folders of `run --shard i/n` (here two real shard runs on
// real reference nodes) into one run folder: one journal, history, junit.xml that still
// validates, report.html with every scenario, the exit code the whole run would have had.
// Bad input (missing, partial, corrupt, mismatched, duplicate or missing shards) is exit 2
// with a message naming what is wrong, and nothing is written.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, cli, readJson, sandbox } from './helpers.js';

const SCHEMA = join(FIXTURES, 'junit-10.xsd');
const files = [join('test', 'fixtures', 'engine', 'pass-one-node.yaml'), join('test', 'fixtures', 'engine', 'fails-rows.yaml')];
const runDir = (out: string) => join(out, readlinkSync(join(out, 'latest')));
const count = (xml: string, attr: string) => Number(new RegExp(`<testsuites [^>]*${attr}="(\\d+)"`).exec(xml)![1]);

const sb = sandbox(t);
// Sorted, fails-rows.yaml comes first: shard 1/2 fails (exit 1), shard 2/2 passes.
const shards: string[] = [];
t.before(async () => {
  for (const i of [1, 2]) {
    const out = join(sb.out, `shard-${i}`);
    const r = await cli(['run', ...files, '--seed', '5', '--shard', `${i}/2`, '--out', out, '--reporter', 'json,junit'], { env: sb.env });
    if (r.exitCode !== (i === 1 ? 1 : 0)) throw new Error(`shard ${i}/2 exited ${r.exitCode}: ${r.stdout}${r.stderr}`);
    shards.push(runDir(out));
  }
});

t.test('each shard ran its slice and its journal records the shard and the suite', async (t) => {
  const [a, b] = shards.map((d) => readJson(join(d!, 'journal.json')));
  t.same(a.files, [files[1]]);
  t.same(b.files, [files[0]]);
  const suite = { files: [files[1], files[0]], hash: /^sha256:/ };
  t.match(a.shard, { index: 1, total: 2, suite });
  t.match(b.shard, { index: 2, total: 2, suite });
  t.equal(a.shard.suite.hash, b.shard.suite.hash);
});

t.test('two shards merge into one run: totals add up, junit validates, report.html has both scenarios, exit 1', async (t) => {
  const out = join(sb.out, 'merged');
  const r = await cli(['merge-reports', ...[...shards].reverse(), '--out', out], { env: sb.env });
  t.equal(r.exitCode, 1, 'exit 1: a verification failed in one shard, as one run would have exited');
  t.match(r.stdout, /^merged 2 shard\(s\) of 2 \(seed 5\): 1 failed, 1 passed; exit 1\nreports: /);
  const dir = runDir(out);
  t.match(r.stdout, dir, 'the merged folder is named and reports/latest points at it');

  const j = readJson(join(dir, 'journal.json'));
  const parts = shards.map((d) => readJson(join(d, 'journal.json')));
  t.match(j, { format: 'phantom-test/journal', seed: 5, verdict: 'failed', exit_code: 1, files: [files[1], files[0]], merged_from: { total: 2 } });
  t.same(j.scenarios.map((s: { name: string }) => s.name), ['wrong rows', 'one node passes'], 'the scenarios in suite order');
  t.same(j.merged_from.shards.map((s: { index: number; run_id: string }) => [s.index, s.run_id]), parts.map((p) => [p.shard.index, p.run_id]));
  t.same(j.argv, ['run', ...files, '--seed', '5', '--out', join(sb.out, 'shard-1'), '--reporter', 'json,junit'], 'argv replays the whole suite: the shard\'s command without --shard');
  t.match(j.merged_from.argv, ['merge-reports']);
  t.equal(j.started_at, parts[0].started_at);
  t.equal(j.finished_at, parts[1].finished_at);

  const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
  const v = spawnSync('xmllint', ['--noout', '--schema', SCHEMA, join(dir, 'junit.xml')], { encoding: 'utf8' });
  t.equal(v.status, 0, `the merged junit.xml validates against junit-10.xsd: ${v.error?.message ?? v.stderr}`);
  const shardXml = shards.map((d) => readFileSync(join(d, 'junit.xml'), 'utf8'));
  for (const attr of ['tests', 'failures', 'errors']) t.equal(count(xml, attr), shardXml.reduce((n, x) => n + count(x, attr), 0), `<testsuites ${attr}> is the shards' sum`);
  t.equal(count(xml, 'failures'), 1);
  t.match(xml, /<testsuite name="test\/fixtures\/engine\/fails-rows.yaml"[\s\S]*<testsuite name="test\/fixtures\/engine\/pass-one-node.yaml"/);

  const lines = (d: string) => readFileSync(join(d, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).length;
  t.equal(lines(dir), lines(shards[0]!) + lines(shards[1]!), 'every operation of every shard in history.jsonl');
  t.ok(shards.every((d) => existsSync(join(d, 'history.bin'))) && !existsSync(join(dir, 'history.bin')), 'no shard\'s history.bin in the merged folder: check reads its new history.jsonl');

  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  t.match(html, /wrong rows/);
  t.match(html, /one node passes/);
  for (const s of j.scenarios) for (const n of s.nodes) t.ok(existsSync(n.log), `node log ${n.log} copied into the merged folder`);
  t.ok(j.scenarios.every((s: { nodes: Array<{ log: string }> }) => s.nodes.every((n) => n.log.startsWith(dir))));
});

/** A copy of a shard's folder, changed by `edit`, in a folder of its own. */
function copyOf(shard: string, name: string, edit: (dir: string) => void = () => {}): string {
  const dir = join(sb.out, 'bad', name, shard.split('/').pop()!);
  rmSync(dir, { recursive: true, force: true });
  cpSync(shard, dir, { recursive: true });
  edit(dir);
  return dir;
}
const editJournal = (change: (j: any) => void) => (dir: string) => {
  const j = readJson(join(dir, 'journal.json'));
  change(j);
  writeFileSync(join(dir, 'journal.json'), JSON.stringify(j));
};

t.test('bad input: exit 2, a message naming the folder and what is wrong, nothing written', async (t) => {
  const [one, two] = shards as [string, string];
  const cases: Array<[string, () => string[], RegExp]> = [
    ['a missing folder', () => [one, join(sb.out, 'nope')], /nope: no such run folder/],
    ['a folder without journal.json', () => [one, copyOf(two, 'no-journal', (d) => unlinkSync(join(d, 'journal.json')))], /no-journal\/[^/]+\/journal\.json is missing/],
    ['a corrupt journal', () => [one, copyOf(two, 'corrupt', (d) => writeFileSync(join(d, 'journal.json'), '{"format": "phantom-test/jou'))], /corrupt\/[^/]+\/journal\.json is not valid JSON/],
    ['a run that did not finish', () => [one, copyOf(two, 'unfinished', editJournal((j) => { delete j.finished_at; delete j.exit_code; }))], /unfinished\/[^/]+: the run did not finish/],
    ['an interrupted run', () => [one, copyOf(two, 'interrupted', editJournal((j) => { j.verdict = 'interrupted'; j.exit_code = 130; }))], /interrupted\/[^/]+: the run was interrupted/],
    ['a corrupt history', () => [one, copyOf(two, 'history', (d) => writeFileSync(join(d, 'history.jsonl'), 'not json\n'))], /history\/[^/]+\/history\.jsonl:1: not a JSON line/],
    ['a run made without --shard', () => [one, copyOf(two, 'unsharded', editJournal((j) => { delete j.shard; }))], /unsharded\/[^/]+: not a shard \(the run was made without --shard\)/],
    ['another phantom-test version', () => [one, copyOf(two, 'version', editJournal((j) => { j.tool.version = '9.9.9'; }))], /were made by different phantom-test versions \(0\.1\.0 and 9\.9\.9\)/],
    ['another suite', () => [one, copyOf(two, 'suite', editJournal((j) => { j.shard.suite.files.push('scenarios/extra.yaml'); j.shard.suite.hash = 'sha256:00'; }))], /are shards of different suites \(only the second has scenarios\/extra\.yaml\)/],
    ['the same files, changed', () => [one, copyOf(two, 'contents', editJournal((j) => { j.shard.suite.hash = 'sha256:00'; }))], /different suites \(the same files with different contents\)/],
    ['another split', () => [one, copyOf(two, 'split', editJournal((j) => { j.shard.total = 3; }))], /split the suite into different numbers of shards \(2 and 3\)/],
    ['another seed', () => [one, copyOf(two, 'seed', editJournal((j) => { j.seed = 6; }))], /ran with different seeds \(5 and 6\)/],
    ['the same folder twice', () => [one, two, one], /are the same run \([^)]+\), given twice/],
    ['a shard twice', () => [one, two, copyOf(one, 'twin', editJournal((j) => { j.run_id = 'other'; }))], /shard 1\/2 given twice: /],
    ['a missing shard', () => [two], /missing shard\(s\): 1\/2 \(test\/fixtures\/engine\/fails-rows\.yaml\)/],
  ];
  for (const [what, args, message] of cases) {
    const out = join(sb.out, 'bad-out', what.replace(/\W+/g, '-'));
    const r = await cli(['merge-reports', ...args(), '--out', out], { env: sb.env });
    t.equal(r.exitCode, 2, `${what}: exit 2`);
    t.match(r.stderr, /^phantom-test merge-reports: /, `${what}: said on stderr`);
    t.match(r.stderr, message, what);
    t.notOk(existsSync(out), `${what}: nothing written`);
  }
});

t.test('merge-reports --help explains it with examples', async (t) => {
  const r = await cli(['merge-reports', '--help']);
  t.equal(r.exitCode, 0);
  t.match(r.stdout, /EXAMPLES/);
  const top = await cli(['--help']);
  t.match(top.stdout, /merge-reports\s+Combine the run folders/);
});

t.test('sidecars come along, renamed after their merged lines: check reads the merged run', async (t) => {
  const bulk = [join('test', 'fixtures', 'checkers', 'bulk-a.yaml'), join('test', 'fixtures', 'checkers', 'bulk-b.yaml')];
  const parts: string[] = [];
  for (const i of [1, 2]) {
    const out = join(sb.out, `bulk-shard-${i}`);
    const r = await cli(['run', ...bulk, '--seed', '3', '--shard', `${i}/2`, '--out', out], { env: sb.env });
    t.equal(r.exitCode, 0, r.stdout + r.stderr);
    parts.push(runDir(out));
  }
  const sidecars = (d: string) => readFileSync(join(d, 'history.jsonl'), 'utf8').trim().split('\n').map((l, i) => [i + 1, JSON.parse(l).sidecar?.file]).filter(([, f]) => f);
  t.same(sidecars(parts[1]!).map(([line, f]) => f === `history/${line}.json`), [true, true], 'the second shard has the write\'s and the read\'s sidecars, named by their lines');
  const out = join(sb.out, 'bulk-merged');
  const m = await cli(['merge-reports', ...parts, '--out', out], { env: sb.env });
  t.equal(m.exitCode, 0, m.stdout + m.stderr);
  const dir = runDir(out);
  const merged = sidecars(dir);
  t.equal(merged.length, 4, 'both shards\' sidecars');
  for (const [line, file] of merged) {
    t.equal(file, `history/${line}.json`, `line ${line} refers to the sidecar named after it`);
    t.ok(existsSync(join(dir, String(file))), `${file} is there`);
  }
  const c = await cli(['check', dir, '--json']);
  t.equal(c.exitCode, 0, c.stderr);
  const j = JSON.parse(c.stdout);
  t.same(j.scenarios.map((s: { results: Array<{ acknowledged: number; lost: number }> }) => [s.results[0]!.acknowledged, s.results[0]!.lost]), [[1500, 0], [1500, 0]], 'every acknowledged point of both shards is found in the merged run');
});
