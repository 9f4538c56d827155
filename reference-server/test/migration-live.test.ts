// A shard moves between nodes while writes flow: the migration walks every state in order, the
// shard ends on the target alone, the source's copy is deleted, and every acknowledged write is
// readable through every node afterwards (reads then served by the target).
import t from 'tap';
import { TestCluster, waitFor } from './helpers/cluster.js';
import { DB, migration, missing, oneShard, readable, seed, waitForState, writeWhile } from './helpers/migration.js';

const c = await TestCluster.start();
t.teardown(() => c.teardown());
const shard = await oneShard(c, ['b']);
await seed(c, 'a', 'seed', 0, 20_000);

t.test('move a shard while writes flow: nothing acknowledged is lost', async (t) => {
  let done = false;
  const writer = writeWhile(c, ['a', 'b', 'c'], 'live', () => done);
  const r = await c.json('c', 'POST', '/api/v3/cluster/shards/move', { shard_id: shard, from: 'b', to: 'c' });
  t.equal(r.status, 202, JSON.stringify(r.body));
  const id = r.body.migration_id as string;
  t.match(r.body.migration, { id, shard_id: shard, source: 'b', target: 'c', state: 'MigratingSnapshot' });
  const during = await c.json('a', 'GET', `/api/v3/cluster/shards/${shard}`);
  t.same(during.body.node_ids, ['b'], 'reads stay on the source while the target copies');
  await waitForState(c, 'a', id, ['Cleaned', 'RolledBack', 'Failed']);
  done = true;
  const { acked, refused } = await writer;
  t.equal(refused, 0, 'no write was refused during the migration');
  t.ok(acked.length > 0, `the writer got ${acked.length} rows acknowledged during the migration`);

  const m = await migration(c, 'b', id);
  t.equal(m.state, 'Cleaned');
  t.same(m.history.map((h: { state: string }) => h.state), ['MigratingSnapshot', 'MigratingWAL', 'AwaitingCutover', 'Stable', 'Cleaned']);
  for (const h of m.history) t.match(h.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  for (const via of ['a', 'b', 'c']) {
    const s = await c.json(via, 'GET', `/api/v3/cluster/shards/${shard}`);
    t.same([s.body.node_ids, s.body.migration_status, s.body.migrating_to], [['c'], 'Stable', undefined], `node ${via} sees the shard on c`);
  }
  for (const via of ['a', 'b', 'c']) {
    t.same(missing(acked, await readable(c, via, 'live')), [], `every acknowledged live write is readable via ${via}`);
    t.equal((await readable(c, via, 'seed')).size, 20_000, `every seeded row is readable via ${via}`);
  }
  const local = async (id: string) => (await c.query(id, DB, 'SELECT count(*) AS n FROM m', '&local=true')).body[0]?.n ?? 0;
  await waitFor(async () => (await local('b')) === 0, 10_000, () => 'the source to delete its copy');
  t.equal(await local('c'), 20_000 + new Set(acked).size, 'the target holds every row');
  t.ok(c.node('a').log.some((l) => l.includes('"migration state"') && l.includes('"to_state":"Cleaned"')), 'a structured log event per transition');
});

t.test('repeating the move is harmless and says so', async (t) => {
  const again = await c.json('a', 'POST', '/api/v3/cluster/shards/move', { shard_id: shard, from: 'b', to: 'c' });
  t.equal(again.status, 200);
  t.equal(again.body.already_exists, true);
  t.equal(again.body.migration.state, 'Cleaned');
  const list = await c.json('b', 'GET', '/api/v3/cluster/migrations');
  t.equal(list.body.migrations.length, 1, 'no second migration');
});
