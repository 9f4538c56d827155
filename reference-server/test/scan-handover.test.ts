// A node asked to scan a shard it has handed over at a migration's cutover answers 409 with
// the shards it does not hold, never 200 with the rows it has left (none, once its copy is
// deleted): a query planned on a catalog from before the cutover, still in flight when the
// source deletes its copy, would otherwise miss acknowledged rows (seen in the flakiness
// guard: rw-during-rebalance's stale-reads checker, a read through b while shard 1 moved
// a -> d). The coordinator plans such shards again on a caught-up catalog.
import t from 'tap';
import { TestCluster } from './helpers/cluster.js';
import { DB, oneShard, seed, waitForState } from './helpers/migration.js';

const c = await TestCluster.start();
t.teardown(() => c.teardown());

const shard = await oneShard(c, ['a'], 'a');
await seed(c, 'a', 'w', 0, 500, 500);
const move = await c.json('a', 'POST', '/api/v3/cluster/shards/move', { shard_id: shard, from: 'a', to: 'b' });
if (move.status !== 202) throw new Error(`move answered ${move.status}: ${JSON.stringify(move.body)}`);
await waitForState(c, 'a', move.body.migration_id, ['Cleaned']);

/** The body a coordinator sends to scan `shards` of mig.m (as src/cluster/distributed-query.ts does). */
const scanBody = (shards: number[]) => ({
  scan: { db: DB, table: 'm', relation: 'm', pruning: { tagEquals: {}, timeMin: { $n: '0' } }, scanSql: 'SELECT * FROM "m"', columns: ['time', 'w', 'n'], mode: 'raw' },
  shards,
});

t.test('the former owner refuses to scan the shard it handed over: 409 naming it, no partial answer', async (t) => {
  const r = await c.json('a', 'POST', '/internal/scan', scanBody([shard]));
  t.equal(r.status, 409, JSON.stringify(r.body));
  t.same(r.body.not_held, [shard]);
  t.match(r.body.error, new RegExp(`node a does not hold shard ${shard} for reads`));
});

t.test('the new owner scans it, and a query through the former owner reads every row from there', async (t) => {
  const r = await c.json('b', 'POST', '/internal/scan', scanBody([shard]));
  t.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
  const q = await c.query('a', DB, 'SELECT count(*) AS n FROM m');
  t.equal(q.status, 200);
  t.same(q.body, [{ n: 500 }]);
});

t.test('a scan of an unknown shard is refused the same way', async (t) => {
  const r = await c.json('c', 'POST', '/internal/scan', scanBody([987_654]));
  t.equal(r.status, 409);
  t.same(r.body.not_held, [987_654]);
});
