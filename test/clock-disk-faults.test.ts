// Clock and disk faults end to end on the process driver, against real processes: each
// fault, its undo and its witness through the driver (a skew survives a restart, a drift
// too); a fault aimed at a paused or stopped node fails its step at once; a driver without
// the capability skips the scenario (exit 0); teardown after SIGINT and reaping after a
// SIGKILLed runner leave no tmpfs in /proc/mounts and no libfaketime memory in /dev/shm.
// Needs root and libfaketime (CI has both): missing, the test fails with the reason.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ProcessDriver } from '../src/drivers/process/index.js';
import { createDriver } from '../src/drivers/index.js';
import type { Capability, Driver } from '../src/drivers/driver.js';
import { clockSupport, clockWitness, expectedOffsetMs, fakedProcessesInside } from '../src/drivers/process/clock.js';
import { diskFullWitness, diskSupport, findLeftoverMounts } from '../src/drivers/process/disk.js';
import { FAULTS } from '../src/faults/index.js';
import { loadScenarios } from '../src/scenario/loader.js';
import { runScenarios, type RunOptions } from '../src/engine/run.js';
import { BIN, FIXTURES, ROOT, cli, pidsWith, sandbox, until } from './helpers.js';

const clockOk = clockSupport();
const diskOk = await diskSupport();
if (!clockOk.ok) t.fail(`${clockOk.reason}: clock fault tests cannot run`);
if (!diskOk.ok) t.fail(`${diskOk.reason}: disk fault tests cannot run`);

const base = mkdtempSync(join(tmpdir(), 'phantom-clockdisk-'));
process.env.PHANTOM_TEST_STATE_DIR = join(base, 'state');
t.teardown(() => rmSync(base, { recursive: true, force: true }));

const HOUR = 3_600_000;
/** libfaketime's shared memory of process `pid`, left in /dev/shm when it dies by a signal. */
const shmOf = (pid: number) => [`faketime_shm_${pid}`, `sem.faketime_sem_${pid}`].filter((n) => existsSync(`/dev/shm/${n}`));

async function run(files: string[], extra: Partial<RunOptions> = {}) {
  const { scenarios, diagnostics } = await loadScenarios(files.map((f) => (f.includes('/') ? join(ROOT, f) : join(FIXTURES, 'engine', f))));
  if (diagnostics.length) throw new Error(JSON.stringify(diagnostics));
  let console = '';
  const stream = { write: (s: string) => { console += s; return true; }, isTTY: false, columns: 120 } as unknown as NodeJS.WriteStream;
  const result = await runScenarios(scenarios, {
    seed: 7, driver: 'process', out: null, reporters: ['console'], keep: false, bail: false,
    argv: [], signal: new AbortController().signal, consoleStream: stream, ...extra,
  });
  return { result, console };
}

/** The process driver minus some capabilities: what a machine without root or libfaketime gives. */
const without = (...lack: Capability[]): RunOptions['createDriver'] => (name, o) => {
  const d = createDriver(name, o);
  Object.defineProperty(d, 'capabilities', { value: new Set([...d.capabilities].filter((c) => !lack.includes(c))) });
  return d;
};

t.test('the driver: clock skew, drift across a restart, reset; disk fill and free; all witnessed', async (t) => {
  const d = new ProcessDriver({ runId: `clockdisk-${process.pid}` });
  let torn = false;
  t.teardown(async () => { if (!torn) await d.teardown({ keep: false }); });
  await d.start({ nodes: ['a', 'b'].map((id) => ({ id, start: true, args: [], env: {} })), readyTimeoutMs: 20_000, prepare: { clock: true, diskSizeMb: 8 } });
  const tempDir = join(tmpdir(), `phantom-clockdisk-${process.pid}`);
  t.same(findLeftoverMounts(`${tempDir}/`).sort(), [join(tempDir, 'a'), join(tempDir, 'b')], 'each data dir is a tmpfs');
  t.equal(fakedProcessesInside(tempDir).length >= 2, true, 'both nodes run under libfaketime');
  const target = (nodes: string[], clock?: { offsetMs: number; rate: number }) => ({ kind: 'nodes' as const, nodes, ...(clock ? { clock } : {}) });
  const w = { driver: d as Driver, timeoutMs: 5000, signal: new AbortController().signal };

  // clock: inject, witness, survives a restart, undo.
  const clock = FAULTS.clock!;
  await clock.inject(d, target(['a'], { offsetMs: HOUR, rate: 1 }) as never);
  const skewed = await clock.witness(target(['a']), w);
  t.ok(skewed.confirmed, `a is an hour ahead: ${JSON.stringify(skewed)}`);
  t.ok((await clockWitness(d.node('b').url, 0, 500)).ok, 'b is not skewed');
  t.notOk((await clockWitness(d.node('a').url, 0, 500, { timeoutMs: 300 })).ok, 'so a witness expecting no skew on a does not confirm');
  await d.stop('a');
  await d.startNode('a');
  t.ok((await clockWitness(d.node('a').url, HOUR, 500)).ok, 'a restarted node keeps its skew');

  const drift = { offsetMs: 0, rate: 2 };
  await clock.inject(d, target(['a'], drift) as never);
  const since = d.clockOf('a').since;
  await until(() => Date.now() - since > 1500, 5000);
  await d.stop('a');
  await d.startNode('a');
  const afterRestart = await clockWitness(d.node('a').url, (at) => expectedOffsetMs(drift, since, at), 500);
  t.ok(afterRestart.ok, `a restarted node keeps drifting from where it was: ${afterRestart.message}`);

  await clock.undo!(d, target(['a']));
  t.ok((await clock.witness(target(['a']), w)).confirmed, 'undo: back on real time, witnessed');
  t.ok((await clockWitness(d.node('a').url, 0, 500)).ok);

  // disk_full / disk_free: inject, witness, undo.
  const full = FAULTS.disk_full!;
  const freeF = FAULTS.disk_free!;
  await full.inject(d, target(['b']));
  const seenFull = await full.witness(target(['b']), w);
  t.ok(seenFull.confirmed, `b's disk is full: ${JSON.stringify(seenFull)}`);
  const res = await fetch(`${d.node('b').url}/api/v3/write_lp?db=x`, { method: 'POST', body: 'm v=1 1704067200000000000' });
  t.equal(res.status, 507, `a write to b is refused: ${await res.text()}`);
  t.notOk(diskFullWitness(d.node('a').dataDir!).ok, 'a has room');
  await freeF.inject(d, target(['b']));
  t.ok((await freeF.witness(target(['b']), w)).confirmed, 'disk_free witnessed');
  await full.inject(d, target(['b']));
  await full.undo!(d, target(['b']));
  t.ok((await freeF.witness(target(['b']), w)).confirmed, 'the undo of disk_full frees it');
  t.equal((await fetch(`${d.node('b').url}/api/v3/write_lp?db=x`, { method: 'POST', body: 'm v=2 1704067200000000001' })).status, 204, 'b takes writes again');

  const pids = d.nodes().map((n) => n.pid!);
  const report = await d.teardown({ keep: false });
  torn = true;
  t.same(report.problems, []);
  t.same(findLeftoverMounts(`${tempDir}/`), [], 'teardown unmounted every tmpfs');
  t.notOk(existsSync(tempDir), 'and removed the temp dir with its timestamp files');
  t.same(pids.flatMap(shmOf), [], 'no libfaketime memory of its nodes in /dev/shm');
});

t.test('a clock or disk fault aimed at a paused or stopped node fails its step at once, saying so', async (t) => {
  const t0 = Date.now();
  const { result } = await run(['fault-on-paused.yaml', 'disk-on-stopped.yaml']);
  const [paused, stopped] = result.tests;
  t.equal(paused!.verdict, 'error');
  t.equal(paused!.steps[1]!.status, 'error');
  t.match(paused!.steps[1]!.error!.message, /cannot set the clock of node a: it is paused/);
  t.same(paused!.teardown.problems, [], 'teardown resumed and stopped it');
  t.equal(stopped!.steps[1]!.status, 'error');
  t.match(stopped!.steps[1]!.error!.message, /cannot fill the disk of node b: it is stopped/);
  t.ok(Date.now() - t0 < 30_000, 'never hangs');
});

t.test('without the clock or disk capability the scenarios are skipped with the reason, exit 0', async (t) => {
  const { result, console } = await run(['scenarios/clock-skew.yaml', 'scenarios/disk-full.yaml'], { createDriver: without('clock', 'disk') });
  t.same(result.tests.map((x) => x.verdict), ['skipped', 'skipped']);
  t.match(result.tests[0]!.skip_reason, /cannot do fault "clock" \(at .*clock-skew\.yaml:\d+:\d+\): it needs the "clock" capability/);
  t.match(result.tests[1]!.skip_reason, /cannot do fault "disk_full" \(at .*disk-full\.yaml:\d+:\d+\): it needs the "disk" capability/);
  t.equal(result.exit_code, 0);
  t.match(console, /0 passed, 0 failed, 2 skipped/);
});

t.test('the scenarios pass where the driver has both', async (t) => {
  const { result } = await run(['scenarios/clock-skew.yaml', 'scenarios/disk-full.yaml']);
  t.same(result.tests.map((x) => [x.info.name, x.verdict, x.error?.message]), result.tests.map((x) => [x.info.name, 'passed', undefined]));
});

/** A runner in a sandbox of its own (state and temp dir), stopped in its long wait. */
async function runnerInWait(t: Test) {
  const sb = sandbox(t);
  const tmp = join(sb.state, '..', 'tmp');
  mkdirSync(tmp, { recursive: true });
  const env = { ...sb.env, TMPDIR: tmp, CI: '1', NO_COLOR: '1' };
  const child = execa(process.execPath, [BIN, 'run', join(FIXTURES, 'engine', 'clock-disk-slow.yaml'), '--out', sb.out], { cwd: ROOT, reject: false, env });
  sb.track(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  t.ok(await until(() => /✓ 2 disk_full/.test(out), 30_000), `the runner reached its wait: ${out}`);
  const mounts = findLeftoverMounts(`${tmp}/`);
  const faked = fakedProcessesInside(tmp);
  t.equal(mounts.length, 2, 'both data dirs are mounted');
  t.ok(faked.length >= 2, 'nodes run under libfaketime');
  t.ok(faked.some((p) => shmOf(p).length === 2), 'and have their shared memory in /dev/shm');
  return { sb, tmp, child, env, faked, out: () => out };
}

t.test('Ctrl-C: teardown unmounts, and removes timestamp files and libfaketime memory', async (t) => {
  const { tmp, child, faked, out } = await runnerInWait(t);
  child.kill('SIGINT');
  const r = await child;
  t.equal(r.exitCode, 130, out());
  t.same(findLeftoverMounts(`${tmp}/`), [], 'no mount left (/proc/mounts)');
  t.same(faked.flatMap(shmOf), [], 'no libfaketime memory left in /dev/shm');
  t.same(readdirSync(tmp), [], 'no temp dir (with its timestamp files) left');
  t.same(pidsWith(tmp), [], 'no process left');
});

t.test('a SIGKILLed runner: the next clean unmounts and removes libfaketime leftovers', async (t) => {
  const { sb, tmp, child, env, faked } = await runnerInWait(t);
  child.kill('SIGKILL');
  await child;
  t.equal(findLeftoverMounts(`${tmp}/`).length, 2, 'the killed runner left its mounts');
  const r = await cli(['clean'], { env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  t.same(findLeftoverMounts(`${tmp}/`), [], 'clean unmounted them (/proc/mounts)');
  t.same(pidsWith(tmp), [], 'and killed the nodes');
  t.same(faked.flatMap(shmOf), [], 'no libfaketime memory of its nodes left in /dev/shm');
  t.same(readdirSync(tmp), [], 'no temp dir left');
  t.notOk(existsSync(join(sb.state, 'runs')) && readdirSync(join(sb.state, 'runs')).length > 0, 'no record left');
});
