// Replication against a real 3-node cluster: RF=2 placement, quorum writes with a dead owner,
// hinted handoff and anti-entropy catch-up after restart, 503 when no owner is reachable.
import fs from 'node:fs';
import t from 'tap';
import { TestCluster, waitFor } from './helpers/cluster.js';
import { createTable, defineShards } from './helpers/layout.js';

const ALL_TIME = ['1970-01-01T00:00:00Z', '2100-01-01T00:00:00Z'];
const c = await TestCluster.start();
t.teardown(() => c.teardown());

const rows = async (via: string, table: string, extra = '') =>
  (await c.query(via, 'db1', `SELECT host, v FROM ${table} ORDER BY time`, extra)).body;

t.test('RF=2: both owners hold the row locally, the third node does not', async (t) => {
  await createTable(c, 'a', { db: 'db1', table: 't2', tags: ['host'], fields: [{ name: 'v', type: 'int64' }], replication_factor: 2 });
  await defineShards(c, 'a', 'db1', 't2', [{ name: 'S_AB', time_range: ALL_TIME, node_ids: ['a', 'b'] }]);
  t.equal((await c.write('a', 'db1', 't2,host=h5 v=5i 1000')).status, 204);
  t.equal((await c.write('b', 'db1', 't2,host=h6 v=6i 2000')).status, 204);
  t.same(await rows('a', 't2', '&local=true'), [{ host: 'h5', v: 5 }, { host: 'h6', v: 6 }]);
  t.same(await rows('b', 't2', '&local=true'), [{ host: 'h5', v: 5 }, { host: 'h6', v: 6 }]);
  t.same(await rows('c', 't2', '&local=true'), [], 'c owns no replica');
  t.same(await rows('c', 't2'), [{ host: 'h5', v: 5 }, { host: 'h6', v: 6 }], 'but c can query through the owners');
  const sum = await c.json('c', 'GET', `/api/v3/cluster/shards/${(await c.json('a', 'GET', '/api/v3/cluster/shards?db=db1&table=t2')).body.shards[0].id}/checksum`);
  t.equal(sum.body.consistent, true, 'replica checksums agree');
  t.same(sum.body.replicas.map((r: { row_count: number }) => r.row_count), [2, 2]);
});

t.test('RF=2 with B killed: consistency one succeeds, B catches up by hinted handoff after restart', async (t) => {
  await c.kill('b');
  const w = await c.write('a', 'db1', 't2,host=h7 v=7i 3000', '&consistency=one');
  t.equal(w.status, 204, w.text);
  t.same((await rows('a', 't2')).map((r: { v: number }) => r.v), [5, 6, 7], 'a answers with all rows while b is down');
  const quorum = await c.write('a', 'db1', 't2,host=h8 v=8i 4000', '&consistency=all');
  t.equal(quorum.status, 503, 'consistency all cannot be met with one of two owners');
  t.match(JSON.parse(quorum.text).error, /1 of 2 replicas acknowledged, 2 required; unavailable: b/);
  const allOrNothing = await c.write('a', 'db1', 't2,host=h9 v=9i 5000', '&consistency=all&accept_partial=false');
  t.equal(allOrNothing.status, 503, 'an all-or-nothing write is refused up front, not reported as a parse error');
  t.match(JSON.parse(allOrNothing.text).error, /1 of 2 replicas available \(nothing was written\), 2 required; unavailable: b/);
  t.notOk((await rows('a', 't2', '&local=true')).some((r: { v: number }) => r.v === 9), 'and stored nothing');
  await c.startNode('b');
  await waitFor(async () => (await rows('b', 't2', '&local=true')).some((r: { v: number }) => r.v === 7), 15_000, () => 'b to receive P7');
  await waitFor(async () => (await c.metric('a', 'phantom_hinted_handoff_replayed_total')) >= 1, 10_000, () => 'a to replay its hint');
  t.equal(await c.metric('a', 'phantom_hinted_handoff_pending', { target: 'b' }), 0, 'no hint left for b');
  t.same((await rows('c', 't2', '&local=true')), [], 'c still holds nothing of S_AB');
});

t.test('RF=3 quorum: a killed owner does not stop writes, and catches up when back', async (t) => {
  await createTable(c, 'a', { db: 'db1', table: 't3', tags: ['host'], fields: [{ name: 'v', type: 'int64' }], replication_factor: 3, consistency: 'quorum' });
  await defineShards(c, 'a', 'db1', 't3', [{ time_range: ALL_TIME, node_ids: ['a', 'b', 'c'] }]);
  await c.kill('c');
  const w = await c.write('a', 'db1', 't3,host=h8 v=8i 1000');
  t.equal(w.status, 204, `2 of 3 replicas make a quorum: ${w.text}`);
  t.same(await rows('b', 't3', '&local=true'), [{ host: 'h8', v: 8 }]);
  await c.startNode('c');
  await waitFor(async () => (await rows('c', 't3', '&local=true')).length === 1, 15_000, () => 'c to catch up');
  t.same(await rows('c', 't3', '&local=true'), [{ host: 'h8', v: 8 }]);
});

t.test('anti-entropy: a replica that lost its data converges with no manual step', async (t) => {
  await createTable(c, 'a', { db: 'db1', table: 't5', tags: ['host'], fields: [{ name: 'v', type: 'int64' }], replication_factor: 2 });
  await defineShards(c, 'a', 'db1', 't5', [{ time_range: ALL_TIME, node_ids: ['a', 'b'] }]);
  const lines = Array.from({ length: 500 }, (_, i) => `t5,host=h${i % 7} v=${i}i ${1000 + i}`);
  t.equal((await c.write('a', 'db1', lines)).status, 204);
  await c.kill('b');
  fs.rmSync(c.node('b').dataDir, { recursive: true, force: true }); // disk replaced: no WAL, no hints for it anywhere
  await c.startNode('b');
  const early = await c.query('b', 'db1', 'SELECT count(*) AS n FROM t5');
  t.same(early.body, [{ n: 500 }], 'a query through b right after restart is answered in full (by a, until b has caught up)');
  await waitFor(async () => (await c.query('b', 'db1', 'SELECT count(*) AS n FROM t5', '&local=true')).body[0]?.n === 500, 20_000, () => 'b to pull 500 rows');
  const shardId = (await c.json('a', 'GET', '/api/v3/cluster/shards?db=db1&table=t5')).body.shards[0].id;
  const sum = await c.json('a', 'GET', `/api/v3/cluster/shards/${shardId}/checksum`);
  t.equal(sum.body.consistent, true, JSON.stringify(sum.body));
  t.ok((await c.metric('b', 'phantom_anti_entropy_rows_pulled_total')) >= 500);
});

t.test('a large batch (150,000 lines, ~7 MB) is stored on both replicas', async (t) => {
  const lines = Array.from({ length: 150_000 }, (_, i) => `t2,host=bulk${i % 100} v=${i}i ${10_000 + i}`);
  const w = await c.write('b', 'db1', lines);
  t.equal(w.status, 204, w.text.slice(0, 300));
  for (const id of ['a', 'b']) {
    const n = await c.query(id, 'db1', "SELECT count(*) AS n FROM t2 WHERE host LIKE 'bulk%'", '&local=true');
    t.same(n.body, [{ n: 150_000 }], `all on ${id}`);
  }
});

t.test('a shard with no reachable owner fails the query with 503 naming it', async (t) => {
  await createTable(c, 'a', { db: 'db1', table: 't4', tags: ['host'], fields: [{ name: 'v', type: 'int64' }] });
  const [s] = await defineShards(c, 'a', 'db1', 't4', [{ name: 'ONLY_C', time_range: ALL_TIME, node_ids: ['c'] }]);
  t.equal((await c.write('a', 'db1', 't4,host=x v=1i 1')).status, 204);
  await c.kill('c');
  const q = await c.query('a', 'db1', 'SELECT * FROM t4');
  t.equal(q.status, 503);
  t.match(q.body.error, new RegExp(`shard ${s!.id} \\(ONLY_C\\) of db1.t4 has no reachable owner; tried: c`));
  const w = await c.write('a', 'db1', 't4,host=x v=2i 2');
  t.equal(w.status, 503, 'a write to it cannot reach consistency either');
  await c.startNode('c');
});
