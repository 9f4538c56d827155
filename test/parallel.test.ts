// run --jobs N with real reference-server clusters: scenarios run at once (seen in the
// journal: their lifetimes overlap), the reports keep the declared order whatever the
// finish order, the console never mixes two scenarios' lines, Ctrl-C tears every
// running cluster down (own and shared), and bad --jobs values are usage errors.

import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN, FIXTURES, ROOT, cli, pidsWith, readJson, sandbox } from './helpers.js';
import { readHistoryColumns } from '../src/reporters/report/run-dir-reader.js';

const fixture = (f: string) => join('test', 'fixtures', 'parallel', f);
const files = ['first-slow.yaml', 'second-quick.yaml', 'third-quick.yaml'].map(fixture);
const ms = (iso: string) => Date.parse(iso);

interface JournalScenario { file: string; name: string; verdict: string; started_at: string; duration_ms: number }

t.test('--jobs 2 runs scenarios at once and reports them in declared order', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', ...files, '--jobs', '2', '--out', sb.out, '--seed', '3'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  const journal = readJson(join(sb.out, 'latest', 'journal.json'));
  const scenarios = journal.scenarios as JournalScenario[];
  t.same(scenarios.map((s) => s.file), files, 'the journal lists scenarios in declared order');
  t.ok(scenarios.every((s) => s.verdict === 'passed'));
  const [first, second] = scenarios as [JournalScenario, JournalScenario];
  const end = (s: JournalScenario) => ms(s.started_at) + s.duration_ms;
  // Observed, not timed: the second started before the first ended.
  t.ok(ms(second.started_at) < end(first), 'the second scenario started while the first was running');
  const finishOrder = [...scenarios].sort((x, y) => end(x) - end(y)).map((s) => s.name);
  // The first waits 5 s on two nodes, the others are quick: it practically always ends last.
  if (finishOrder[0] === first.name) t.comment('the first scenario finished first this time: declared and finish order agree');
  const seeds = readJson(join(sb.out, 'latest', 'journal.json')).scenarios.map((s: { seed: number }) => s.seed);
  const serial = await cli(['run', ...files, '--out', sb.out, '--seed', '3'], { env: sb.env });
  t.equal(serial.exitCode, 0, serial.stdout);
  t.same(readJson(join(sb.out, 'latest', 'journal.json')).scenarios.map((s: { seed: number }) => s.seed), seeds, 'each scenario gets the same seed with --jobs 1');

  // report.html's timelines: interleaved histories split back into one per scenario, each whole.
  const runDir = join(sb.out, readdirSync(sb.out).filter((d) => d !== 'latest').sort()[0]!);
  const columns = await readHistoryColumns(runDir);
  t.same(columns.map((c) => c.scenario).sort(), scenarios.map((s) => s.name).sort(), 'one history per scenario');
  for (const s of readJson(join(runDir, 'journal.json')).scenarios as Array<{ name: string; history_count: number }>) {
    t.equal(columns.find((c) => c.scenario === s.name)!.count * 2, s.history_count, `${s.name}: every operation in its own timeline`);
  }

  // JUnit: one testsuite per file, in declared order.
  const junit = readFileSync(join(sb.out, readdirSync(sb.out).filter((d) => d !== 'latest').sort()[0]!, 'junit.xml'), 'utf8');
  const suites = [...junit.matchAll(/<testsuite [^>]*file="([^"]+)"/g)].map((m) => m[1]);
  t.same(suites, files, 'junit.xml lists scenarios in declared order');

  // Console: each scenario one block (header, its steps, its verdict), never another's line inside.
  const blocks = r.stdout.split('\n\n').slice(1).filter((b) => b.includes('(seed '));
  t.equal(blocks.length, 3, r.stdout);
  // The slow one's steps are 0 write, 1 wait, 2 query; the quick ones' 0 write, 1 query.
  for (const [name, steps] of [['parallel first and slow', 3], ['parallel second and quick', 2], ['parallel third and quick', 2]] as const) {
    const block = blocks.find((b) => b.startsWith(name));
    t.ok(block, `a block for ${name}`);
    const lines = block!.split('\n');
    t.match(lines[lines.length - 1], new RegExp(`^ {2}passed ${steps}/${steps} steps`), `${name}: its block ends with its own verdict`);
    t.equal(lines.filter((l) => /\(seed \d+\)$/.test(l)).length, 1, `${name}: one header in its block`);
    t.equal(lines.filter((l) => /^ {2}(passed|failed)/.test(l)).length, 1, `${name}: one verdict in its block`);
    t.same(lines.filter((l) => /^ {2}✓ \d /.test(l)).map((l) => /✓ (\d) (\w+)/.exec(l)!.slice(1).join(' ')),
      steps === 3 ? ['0 write', '1 wait', '2 query'] : ['0 write', '1 query'], `${name}: exactly its own steps`);
  }
  // (journal times are whole milliseconds: two ends within 2 ms may print either way)
  const printed = blocks.map((b) => scenarios.find((s) => b.startsWith(`${s.name} `))!);
  t.ok(printed.every((s, i) => i === 0 || end(printed[i - 1]!) <= end(s) + 2), `blocks print in the order scenarios finished (${finishOrder.join(', ')})`);
});

t.test('--bail with --jobs 2 starts nothing after a failure; what runs finishes', async (t) => {
  const sb = sandbox(t);
  const failing = join(FIXTURES, 'engine', 'fails-rows.yaml');
  const r = await cli(['run', failing, fixture('first-slow.yaml'), fixture('second-quick.yaml'), fixture('third-quick.yaml'), '--jobs', '2', '--bail', '--out', sb.out], { env: sb.env });
  t.equal(r.exitCode, 1, r.stdout);
  const journal = readJson(join(sb.out, 'latest', 'journal.json'));
  t.equal(journal.scenarios[0].verdict, 'failed');
  t.equal(journal.scenarios[1].verdict, 'passed', 'the scenario running alongside finished');
  t.ok(journal.not_run.length >= 1, 'later scenarios were not started');
  t.same([...journal.scenarios, ...journal.not_run].map((s: { file: string }) => s.file), [failing, fixture('first-slow.yaml'), fixture('second-quick.yaml'), fixture('third-quick.yaml')], 'run and not run, in declared order');
  t.ok(journal.not_run.every((n: { reason: string }) => /--bail/.test(n.reason)));
});

t.test('Ctrl-C with --jobs 2 tears down every running cluster, own and shared', async (t) => {
  const sb = sandbox(t);
  const slow = join(FIXTURES, 'engine', 'slow.yaml');
  const child = execa(process.execPath, [BIN, 'run', slow, fixture('slow-shared.yaml'), '--jobs', '2', '--out', sb.out], { cwd: ROOT, reject: false, env: { ...sb.env, CI: '1', NO_COLOR: '1' } });
  sb.track(child);
  const runs = join(sb.state, 'runs');
  const records = () => (existsSync(runs) ? readdirSync(runs).filter((f) => f.endsWith('.json')).map((f) => readJson(join(runs, f)) as { run_id: string; temp_dir: string; children: Array<{ url: string }> }) : []);
  // Both clusters up: two run records, each with both nodes running and answering /health,
  // and both scenarios past their start step. /health alone is not enough: the runner
  // polls it too and may not have seen the 200 yet, so the start step is still running.
  // Each scenario's first step is a write; its ok in the live history.jsonl says the
  // start step has finished.
  const startedBoth = () => {
    const dirs = existsSync(sb.out) ? readdirSync(sb.out).filter((d) => d !== 'latest') : [];
    const path = dirs.length === 1 ? join(sb.out, dirs[0]!, 'history.jsonl') : '';
    if (!path || !existsSync(path)) return false;
    const oks = readFileSync(path, 'utf8').split('\n').filter((l) => l.includes('"f":"write"') && l.includes('"type":"ok"'));
    return oks.length === 2;
  };
  const serving = async () => {
    const recs = records();
    if (!(recs.length === 2 && recs.every((rec) => rec.children.length === 2 && pidsWith(rec.temp_dir).length === 2))) return false;
    const health = await Promise.all(recs.flatMap((rec) => rec.children.map((c) => fetch(`${c.url}/health`).then((res) => res.status === 200, () => false))));
    return health.every(Boolean) && startedBoth();
  };
  const deadline = Date.now() + 30_000;
  let up = false;
  while (!up && Date.now() < deadline) {
    up = await serving();
    if (!up) await new Promise((res) => setTimeout(res, 50));
  }
  t.ok(up, 'both clusters are serving');
  const recs = records();
  t.ok(recs.some((rec) => rec.run_id.endsWith('-shared-1')), 'one of them is the shared cluster');
  child.kill('SIGINT');
  const r = await child;
  t.equal(r.exitCode, 130, String(r.stdout));
  for (const rec of recs) {
    t.same(pidsWith(rec.temp_dir), [], `no node of ${rec.run_id} is left`);
    t.notOk(existsSync(rec.temp_dir), `${rec.temp_dir} is gone`);
  }
  t.same(readdirSync(runs), [], 'every run record is gone');
  const journal = readJson(join(sb.out, 'latest', 'journal.json'));
  t.same(journal.scenarios.map((s: { verdict: string }) => s.verdict), ['interrupted', 'interrupted']);
  t.match(String(r.stdout), /✓ start 2 nodes \(process driver, shared cluster 1\)/, 'the shared cluster had started before the interrupt');
});

t.test('bad --jobs values are usage errors (exit 2) and start nothing', async (t) => {
  const sb = sandbox(t);
  for (const v of ['0', '-1', 'abc', '1.5', '']) {
    const r = await cli(['run', files[1]!, `--jobs=${v}`, '--out', sb.out], { env: sb.env });
    t.equal(r.exitCode, 2, `--jobs=${v}: exit 2`);
    t.match(r.stderr, /--jobs must be a whole number of at least 1, or auto/, `--jobs=${v}: says what is allowed`);
  }
  t.notOk(existsSync(join(sb.state, 'runs')) && readdirSync(join(sb.state, 'runs')).length, 'nothing was started');
  const auto = await cli(['run', files[1]!, '--jobs', 'auto', '--out', sb.out], { env: sb.env });
  t.equal(auto.exitCode, 0, auto.stdout + auto.stderr);
});
