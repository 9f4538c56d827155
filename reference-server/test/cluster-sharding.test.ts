// Seed 000 scenario 1 against a real 3-node cluster: explicit layout, routing, forwarding,
// local reads, merged distributed reads, and shard pruning visible in the nodes' metrics.
import t from 'tap';
import { TestCluster } from './helpers/cluster.js';
import { FULL, HALF, T1, T2, T3, T4, createTable, defineShards, hostInHashRange } from './helpers/layout.js';

const c = await TestCluster.start();
t.teardown(() => c.teardown());

await createTable(c, 'b', { db: 'db1', table: 't1', tags: ['host'], fields: [{ name: 'v', type: 'float64' }], shard_keys: ['host'] });
const shards = await defineShards(c, 'c', 'db1', 't1', [
  { name: 'S1_A', time_range: [T1, T2], hash_range: [0, HALF], node_ids: ['a'] },
  { name: 'S1_B', time_range: [T1, T2], hash_range: [HALF, FULL], node_ids: ['b'] },
  { name: 'S2_A', time_range: [T3, T4], hash_range: [0, HALF], node_ids: ['a'] },
  { name: 'S2_C', time_range: [T3, T4], hash_range: [HALF, FULL], node_ids: ['c'] },
]);
const low = await hostInHashRange(c, 'db1', 't1', 0, HALF);
const high = await hostInHashRange(c, 'db1', 't1', HALF, FULL);
const P1 = `t1,host=${low} v=1 1704067200000000000`; // T1
const P2 = `t1,host=${high} v=2 1704067260000000000`; // T1 + 1 min
const P3 = `t1,host=${low} v=3 1704240000000000000`; // T3
const P4 = `t1,host=${high} v=4 1704240060000000000`; // T3 + 1 min

t.test('the catalog holds the layout on every node', async (t) => {
  for (const id of ['a', 'b', 'c']) {
    const r = await c.json(id, 'GET', '/api/v3/cluster/shards?db=db1&table=t1');
    t.same(r.body.shards.map((s: { name: string; node_ids: string[] }) => [s.name, s.node_ids]), [['S1_A', ['a']], ['S1_B', ['b']], ['S2_A', ['a']], ['S2_C', ['c']]], `node ${id}`);
  }
  t.equal(shards.length, 4);
});

t.test('route names the shard and owners a point maps to', async (t) => {
  const r = await c.json('b', 'GET', `/api/v3/cluster/route?db=db1&table=t1&host=${high}&time=${encodeURIComponent(T3)}`);
  t.equal(r.status, 200);
  t.equal(r.body.shard.name, 'S2_C');
  t.same(r.body.node_ids, ['c']);
});

t.test('a batch written through one node lands on each designated owner', async (t) => {
  const w = await c.write('a', 'db1', [P1, P2, P3, P4]);
  t.equal(w.status, 204, w.text);
  const local = async (id: string) => (await c.query(id, 'db1', 'SELECT host, v FROM t1 ORDER BY v', '&local=true')).body;
  t.same(await local('a'), [{ host: low, v: 1 }, { host: low, v: 3 }], 'node a holds S1_A and S2_A rows');
  t.same(await local('b'), [{ host: high, v: 2 }], 'node b holds only S1_B rows (forwarded from a)');
  t.same(await local('c'), [{ host: high, v: 4 }], 'node c holds only S2_C rows (forwarded from a)');
});

t.test('distributed queries merge shards from all nodes', async (t) => {
  for (const via of ['a', 'b', 'c']) {
    const all = await c.query(via, 'db1', 'SELECT host, v FROM db1.t1 ORDER BY time, host');
    t.same(all.body.map((r: { v: number }) => r.v), [1, 2, 3, 4], `all rows via ${via}`);
  }
  const r1 = await c.query('c', 'db1', `SELECT v FROM t1 WHERE time >= '${T1}' AND time < '${T2}' ORDER BY time, host`);
  t.same(r1.body, [{ v: 1 }, { v: 2 }]);
  const r2 = await c.query('b', 'db1', `SELECT v FROM t1 WHERE time >= '${T3}' AND time < '${T4}' ORDER BY time, host`);
  t.same(r2.body, [{ v: 3 }, { v: 4 }]);
  const point = await c.query('b', 'db1', `SELECT host, v, time FROM t1 WHERE host = '${low}' AND time = '${T1}'`);
  t.same(point.body, [{ host: low, v: 1, time: '2024-01-01T00:00:00' }]);
});

t.test('pruning scans only the nodes that own matching shards', async (t) => {
  const scans = async () => Promise.all(['a', 'b', 'c'].map((id) => c.metric(id, 'phantom_scan_requests_total', { table: 't1' })));
  const before = await scans();
  const r = await c.query('b', 'db1', `SELECT v FROM t1 WHERE host = '${low}' AND time >= '${T1}' AND time < '${T2}'`);
  t.same(r.body, [{ v: 1 }]);
  const after = await scans();
  t.equal(after[0]! - before[0]!, 1, 'a (owner of S1_A) scanned once');
  t.equal(after[1]! - before[1]!, 0, 'b did not scan: it owns no matching shard');
  t.equal(after[2]! - before[2]!, 0, 'c did not scan');

  const before2 = await scans();
  await c.query('a', 'db1', `SELECT count(*) AS n FROM t1 WHERE time >= '${T3}'`);
  const after2 = await scans();
  t.equal(after2[1]! - before2[1]!, 0, 'b holds nothing after T3 and is not asked');
  t.equal(after2[2]! - before2[2]!, 1, 'c is asked for S2_C');
});

t.test('a trace id follows a query to the nodes it scans, in their structured logs', async (t) => {
  const traceId = 'trace-sharding-test-1';
  const r = await c.request('b', 'GET', `/api/v3/query_sql?db=db1&q=${encodeURIComponent(`SELECT v FROM t1 WHERE time >= '${T3}'`)}`, undefined, { 'x-phantom-trace-id': traceId });
  t.equal(r.status, 200);
  const scanLog = c.node('c').log.map((l) => JSON.parse(l)).find((l) => l.trace_id === traceId);
  t.ok(scanLog, 'node c logged the scan with the trace id');
  t.match(scanLog, { node_id: 'c', db: 'db1', table: 't1', msg: 'shard scan', from: 'b' });
});

t.test('points outside the explicit layout get automatic shards', async (t) => {
  const w = await c.write('c', 'db1', `t1,host=${low} v=5 1706745600000000000`); // 2024-02-01
  t.equal(w.status, 204, w.text);
  const shardsNow = (await c.json('a', 'GET', '/api/v3/cluster/shards?db=db1&table=t1')).body.shards;
  t.equal(shardsNow.length, 5);
  const auto = shardsNow.find((s: { name?: string }) => !s.name);
  t.same(auto.time_range, ['2024-02-01T00:00:00Z', '2024-02-02T00:00:00Z'], 'one day partition');
  const all = await c.query('b', 'db1', 'SELECT count(*) AS n FROM t1');
  t.same(all.body, [{ n: 5 }]);
});
