// Clock faults through libfaketime, on real processes: a node started with the clock
// environment can be skewed and made to drift later without a restart, its HTTP Date header
// shows it, its timers keep real time, writes without a timestamp land at its skewed now
// (and a query finds them), and a reset puts it back. Needs libfaketime: missing, the test
// fails with the reason (CI installs it), it never skips.
import t from 'tap';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  clockEnv, clockSupport, clockWitness, expectedOffsetMs, faketimeLine, parseClockSpec, processStartMs, reapFaketimeLeftovers, resetClock, setClock, type ClockSetting,
} from '../src/drivers/process/clock.js';
import { startRefNode, waitFor } from './helpers/ref-node.js';
import { ROOT } from './helpers.js';

t.test('clock specs: what libfaketime can express, and why not otherwise', async (t) => {
  const ok: Array<[string, ClockSetting]> = [
    ['+30s', { offsetMs: 30_000, rate: 1 }],
    ['-2h', { offsetMs: -7_200_000, rate: 1 }],
    ['0', { offsetMs: 0, rate: 1 }],
    ['+1.5m', { offsetMs: 90_000, rate: 1 }],
    ['+250ms', { offsetMs: 250, rate: 1 }],
    ['+0 x1.5', { offsetMs: 0, rate: 1.5 }],
    ['-10s x0.5', { offsetMs: -10_000, rate: 0.5 }],
    ['x2', { offsetMs: 0, rate: 2 }],
  ];
  for (const [spec, setting] of ok) t.same(parseClockSpec(spec), { ok: true, setting }, spec);
  const bad: Array<[string, RegExp]> = [
    ['', /empty clock spec/],
    ['+30', /needs a unit.*\+30s/],
    ['30s', /needs a sign: \+30s \(ahead\) or -30s/],
    ['+3w', /unknown unit 'w'/],
    ['+3651d', /too large/],
    ['@2020-01-01 00:00:00', /absolute times .* not supported/],
    ['+0 i2', /step mode .* not supported/],
    ['+0 x0', /x0 would stop the clock/],
    ['+0 x1000', /out of range/],
    ['+0 x-1', /not x followed by a number/],
    ['+1,5h', /not a number with a unit/],
    ['+1s x2 extra', /more than an offset and a rate/],
  ];
  for (const [spec, reason] of bad) {
    const r = parseClockSpec(spec);
    t.equal(r.ok, false, `'${spec}' refused`);
    if (!r.ok) t.match(r.reason, reason, `'${spec}': ${r.reason}`);
  }
  // Always a rate (libfaketime keeps the last one otherwise) and '.' for fractions.
  t.equal(faketimeLine(0, 1), '+0.000000 x1\n');
  t.equal(faketimeLine(-1500, 1.5), '-1.500000 x1.5\n');
});

t.test('without libfaketime the reason names the package to install', async (t) => {
  const probe = `import('${pathToFileURL(join(ROOT, 'dist', 'drivers', 'process', 'clock.js')).href}').then((m) => console.log(JSON.stringify(m.clockSupport())))`;
  const r = await execa(process.execPath, ['-e', probe], { env: { PHANTOM_LIBFAKETIME: '/nonexistent/libfaketime.so.1' } });
  t.same(JSON.parse(String(r.stdout)), { ok: false, reason: 'clock faults need libfaketime (apt-get install libfaketime): PHANTOM_LIBFAKETIME=/nonexistent/libfaketime.so.1 does not exist' });
});

t.test('a witness against a node that does not answer is not confirmed, and says why', async (t) => {
  const w = await clockWitness('http://127.0.0.1:1', 0, 1000, { timeoutMs: 200 });
  t.equal(w.ok, false);
  t.match(w.message, /clock skew not confirmed: GET http:\/\/127.0.0.1:1\/ping failed/);
});

const support = clockSupport();
if (!support.ok) {
  t.fail(`${support.reason}: clock-fault tests cannot run`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'phantom-clock-test-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
    reapFaketimeLeftovers(); // what the nodes killed below left in /dev/shm
  });

  t.test('a faked node keeps real-time timers while its Date.now() is skewed and drifting', async (t) => {
    const file = join(dir, 'timers.faketime');
    resetClock(file);
    // The child arms a 300 ms timer, then reports how long it took by its own monotonic
    // clock and by Date.now(); the parent times it too, on its real clock.
    const script = `
      console.log(JSON.stringify({ armed: Date.now() }));
      const p0 = performance.now(), d0 = Date.now();
      setTimeout(() => { console.log(JSON.stringify({ perf: performance.now() - p0, date: Date.now() - d0, now: Date.now() })); }, 300);`;
    // An hour ahead, running twice as fast from its start: nothing of that may touch timers.
    setClock(file, { offsetMs: 3_600_000, rate: 2 }, { processStartMs: Date.now() });
    const child = execa(process.execPath, ['-e', script], { env: clockEnv(file), reject: false });
    const lines: string[] = [];
    let armedAt = 0;
    child.stdout!.on('data', (b: Buffer) => {
      for (const l of b.toString().split('\n').filter(Boolean)) {
        if (lines.length === 0) armedAt = performance.now();
        lines.push(l);
      }
    });
    const r = await child;
    const firedAt = performance.now();
    t.equal(r.exitCode, 0, `child exited cleanly: ${String(r.stderr)}`);
    const fired = JSON.parse(lines[1]!) as { perf: number; date: number; now: number };
    t.ok(fired.perf >= 299 && fired.perf < 2000, `the 300 ms timer fired after ${fired.perf.toFixed(1)} ms of the child's monotonic clock`);
    t.ok(firedAt - armedAt < 3000, `and after at most ${(firedAt - armedAt).toFixed(0)} ms of the runner's real clock`);
    t.ok(fired.now - Date.now() > 3_590_000, `its Date.now() is an hour ahead (${fired.now - Date.now()} ms)`);
    t.ok(fired.date >= 550, `and ran at twice the speed during the timer (${fired.date} ms of Date.now())`);
  });

  t.test('a real node: skew +1h, witnessed, serving and timestamping by its clock; reset', async (t) => {
    const file = join(dir, 'solo.faketime');
    resetClock(file); // the file exists, at offset 0, from the node's start
    const node = await startRefNode({ dataDir: join(dir, 'solo-data'), env: clockEnv(file) });
    t.teardown(() => node.stop('SIGKILL'));

    const before = await clockWitness(node.url, 0, 1000);
    t.ok(before.ok, `before: ${before.message}`);

    setClock(file, { offsetMs: 3_600_000, rate: 1 });
    const skewed = await clockWitness(node.url, 3_600_000, 1000);
    t.ok(skewed.ok, `after +1h: ${skewed.message} (${skewed.attempts} requests, ${skewed.elapsedMs.toFixed(0)} ms)`);
    t.comment(`witness +1h confirmed in ${skewed.elapsedMs.toFixed(1)} ms, ${skewed.attempts} request(s)`);
    const notZero = await clockWitness(node.url, 0, 1000, { timeoutMs: 300 });
    t.notOk(notZero.ok, `a witness expecting no skew is not confirmed: ${notZero.message}`);

    const health = await fetch(`${node.url}/health`);
    t.equal(health.status, 200, 'the skewed node answers /health');
    const w = await fetch(`${node.url}/api/v3/write_lp?db=clk`, { method: 'POST', body: 'm,phase=skewed v=1' });
    t.equal(w.status, 204, 'a write without a timestamp is accepted');
    const q = await (await fetch(`${node.url}/api/v3/query_sql?db=clk&q=${encodeURIComponent("SELECT time FROM m WHERE phase = 'skewed'")}`)).json() as Array<{ time: string }>;
    t.equal(q.length, 1, 'and a query finds it');
    const landedAhead = Date.parse(`${q[0]!.time}Z`) - Date.now();
    t.ok(Math.abs(landedAhead - 3_600_000) < 5000, `it landed at the node's now, an hour ahead (${landedAhead} ms)`);

    resetClock(file);
    const reset = await clockWitness(node.url, 0, 1000);
    t.ok(reset.ok, `after reset: ${reset.message} (${reset.elapsedMs.toFixed(0)} ms)`);
    t.comment(`witness after reset confirmed in ${reset.elapsedMs.toFixed(1)} ms, ${reset.attempts} request(s)`);
    await fetch(`${node.url}/api/v3/write_lp?db=clk`, { method: 'POST', body: 'm,phase=reset v=2' });
    const q2 = await (await fetch(`${node.url}/api/v3/query_sql?db=clk&q=${encodeURIComponent("SELECT time FROM m WHERE phase = 'reset'")}`)).json() as Array<{ time: string }>;
    t.ok(Math.abs(Date.parse(`${q2[0]!.time}Z`) - Date.now()) < 5000, 'a write after the reset lands at real now');
    t.notOk(node.exited(), 'the node ran through it all');
  });

  t.test('a real node: drift x2 starts from its offset at the change, not its start', async (t) => {
    const file = join(dir, 'drift.faketime');
    resetClock(file);
    const node = await startRefNode({ dataDir: join(dir, 'drift-data'), env: clockEnv(file) });
    t.teardown(() => node.stop('SIGKILL'));
    const started = processStartMs(node.proc.pid!);
    // Uncompensated, x2 would jump the clock by the node's uptime: let that be 3 s to tell.
    t.ok(await waitFor(() => Date.now() - started >= 3000, 10_000), 'node up 3 s');

    const drift = { offsetMs: 0, rate: 2 };
    const since = Date.now();
    setClock(file, drift, { since, processStartMs: started });
    const atOnce = await clockWitness(node.url, (at) => expectedOffsetMs(drift, since, at), 1000, { timeoutMs: 1500 });
    t.ok(atOnce.ok, `right after: ${atOnce.message}`);
    t.ok(await waitFor(() => Date.now() - since >= 4000, 10_000), '4 s of drift');
    const later = await clockWitness(node.url, (at) => expectedOffsetMs(drift, since, at), 1000, { timeoutMs: 1500 });
    t.ok(later.ok, `after 4 s at x2 the node is ~4 s ahead: ${later.message}`);
    const notAhead = await clockWitness(node.url, 0, 1000, { timeoutMs: 300 });
    t.notOk(notAhead.ok, 'and no longer on real time');

    resetClock(file);
    const reset = await clockWitness(node.url, 0, 1000);
    t.ok(reset.ok, `reset ends the drift and the offset: ${reset.message}`);
    t.equal(readFileSync(file, 'utf8'), '+0.000000 x1\n');
    t.equal((await fetch(`${node.url}/health`)).status, 200);
  });

  t.test("libfaketime's shared memory of a node killed by a signal is reaped", async (t) => {
    const file = join(dir, 'reap.faketime');
    resetClock(file);
    const node = await startRefNode({ dataDir: join(dir, 'reap-data'), env: clockEnv(file) });
    const pid = node.proc.pid!;
    const mine = [`faketime_shm_${pid}`, `sem.faketime_sem_${pid}`];
    t.same(mine.filter((n) => existsSync(`/dev/shm/${n}`)), mine, 'the running node has its segment and semaphore');
    t.same(reapFaketimeLeftovers().filter((n) => mine.includes(n)), [], 'a live node\'s are left alone');
    await node.stop('SIGKILL');
    t.same(mine.filter((n) => existsSync(`/dev/shm/${n}`)), mine, 'SIGKILL leaves them behind');
    t.same(reapFaketimeLeftovers().filter((n) => mine.includes(n)).sort(), [...mine].sort(), 'the reaper removes them');
    t.same(mine.filter((n) => existsSync(`/dev/shm/${n}`)), []);
  });
}
