// One write must not poison a node (issue 6): a line past the schema limits gets its own 400
// with its line number and is stored nowhere (no catalog column, no WAL record), every owner
// restarts on its data dir, and a replica write its target can never apply is refused with a
// 4xx and set aside, not retried forever.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { TestCluster, waitFor } from './helpers/cluster.js';
import { createTable, defineShards } from './helpers/layout.js';
import { Wal } from '../src/storage/wal.js';

const c = await TestCluster.start();
t.teardown(() => c.teardown());

const fields = (n: number, prefix = 'f') => Array.from({ length: n }, (_, i) => `${prefix}${i}=${i}`).join(',');
const tags = (n: number) => Array.from({ length: n }, (_, i) => `t${i}=v${i}`).join(',');
const columnsOf = async (table: string) => {
  const r = await c.query('b', 'poison', `SELECT * FROM ${table}`);
  return Object.keys(r.body[0] ?? {}).sort();
};

t.test('a line with 999 fields: a per-line 400, the other lines stored, nothing of it anywhere', async (t) => {
  const body = ['wide,host=h v=1 1', `wide,host=h ${fields(999)} 2`, 'wide,host=h v=3 3'].join('\n');
  const w = await c.write('a', 'poison', body);
  t.equal(w.status, 400, w.text);
  const j = JSON.parse(w.text);
  t.equal(j.error, 'partial write of line protocol occurred');
  t.equal(j.data.length, 1);
  t.equal(j.data[0].line_number, 2);
  t.match(j.data[0].error_message, /would exceed number of columns per table limit of 499 columns/);
  t.same((await c.query('c', 'poison', 'SELECT v FROM wide ORDER BY time')).body, [{ v: 1 }, { v: 3 }]);
  t.same(await columnsOf('wide'), ['host', 'time', 'v'], 'no column of the rejected line reached the catalog');
});

t.test('limits: 499 columns fit, 500 do not, tags or fields; all-or-nothing stores nothing', async (t) => {
  t.equal((await c.write('a', 'poison', `fits ${fields(499)} 1`)).status, 204, '499 fields');
  const over = await c.write('b', 'poison', `fits,host=h v=1 2`);
  t.equal(over.status, 400, 'two more columns (host, v) do not fit');
  t.match(JSON.parse(over.text).data[0].error_message, /limit of 499 columns \(501 needed\)/);
  t.equal((await c.write('c', 'poison', `tagged,${tags(255)} v=1 1`)).status, 204, '255 tags fit');
  const manyTags = await c.write('c', 'poison', `tagged,${tags(499)} v=1 2`);
  t.equal(manyTags.status, 400);
  t.match(JSON.parse(manyTags.text).data[0].error_message, /limit of 499 columns \(500 needed\)/);
  const aon = await c.write('a', 'poison', `aon,host=h v=1 1\naon,host=h ${fields(600, 'g')} 2`, '&accept_partial=false');
  t.equal(aon.status, 400);
  t.equal(JSON.parse(aon.text).data.line_number, 2);
  t.equal((await c.query('a', 'poison', 'SELECT count(*) AS n FROM aon')).status, 400, 'the table was not even created');
  const nul = await c.write('a', 'poison', 'nul,host=a v\u0000x=1 1');
  t.equal(nul.status, 400, 'a NUL in a column name: SQLite could never query it');
  t.match(JSON.parse(nul.text).data[0].error_message, /invalid field key "v\\u0000x": NUL characters are not allowed/);
  // A NUL in a tag value is fine, and does not make two series one.
  t.equal((await c.write('a', 'poison', 'nulv,a=x\u0000b\u0000c v=1 1\nnulv,a=x,b=c v=2 1')).status, 204);
  t.same((await c.query('b', 'poison', 'SELECT v FROM nulv ORDER BY v')).body, [{ v: 1 }, { v: 2 }], 'two rows');
  const declared = await c.json('a', 'POST', '/api/v3/configure/table', { db: 'poison', table: 'decl', tags: Array.from({ length: 500 }, (_, i) => `t${i}`) });
  t.equal(declared.status, 400, 'the catalog leader checks declared tables too');
});

t.test('every node restarts on its data dir and still serves the stored rows', async (t) => {
  for (const id of ['a', 'b', 'c']) {
    await c.restart(id);
    t.equal((await c.request(id, 'GET', '/health')).status, 200, `${id} is back`);
  }
  t.same((await c.query('a', 'poison', 'SELECT v FROM wide ORDER BY time')).body, [{ v: 1 }, { v: 3 }]);
  for (const id of ['a', 'b', 'c']) t.notOk(c.node(id).log.some((l) => l.includes('QUARANTINED')), `${id} replayed its WAL cleanly`);
});

t.test('replica writes: garbage and unapplicable entries get a 400, not a 500', async (t) => {
  t.equal((await c.request('b', 'POST', '/internal/write', 'not json')).status, 400);
  t.equal((await c.request('b', 'POST', '/internal/write', { entries: 5 })).status, 400);
  t.equal((await c.request('b', 'POST', '/internal/write', 'null')).status, 400);
});

t.test('a stored hint its target can never apply is set aside, not retried forever', async (t) => {
  await createTable(c, 'a', { db: 'poison', table: 'hinted', tags: ['host'], fields: [{ name: 'v', type: 'float64' }] });
  const [shard] = await defineShards(c, 'a', 'poison', 'hinted', [{ time_range: ['1970-01-01T00:00:00Z', '2100-01-01T00:00:00Z'], node_ids: ['b'] }]);
  // What a node without the checks stored for b: a 999-field row b cannot hold.
  const f: unknown[] = [];
  for (let i = 0; i < 999; i++) f.push(`f${i}`, 0, i);
  const poisoned = [{ db: 'poison', table: 'hinted', shard: shard!.id, ver: 1, points: [['hinted', { host: 'h' }, f, '1']] }];
  const good = [{ db: 'poison', table: 'hinted', shard: shard!.id, ver: 2, points: [['hinted', { host: 'h' }, ['v', 0, 7], '2']] }];
  await c.stop('a');
  fs.mkdirSync(path.join(c.node('a').dataDir, 'hints'), { recursive: true });
  fs.writeFileSync(path.join(c.node('a').dataDir, 'hints', 'b.hints'), JSON.stringify(poisoned) + '\n' + JSON.stringify(good) + '\n');
  await c.startNode('a');
  await waitFor(async () => (await c.metric('a', 'phantom_hinted_handoff_rejected_total')) === 1, 10_000, () => 'a to set the poisoned hint aside');
  await waitFor(async () => (await c.metric('a', 'phantom_hinted_handoff_pending', { target: 'b' })) === 0, 10_000, () => 'the hint behind it to be replayed');
  t.same((await c.query('b', 'poison', 'SELECT v FROM hinted', '&local=true')).body, [{ v: 7 }], 'the good hint behind it landed');
  await c.restart('b');
  t.equal((await c.request('b', 'GET', '/health')).status, 200, 'b restarts: its WAL never took the poisoned record');
  t.notOk(c.node('b').log.some((l) => l.includes('QUARANTINED')));
});

t.test('a WAL record replay cannot apply (as older versions logged) is quarantined; the node starts', async (t) => {
  const owner = 'c';
  await c.stop(owner);
  const walDir = path.join(c.node(owner).dataDir, 'wal');
  const wal = new Wal(walDir);
  wal.open(0, () => undefined); // only to append to it
  const f: unknown[] = [];
  for (let i = 0; i < 999; i++) f.push(`q${i}`, 0, i);
  const seq = wal.append([{ db: 'poison', table: 'wide', shard: 1, ver: 1, points: [['wide', { host: 'h' }, f, '9']] }], true);
  wal.close();
  await c.startNode(owner);
  t.equal((await c.request(owner, 'GET', '/health')).status, 200, 'the node starts');
  t.ok(c.node(owner).log.some((l) => l.includes('QUARANTINED') && l.includes(`"seq":${seq}`)), 'and says loudly what it set aside');
  t.ok(fs.existsSync(path.join(walDir, 'quarantine', `${seq}.json`)), 'the record is kept for an operator');
  await c.restart(owner);
  t.equal(c.node(owner).log.filter((l) => l.includes('QUARANTINED')).length, 1, 'a second restart does not meet it again');
  t.same((await c.query('a', 'poison', 'SELECT v FROM wide ORDER BY time')).body, [{ v: 1 }, { v: 3 }], 'the data is all there');
});
