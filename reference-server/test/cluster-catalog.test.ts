// The catalog survives the failures that could split it: a leader that lost its data dir, a
// late node whose id sorts first, concurrent layouts through different nodes, and deletes.
import fs from 'node:fs';
import t from 'tap';
import { TestCluster, waitFor } from './helpers/cluster.js';

const c = await TestCluster.start();
t.teardown(() => c.teardown());
const catalogOf = async (id: string) => (await c.json(id, 'GET', '/api/v3/cluster/nodes')).body;
const dbsOf = async (id: string) => (await c.json(id, 'GET', '/api/v3/configure/database')).body.map((d: Record<string, string>) => d['iox::database']);

t.test('a leader restarted without its data dir rejoins the existing catalog', async (t) => {
  t.equal((await c.json('b', 'POST', '/api/v3/configure/database', { db: 'before' })).status, 200);
  await c.kill('a');
  fs.rmSync(c.node('a').dataDir, { recursive: true, force: true });
  await c.startNode('a');
  await waitFor(async () => (await dbsOf('a')).includes('before'), 10_000, () => 'a to adopt the catalog');
  t.equal((await c.json('b', 'POST', '/api/v3/configure/database', { db: 'after' })).status, 200);
  await waitFor(async () => (await Promise.all(['a', 'b', 'c'].map(dbsOf))).every((l) => l.includes('after')), 10_000, () => 'every node to see db after');
  const versions = await Promise.all(['a', 'b', 'c'].map(async (id) => (await catalogOf(id)).catalog_version));
  t.ok(versions.every((v) => v === versions[0]), `one catalog everywhere: ${versions}`);
});

t.test('a node added later whose id sorts first joins instead of founding a cluster', async (t) => {
  await c.addNode('0first');
  const add = await c.json('b', 'POST', '/api/v3/cluster/nodes', { id: '0first', url: c.url('0first'), status: 'Active' });
  t.equal(add.status, 201);
  await waitFor(async () => (await dbsOf('0first')).includes('after'), 10_000, () => 'the new node to adopt the catalog');
  const view = await catalogOf('0first');
  const leader = view.nodes.find((n: { leader: boolean }) => n.leader)?.id;
  t.ok(['a', 'b', 'c'].includes(leader), `the leader is still one of the founding voters (${leader})`);
  // Caught up, the new node becomes a voter of the catalog's Raft.
  await waitFor(async () => (await c.json('b', 'GET', '/api/v3/cluster/raft')).body.voters.includes('0first'), 10_000, () => '0first to become a voter');
  t.equal((await c.json('0first', 'POST', '/api/v3/configure/database', { db: 'from-new-node' })).status, 200);
  await waitFor(async () => (await dbsOf('c')).includes('from-new-node'), 10_000, () => 'c to see it');
});

t.test('layouts defined concurrently through different nodes get distinct ids', async (t) => {
  await c.json('a', 'POST', '/api/v3/configure/table', { db: 'after', table: 'lay', tags: ['h'] });
  const day = (d: number) => [`2024-01-0${d}T00:00:00Z`, `2024-01-0${d + 1}T00:00:00Z`];
  const results = await Promise.all(
    ['a', 'b', 'c'].map((via, i) => c.json(via, 'POST', '/api/v3/cluster/shards', { db: 'after', table: 'lay', shards: [{ name: `day${i}`, time_range: day(i + 1), node_ids: [via] }] })),
  );
  t.same(results.map((r) => r.status), [201, 201, 201]);
  const ids = results.map((r) => r.body.shards[0].id);
  t.equal(new Set(ids).size, 3, `ids ${ids}`);
  t.same(results.map((r) => r.body.shards[0].name), ['day0', 'day1', 'day2']);
});

t.test('deleting a table deletes its rows: a re-created table starts empty', async (t) => {
  await c.json('a', 'POST', '/api/v3/configure/table', { db: 'after', table: 'gone', tags: ['h'], fields: [{ name: 'v', type: 'int64' }] });
  t.equal((await c.write('a', 'after', 'gone,h=x v=1i 1')).status, 204);
  t.equal((await c.json('b', 'DELETE', '/api/v3/configure/table?db=after&table=gone')).status, 200);
  await c.json('a', 'POST', '/api/v3/configure/table', { db: 'after', table: 'gone', tags: ['h'], fields: [{ name: 'v', type: 'float64' }] });
  t.equal((await c.write('a', 'after', 'gone,h=y v=2.5 2')).status, 204);
  for (const id of ['a', 'b', 'c']) {
    const rows = (await c.query(id, 'after', 'SELECT h, v FROM gone', '&local=true')).body;
    t.ok(!rows.some((r: { h: string }) => r.h === 'x'), `no old row on ${id}`);
  }
  t.same((await c.query('c', 'after', 'SELECT h, v FROM gone')).body, [{ h: 'y', v: 2.5 }]);
});
