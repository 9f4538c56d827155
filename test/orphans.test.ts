// Nothing is orphaned, whenever the runner dies: runs killed with SIGKILL at random
// (seeded) moments leave nothing the next run does not reap, a runner that is a zombie
// counts as dead, and a node whose pid never reached the record is still found.
import t from 'tap';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { BIN, FIXTURES, ROOT, cli, pidsWith, sandbox, until, type Sandbox } from './helpers.js';

const slow = join(FIXTURES, 'engine', 'slow.yaml');

/** A sandbox whose runners also put their temp dirs in a folder of its own. */
function withTmp(t: Parameters<typeof sandbox>[0]): Sandbox & { tmp: string } {
  const sb = sandbox(t);
  const tmp = join(sb.state, '..', 'tmp');
  mkdirSync(tmp, { recursive: true });
  return { ...sb, tmp, env: { ...sb.env, TMPDIR: tmp } };
}

function startRun(sb: Sandbox, file: string): ResultPromise {
  const child = execa(process.execPath, [BIN, 'run', file, '--out', sb.out], { cwd: ROOT, reject: false, env: { ...sb.env, CI: '1', NO_COLOR: '1' } });
  sb.track(child);
  return child;
}

/** A small seeded generator (mulberry32): the same seed kills at the same moments. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

const leftovers = (sb: Sandbox & { tmp: string }) => ({
  processes: pidsWith(sb.tmp).length,
  temp_dirs: readdirSync(sb.tmp).length,
  records: existsSync(join(sb.state, 'runs')) ? readdirSync(join(sb.state, 'runs')).length : 0,
});

t.test('20 runs killed by SIGKILL at random moments, then one run: nothing is left', async (t) => {
  const sb = withTmp(t);
  const seed = Number(process.env.ORPHAN_SEED ?? 6); // another seed: ORPHAN_SEED=n npx tap test/orphans.test.ts
  const t0 = Date.now();

  // Calibrate: how long a run takes to reach its long wait on this machine (both nodes
  // started, the write done). Kills are spread from the runner's start to a bit past it.
  const cal = startRun(sb, slow);
  let out = '';
  cal.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  t.ok(await until(() => /✓ 0 write/.test(out), 30_000), 'the calibration run reached its wait');
  const readyMs = Date.now() - t0;
  cal.kill('SIGKILL');
  await cal;

  // From the runner's start to its wait: reaping the previous run's leftovers, writing the
  // record, spawning, waiting for /health, the first write. Capped to stay bounded in CI.
  const random = rng(seed);
  const span = Math.min(5000, readyMs);
  const moments: number[] = [];
  let afterSpawn = 0;
  for (let i = 0; i < 20; i++) {
    const at = Math.round(random() * span);
    moments.push(at);
    const child = startRun(sb, slow);
    await new Promise((r) => setTimeout(r, at));
    child.kill('SIGKILL');
    await child;
    if (pidsWith(sb.tmp).length > 0) afterSpawn++;
  }
  const killedMs = Date.now() - t0;

  const r = await cli(['run', join(FIXTURES, 'engine', 'pass-one-node.yaml'), '--out', sb.out], { env: sb.env });
  if (!t.equal(r.exitCode, 0, 'the run after them passes')) t.comment(r.stdout + r.stderr);
  t.same(leftovers(sb), { processes: 0, temp_dirs: 0, records: 0 }, 'no process, temp dir or record is left');
  t.match((await cli(['clean'], { env: sb.env })).stdout, /nothing to clean/);
  t.comment(`seed ${seed}: run ready after ${readyMs} ms; kills at ${moments.join(', ')} ms (span ${Math.round(span)} ms); ${afterSpawn} of 20 left nodes running; 21 runs in ${killedMs} ms, total ${Date.now() - t0} ms`);
});

t.test('a runner killed but not yet waited for (a zombie) is dead: clean reaps its nodes', async (t) => {
  const sb = withTmp(t);
  // sh starts the runner in the background and becomes `sleep`, which never waits for it:
  // once killed, the runner stays a zombie until the test ends.
  const parent = execa('sh', ['-c', `"${process.execPath}" "${BIN}" run "${slow}" --out "${sb.out}" & echo $!; exec sleep 300`], { cwd: ROOT, reject: false, env: { ...sb.env, CI: '1', NO_COLOR: '1' } });
  sb.track(parent);
  t.teardown(() => { parent.kill('SIGKILL'); });
  let out = '';
  parent.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  t.ok(await until(() => /✓ 0 write/.test(out), 30_000), 'the run reached its wait');
  const runner = Number(out.split('\n')[0]);
  process.kill(runner, 'SIGKILL');
  const zombie = () => { try { const s = readFileSync(`/proc/${runner}/stat`, 'utf8'); return s.charAt(s.lastIndexOf(')') + 2) === 'Z'; } catch { return false; } };
  t.ok(await until(zombie), 'the killed runner is a zombie');
  t.equal(pidsWith(sb.tmp).length, 2, 'its two nodes still run');
  const r = await cli(['clean', '--json'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { reaped: [{ killed: [{}, {}], problems: [] }] });
  t.same(leftovers(sb), { processes: 0, temp_dirs: 0, records: 0 });
});

t.test('a node whose pid never reached the record is found by its data dir', async (t) => {
  const sb = withTmp(t);
  // What a runner killed between spawning a node and recording its pid leaves: a record
  // naming the temp dir and the child (no pid), and a node with its data dir inside.
  const dead = execa('true');
  await dead;
  const tempDir = join(sb.tmp, 'phantom-20240101-000000-dead-0');
  const dataDir = join(tempDir, 'a');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(join(sb.state, 'runs'), { recursive: true });
  writeFileSync(join(sb.state, 'runs', 'dead-0.json'), JSON.stringify({
    version: 1, run_id: 'dead-0', kind: 'run', owner_pid: dead.pid, owner_start: null, created: new Date().toISOString(), temp_dir: tempDir,
    children: [{ id: 'a', port: 1, url: 'http://127.0.0.1:1', data_dir: dataDir, log: join(tempDir, 'a.log') }],
  }));
  const node = execa(process.execPath, [join(FIXTURES, 'servers', 'never-healthy.mjs'), '--node-id', 'a', '--http', '127.0.0.1:0', '--data-dir', dataDir], { reject: false, detached: true });
  sb.track(node);
  t.ok(await until(() => pidsWith(dataDir).length === 1), 'the node runs');
  const r = await cli(['clean', '--json'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { reaped: [{ run_id: 'dead-0', killed: [{ id: 'a', pid: node.pid }], removed: [tempDir], problems: [] }] });
  t.ok(await until(() => pidsWith(dataDir).length === 0), 'the node is gone');
  t.same(leftovers(sb), { processes: 0, temp_dirs: 0, records: 0 });
});
