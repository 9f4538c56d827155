// Nothing leaks: Ctrl-C tears down and exits 130; a runner killed with SIGKILL
// leaves a record that `clean`, or the next run, uses to reap its nodes.
import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN, FIXTURES, ROOT, cli, pidsWith, readJson, sandbox, until, type Sandbox } from './helpers.js';

const slow = join(FIXTURES, 'engine', 'slow.yaml');

interface Record { run_id: string; temp_dir: string; children: Array<{ id: string; pid: number }> }

/** Starts `run slow.yaml` and waits until its nodes are up and the long wait has begun. */
async function startSlowRun(sb: Sandbox) {
  const child = execa(process.execPath, [BIN, 'run', slow, '--out', sb.out], { cwd: ROOT, reject: false, env: { ...sb.env, CI: '1', NO_COLOR: '1' } });
  sb.track(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const started = await until(() => /✓ 0 write/.test(out), 20_000);
  const runs = join(sb.state, 'runs');
  const rec = readJson(join(runs, readdirSync(runs).find((f) => f.endsWith('.json'))!)) as Record;
  return { child, started, rec, output: () => out };
}

t.test('Ctrl-C tears down and exits 130', async (t) => {
  const sb = sandbox(t);
  const { child, started, rec, output } = await startSlowRun(sb);
  t.ok(started, 'the run reached its long wait');
  t.equal(rec.children.length, 2);
  t.ok(rec.children.every((c) => pidsWith(rec.temp_dir).includes(c.pid)), 'both nodes run');
  child.kill('SIGINT');
  const r = await child;
  t.equal(r.exitCode, 130, output());
  t.match(String(r.stderr), /SIGINT: stopping and tearing down/);
  t.same(pidsWith(rec.temp_dir), [], 'no node is left');
  t.notOk(existsSync(rec.temp_dir), 'the temp data dir is gone');
  t.same(readdirSync(join(sb.state, 'runs')), [], 'the run record is gone');
  const journal = readJson(join(sb.out, 'latest', 'journal.json'));
  t.match(journal, { verdict: 'interrupted', exit_code: 130, scenarios: [{ verdict: 'interrupted', steps: [{ status: 'passed' }, { status: 'error', error: { type: 'interrupted' } }] }] });
});

t.test('after a SIGKILLed run, clean reaps its nodes and temp dirs', async (t) => {
  const sb = sandbox(t);
  const { child, started, rec } = await startSlowRun(sb);
  t.ok(started);
  child.kill('SIGKILL');
  await child;
  t.equal(pidsWith(rec.temp_dir).length, 2, 'the killed runner left its two nodes running');
  const r = await cli(['clean', '--json'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stderr);
  const reaped = JSON.parse(r.stdout).reaped;
  t.equal(reaped.length, 1);
  t.same(reaped[0].killed.map((k: { id: string }) => k.id).sort(), ['a', 'b']);
  t.same(reaped[0].removed, [rec.temp_dir]);
  t.same(pidsWith(rec.temp_dir), [], 'no node is left');
  t.notOk(existsSync(rec.temp_dir));
  t.same(readdirSync(join(sb.state, 'runs')), []);
  const again = await cli(['clean'], { env: sb.env });
  t.match(again.stdout, /nothing to clean/);
});

t.test('the next run reaps what a SIGKILLed run left', async (t) => {
  const sb = sandbox(t);
  const { child, started, rec } = await startSlowRun(sb);
  t.ok(started);
  child.kill('SIGKILL');
  await child;
  t.equal(pidsWith(rec.temp_dir).length, 2);
  const r = await cli(['run', join(FIXTURES, 'engine', 'pass-one-node.yaml'), '--out', sb.out], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout);
  t.match(r.stdout, new RegExp(`reaped run ${rec.run_id} left by a killed runner: 2 node\\(s\\) killed, 1 temp dir\\(s\\) removed`));
  t.same(pidsWith(rec.temp_dir), []);
  t.notOk(existsSync(rec.temp_dir));
});
