// Planted bugs (--bug NAME, src/bugs.ts): listed in --help, refused unless named exactly on the
// command line, and when on, the bug's symptom shows through the HTTP API while a clean node
// answers correctly. The full "does the suite catch each one" matrix is `npm run verify-power`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { BUGS } from '../src/bugs.js';
import { parseConfig } from '../src/config.js';
import { TestCluster } from './helpers/cluster.js';
import { createTable } from './helpers/layout.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-bugs-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
// Async, not spawnSync: the clusters below start meanwhile, and a blocked event loop would stall their health polls.
const run = (args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });

t.test('--help lists every planted bug with what it does', async (t) => {
  t.ok(Object.keys(BUGS).length >= 10, 'at least ten bugs');
  const r = await run(['--help']);
  t.equal(r.status, 0);
  t.match(r.stdout, '--bug NAME');
  for (const [name, what] of Object.entries(BUGS)) t.match(r.stdout, `${name}: ${what}`, name);
});

t.test('an unknown --bug is a startup error naming the valid ones', async (t) => {
  const r = await run(['--node-id', 'a', '--data-dir', path.join(tmp, 'x'), '--bug', 'quorum-ack-after-one', '--bug', 'no-such-bug']);
  t.equal(r.status, 2);
  t.match(r.stderr, `--bug 'no-such-bug' is not a known bug; valid: ${Object.keys(BUGS).join(', ')}`);
  t.notOk(fs.existsSync(path.join(tmp, 'x')), 'nothing was started');
});

t.test('bugs come only from --bug on the command line, never from the environment', async (t) => {
  const base = ['--node-id', 'a', '--data-dir', tmp];
  const env = { PHANTOM_BUG: 'quorum-ack-after-one', PHANTOM_BUGS: 'quorum-ack-after-one' };
  const clean = parseConfig(base, env);
  t.not(clean, 'help');
  t.notOk(clean !== 'help' && 'bugs' in clean, 'no bugs, and the clean config is unchanged');
  const buggy = parseConfig([...base, '--bug', 'quorum-ack-after-one', '--bug', 'quorum-ack-after-one'], {});
  t.same(buggy !== 'help' && buggy.bugs, ['quorum-ack-after-one'], 'named twice, on once');
});

// A clean cluster and one with three cheap bugs, side by side: same requests, different answers.
const BUGGED = ['drop-unterminated-last-line', 'merge-keeps-earlier-line', 'quorum-ack-after-one'] as const;

t.test('real nodes with bugs planted answer wrongly where clean ones do not', async (t) => {
  const clean = await TestCluster.start();
  t.teardown(() => clean.teardown());
  const bugged = await TestCluster.start({ extraArgs: BUGGED.flatMap((b) => ['--bug', b]) });
  t.teardown(() => bugged.teardown());
  for (const c of [clean, bugged]) {
    await createTable(c, 'a', { db: 'bf', table: 'm', tags: ['host'], fields: [{ name: 'v', type: 'float64' }], replication_factor: 3, consistency: 'quorum' });
  }

  await t.test('a node says in its log which bugs are planted', async (t) => {
    t.ok(bugged.node('a').log.some((l) => l.includes(`PLANTED BUGS ENABLED: ${BUGGED.join(', ')}`)));
    t.notOk(clean.node('a').log.some((l) => l.includes('PLANTED')));
  });

  await t.test('drop-unterminated-last-line: the last line of a body without a trailing newline is lost', async (t) => {
    const rows = async (c: TestCluster) => {
      const w = await c.write('a', 'bf', 'm,host=n1 v=1 1000\nm,host=n2 v=2 1000', '&precision=s');
      t.equal(w.status, 204, w.text);
      return (await c.query('a', 'bf', "SELECT host FROM m WHERE host IN ('n1', 'n2') ORDER BY host")).body;
    };
    t.same(await rows(clean), [{ host: 'n1' }, { host: 'n2' }], 'clean: both lines');
    t.same(await rows(bugged), [{ host: 'n1' }], 'bugged: the unterminated line is gone');
  });

  await t.test('merge-keeps-earlier-line: two lines with one identity keep the earlier value', async (t) => {
    const value = async (c: TestCluster) => {
      const w = await c.write('a', 'bf', 'm,host=d v=2 2000\nm,host=d v=1 2000\n', '&precision=s');
      t.equal(w.status, 204, w.text);
      return (await c.query('a', 'bf', "SELECT v FROM m WHERE host = 'd'")).body;
    };
    t.same(await value(clean), [{ v: 1 }], 'clean: the later line wins');
    t.same(await value(bugged), [{ v: 2 }], 'bugged: the earlier line wins');
  });

  await t.test('quorum-ack-after-one: with two of three replicas down a quorum write is acknowledged', async (t) => {
    const status = async (c: TestCluster) => {
      await Promise.all([c.kill('b'), c.kill('c')]);
      return c.write('a', 'bf', 'm,host=q v=1 3000\n', '&precision=s');
    };
    const [cleanW, buggedW] = await Promise.all([status(clean), status(bugged)]);
    t.equal(cleanW.status, 503, 'clean: refused');
    t.match(cleanW.text, '1 of 3 replicas acknowledged, 2 required');
    t.equal(buggedW.status, 204, `bugged: acknowledged (${buggedW.text})`);
  });
});
