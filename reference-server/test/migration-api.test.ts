// The management API of shard moves and rebalances on a real cluster: every refusal is a clear
// 4xx that leaves the catalog unchanged; repeats are harmless and say so; decommission drains a
// node until it can be removed with no data lost; add_node moves a fair share to a new node.
import t from 'tap';
import { TestCluster, waitFor } from './helpers/cluster.js';
import { createTable, defineShards } from './helpers/layout.js';
import { oneShard, seed, waitForState } from './helpers/migration.js';

const c = await TestCluster.start();
t.teardown(() => c.teardown());
const API = '/api/v3/cluster';

const version = async (via = 'a'): Promise<number> => (await c.json(via, 'GET', `${API}/nodes`)).body.catalog_version;

/** Sends a request that must be refused with `status`, and checks the catalog did not change. */
async function refused(t: Tap.Test, method: string, path: string, body: unknown, status: number, reason: RegExp): Promise<void> {
  const before = await version();
  const r = typeof body === 'string' ? await c.request('a', method, path, body, { 'content-type': 'application/json' }) : await c.json('a', method, path, body as object);
  const parsed = typeof body === 'string' ? JSON.parse(r.text) : (r as { body: unknown }).body;
  t.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)} -> ${status}`);
  t.match((parsed as { error: string }).error, reason);
  t.equal(await version(), before, 'the catalog is unchanged');
}

const big = await oneShard(c, ['b'], 'a');
await seed(c, 'a', 'seed', 0, 100_000, 10_000);
// A Joining node: registered, not yet allowed to take shards.
const addX = await c.json('a', 'POST', `${API}/nodes`, { id: 'x', url: 'http://127.0.0.1:1' });
if (addX.status !== 201) throw new Error(`adding node x: ${addX.status} ${JSON.stringify(addX.body)}`);
await c.json('a', 'PUT', `${API}/nodes/x/status`, { status: 'Joining' });

t.test('shards/move refusals', async (t) => {
  const move = `${API}/shards/move`;
  await refused(t, 'POST', move, '{"shard_id": 1,', 400, /JSON/i);
  await refused(t, 'POST', move, { shard_id: 'one', from: 'b', to: 'c' }, 400, /shard_id/);
  await refused(t, 'POST', move, { shard_id: big, from: 'b' }, 400, /to/);
  await refused(t, 'POST', move, { shard_id: 999, from: 'b', to: 'c' }, 404, /shard not found: 999/);
  await refused(t, 'POST', move, { shard_id: big, from: 'b', to: 'nope' }, 404, /node not found: nope/);
  await refused(t, 'POST', move, { shard_id: big, from: 'a', to: 'c' }, 400, /node a does not own shard/);
  await refused(t, 'POST', move, { shard_id: big, from: 'b', to: 'b' }, 400, /same node/);
  await refused(t, 'POST', move, { shard_id: big, from: 'b', to: 'x' }, 400, /node x is Joining, not Active/);
  const r = await c.json('a', 'POST', move, { shard_id: big, from: 'b', to: 'c' });
  t.equal(r.status, 202);
  await refused(t, 'POST', move, { shard_id: big, from: 'b', to: 'a' }, 409, /already has a migration running/);
  const again = await c.json('c', 'POST', move, { shard_id: big, from: 'b', to: 'c' });
  t.same([again.status, again.body.already_exists, again.body.migration_id], [200, true, r.body.migration_id], 'repeating a running move returns it');
  await waitForState(c, 'a', r.body.migration_id, ['Cleaned']);
  await refused(t, 'POST', move, { shard_id: big, from: 'c', to: 'c' }, 400, /same node/);
  t.equal((await c.json('a', 'GET', `${API}/migrations/nope`)).status, 404);
  const list = await c.json('b', 'GET', `${API}/migrations`);
  t.same(list.body.migrations.map((m: { id: string }) => m.id), [r.body.migration_id]);
});

t.test('a move back to a former owner, then forward again, really moves the shard each time', async (t) => {
  const move = `${API}/shards/move`;
  const shard = await oneShard(c, ['a'], 'a', 'mig_back');
  await seed(c, 'a', 'seed', 0, 1000, 1000, 'mig_back');
  const owners = async () => (await c.json('a', 'GET', `${API}/shards/${shard}`)).body.node_ids;
  for (const [from, to] of [['a', 'b'], ['b', 'a'], ['a', 'b']] as const) {
    const r = await c.json('a', 'POST', move, { shard_id: shard, from, to });
    t.same([r.status, r.body.already_exists], [202, undefined], `${from} -> ${to} starts a new migration`);
    await waitForState(c, 'a', r.body.migration_id, ['Cleaned']);
    t.same(await owners(), [to], `after ${from} -> ${to} the shard is on ${to}`);
  }
});

t.test('rebalance refusals', async (t) => {
  const rb = `${API}/rebalance`;
  await refused(t, 'POST', rb, { spread_out: 'a' }, 400, /unknown rebalance strategy/);
  await refused(t, 'POST', rb, {}, 400, /exactly one rebalance strategy/);
  await refused(t, 'POST', rb, { add_node: 'a', decommission_node: 'b' }, 400, /exactly one/);
  await refused(t, 'POST', rb, { add_node: 7 }, 400, /add_node/);
  await refused(t, 'POST', rb, { add_node: 'zz' }, 404, /node not found: zz/);
  await refused(t, 'POST', rb, { add_node: 'x' }, 400, /x is Joining, not Active/);
  await refused(t, 'POST', rb, { decommission_node: 'x' }, 400, /x is Joining/);
  // A shard with a copy on every node: decommissioning any of them leaves it nowhere to go.
  await createTable(c, 'a', { db: 'rf3', table: 'm', tags: ['w'], fields: [{ name: 'n', type: 'int64' }], shard_keys: ['w'] });
  await defineShards(c, 'a', 'rf3', 'm', [{ time_range: ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'], node_ids: ['a', 'b', 'c'] }]);
  await refused(t, 'POST', rb, { decommission_node: 'a' }, 409, /nowhere to go/);
  await refused(t, 'POST', rb, { decommission_node: 'a', dry_run: true }, 409, /nowhere to go/);
  t.equal((await c.request('a', 'DELETE', '/api/v3/configure/database?db=rf3')).status < 300, true);
  t.equal((await c.json('a', 'GET', `${rb}/nope`)).status, 404);
  const solo = await TestCluster.start({ ids: ['solo'] });
  try {
    const r = await solo.json('solo', 'POST', rb, { decommission_node: 'solo' });
    t.same([r.status, /last Active node/.test(r.body.error)], [409, true], 'the last node cannot be decommissioned');
  } finally {
    await solo.teardown();
  }
});

t.test('decommission drains a node, which can then be removed with no data lost', async (t) => {
  await createTable(c, 'a', { db: 'dec', table: 'm', tags: ['w'], fields: [{ name: 'n', type: 'int64' }], shard_keys: ['w'] });
  const day = (d: number) => `2024-01-0${d}T00:00:00Z`;
  await defineShards(c, 'a', 'dec', 'm', [1, 2, 3, 4, 5, 6].map((d) => ({ time_range: [day(d), day(d + 1)], node_ids: [['a', 'b', 'c'][d % 3]!] })));
  const lines = [];
  for (let d = 1; d <= 6; d++) for (let i = 0; i < 500; i++) lines.push(`m,w=w${i} n=${d * 1000 + i}i ${Date.parse(day(d)) * 1e6 + i * 1e9}`);
  t.equal((await c.write('a', 'dec', lines)).status, 204);

  const before = await version();
  const dry = await c.json('a', 'POST', `${API}/rebalance`, { decommission_node: 'c', dry_run: true });
  t.equal(dry.status, 200);
  t.equal(dry.body.dry_run, true);
  t.ok(dry.body.moves.length >= 2 && dry.body.moves.every((m: { from: string; to: string }) => m.from === 'c' && m.to !== 'c'), JSON.stringify(dry.body.moves));
  t.equal(await version(), before, 'a dry run changes nothing');

  const r = await c.json('b', 'POST', `${API}/rebalance`, { decommission_node: 'c' });
  t.equal(r.status, 202, JSON.stringify(r.body));
  t.same(r.body.moves, dry.body.moves, 'the plan is the one the dry run showed');
  t.equal(r.body.migration_ids.length, r.body.moves.length);
  t.equal((await c.json('a', 'GET', `${API}/nodes`)).body.nodes.find((n: { id: string }) => n.id === 'c').status, 'Draining');
  const other = await c.json('a', 'POST', `${API}/rebalance`, { decommission_node: 'a' });
  t.equal(other.status, 409, 'one rebalance at a time');
  const repeat = await c.json('a', 'POST', `${API}/rebalance`, { decommission_node: 'c' });
  t.same([repeat.status, repeat.body.already_exists, repeat.body.rebalance_id], [200, true, r.body.rebalance_id], 'repeating it returns the running one');

  await waitFor(async () => (await c.json('a', 'GET', `${API}/rebalance/${r.body.rebalance_id}`)).body.state !== 'Running', 60_000, () => 'the decommission to finish');
  const done = await c.json('a', 'GET', `${API}/rebalance/${r.body.rebalance_id}`);
  t.equal(done.body.state, 'Done', JSON.stringify(done.body));
  t.equal((await c.json('a', 'GET', `${API}/nodes`)).body.nodes.find((n: { id: string }) => n.id === 'c').status, 'Decommissioned');
  const shards = (await c.json('a', 'GET', `${API}/shards`)).body.shards as Array<{ node_ids: string[]; migrating_to?: string }>;
  t.notOk(shards.some((s) => s.node_ids.includes('c') || s.migrating_to === 'c'), 'c holds no shard');
  const again = await c.json('a', 'POST', `${API}/rebalance`, { decommission_node: 'c' });
  t.same([again.status, again.body.already_exists], [200, true], 'repeating a finished decommission says so');

  await c.stop('c');
  t.equal((await c.request('a', 'DELETE', `${API}/nodes/c`)).status, 204, 'the drained node can be removed');
  for (const via of ['a', 'b']) {
    const n = await c.query(via, 'dec', 'SELECT count(*) AS n FROM m');
    t.equal(n.body[0].n, 3000, `every row is readable via ${via} after c is gone`);
  }
  // A write creating new shards never places them on a Draining or Decommissioned node (c is gone; x is Joining).
  t.equal((await c.write('a', 'dec', 'm,w=new n=1i 1800000000000000000')).status, 204);
  const fresh = (await c.json('a', 'GET', `${API}/shards?db=dec`)).body.shards.at(-1);
  t.notOk(fresh.node_ids.includes('x'), 'a new shard does not land on the Joining node');
});

t.test('add_node moves a fair share of copies to a new node', async (t) => {
  await c.addNode('d');
  t.equal((await c.json('a', 'POST', `${API}/nodes`, { id: 'd', url: c.url('d') })).status, 201);
  // Joining until it has caught up on the catalog, then Active on its own (Raft promotes it).
  await waitFor(async () => (await c.json('d', 'GET', `${API}/nodes`)).body.nodes?.find((n: { id: string }) => n.id === 'd')?.status === 'Active', 30_000, () => 'd to become Active');
  const dry = await c.json('d', 'POST', `${API}/rebalance`, { add_node: 'd', dry_run: true });
  t.equal(dry.status, 200);
  const copies = ((await c.json('a', 'GET', `${API}/shards`)).body.shards as Array<{ node_ids: string[] }>).reduce((n, s) => n + s.node_ids.length, 0);
  t.equal(dry.body.moves.length, Math.floor(copies / 3), `a fair share of ${copies} copies over 3 Active nodes (a, b, d)`);
  const r = await c.json('a', 'POST', `${API}/rebalance`, { add_node: 'd' });
  t.equal(r.status, 202);
  await waitFor(async () => (await c.json('a', 'GET', `${API}/rebalance/${r.body.rebalance_id}`)).body.state !== 'Running', 60_000, () => 'the rebalance to finish');
  t.equal((await c.json('d', 'GET', `${API}/rebalance/${r.body.rebalance_id}`)).body.state, 'Done');
  const owned = ((await c.json('d', 'GET', `${API}/shards`)).body.shards as Array<{ node_ids: string[] }>).filter((s) => s.node_ids.includes('d'));
  t.equal(owned.length, dry.body.moves.length, 'd owns the copies moved to it');
  for (const via of ['a', 'b', 'd']) {
    t.equal((await c.query(via, 'dec', 'SELECT count(*) AS n FROM m')).body[0].n, 3001, `dec complete via ${via}`);
    t.equal((await c.query(via, 'mig', 'SELECT count(*) AS n FROM m')).body[0].n, 100_000, `mig complete via ${via}`);
  }
});
