// The driver's view of a node follows its process: a node is only chosen (random, the
// default node, `all`) once it serves, and a node that dies without the scenario
// causing it ends the run as an infrastructure error (exit 3) that names it.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN, FIXTURES, ROOT, cli, pidsWith, readJson, sandbox, until } from './helpers.js';

const engine = (f: string) => join(FIXTURES, 'engine', f);

t.test('random queries next to add_node never pick the node still starting', async (t) => {
  const sb = sandbox(t);
  for (const seed of [1, 2, 3]) {
    const r = await cli(['run', engine('add-node-random.yaml'), '--out', sb.out, '--seed', String(seed)], { env: sb.env });
    t.equal(r.exitCode, 0, `seed ${seed} passes: ${r.stdout}`);
    const [test] = readJson(join(sb.out, 'latest', 'journal.json')).scenarios;
    t.equal(test.steps[1].children.length, 9, `seed ${seed}: add_node and all eight queries ran`);
  }
});

t.test('a node killed from outside during a wait: exit 3 at once, naming it, with its log', async (t) => {
  const sb = sandbox(t);
  const child = execa(process.execPath, [BIN, 'run', engine('slow.yaml'), '--out', sb.out], { cwd: ROOT, reject: false, env: { ...sb.env, CI: '1', NO_COLOR: '1' } });
  sb.track(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  t.ok(await until(() => /✓ 0 write/.test(out), 20_000), 'the run reached its 60 s wait');
  const runs = join(sb.state, 'runs');
  const rec = readJson(join(runs, readdirSync(runs).find((f) => f.endsWith('.json'))!));
  const a = rec.children.find((c: { id: string }) => c.id === 'a');
  const t0 = Date.now();
  process.kill(a.pid, 'SIGKILL');
  const r = await child;
  t.ok(Date.now() - t0 < 10_000, `the wait ended as soon as the node died (${Date.now() - t0} ms)`);
  t.equal(r.exitCode, 3, out);
  t.match(out, new RegExp(`node a \\(pid ${a.pid}\\) exited unexpectedly \\(killed by SIGKILL\\)`));
  t.match(out, /last log lines:/);
  const journal = readJson(join(sb.out, 'latest', 'journal.json'));
  t.match(journal, { verdict: 'error', exit_code: 3 });
  const [test] = journal.scenarios;
  t.match(test.steps[1], { kind: 'wait', status: 'error', error: { type: 'infrastructure', message: /node a .*exited unexpectedly/, log_tail: /\S/ } });
  t.match(test.nodes, [{ id: 'a', state: 'stopped', exit: { signal: 'SIGKILL', unexpected: true } }, { id: 'b', state: 'running' }], 'the journal shows a stopped, b still running');
  t.same(pidsWith(rec.temp_dir), [], 'b was torn down');
});

t.test('a node that crashes mid-step (exit 1) is an infrastructure error, not a failed check', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', engine('admin-calls.yaml'), '--out', sb.out, '--server', join(FIXTURES, 'servers', 'exits-after.mjs')], { env: sb.env });
  t.equal(r.exitCode, 3, r.stdout);
  t.match(r.stdout, /node a \(pid \d+\) exited unexpectedly \(exit code 1\)/);
  t.match(r.stdout, /fatal: simulated crash/, 'its log tail is shown');
  t.notMatch(r.stdout, /connection (refused|reset)/, 'not the bare network error');
  const [test] = readJson(join(sb.out, 'latest', 'journal.json')).scenarios;
  t.equal(test.verdict, 'error');
  t.same(test.steps.map((s: { status: string }) => s.status), ['passed', 'passed', 'error', 'skipped', 'skipped']);
  t.match(test.steps[2].error, { type: 'infrastructure', log_tail: /simulated crash/ });
  t.match(test.nodes, [{ id: 'a', state: 'stopped', exit: { code: 1, unexpected: true } }]);
});

t.test('a port that answers as another node is an infrastructure error, not a started node', async (t) => {
  // What happened when a link proxy took a node's port before the node bound it: the proxy
  // forwarded /health to another node, and the runner took that for the node it started.
  const sb = sandbox(t);
  const r = await cli(['run', engine('pass-one-node.yaml'), '--out', sb.out, '--server', join(FIXTURES, 'servers', 'answers-as-another.mjs')], { env: sb.env });
  t.equal(r.exitCode, 3, r.stdout);
  t.match(r.stdout, /node a: port \d+ answers as node someone-else, not as a/);
});

t.test("a node the scenario kills is expected to be down: no infrastructure error", async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', engine('random-kill.yaml'), '--out', sb.out, '--seed', '3'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout);
  const [test] = readJson(join(sb.out, 'latest', 'journal.json')).scenarios;
  const victim = test.steps[0].output.nodes[0];
  t.match(test.nodes.find((n: { id: string }) => n.id === victim), { state: 'stopped', exit: { signal: 'SIGKILL', unexpected: false } });
});
