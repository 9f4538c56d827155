// The cutover of a migration, with real processes: it compares the copies by content, not by
// row count, and it never holds the shard's writes for long when it cannot finish.
import t from 'tap';
import { TestCluster, waitFor } from './helpers/cluster.js';
import { T0, migration, oneShard, seed, waitForState } from './helpers/migration.js';

const c = await TestCluster.start();
t.teardown(() => c.teardown());
const API = '/api/v3/cluster';
const ROWS = 150_000;

/** A replica write straight to one node, with a write version from `agoMs` ago: a write delayed past the catch-up margin. */
function replicaWrite(on: string, db: string, shard: number, n: number, agoMs: number): Promise<{ status: number; text: string }> {
  const ver = (Date.now() - agoMs) * 64 * 64; // write/write-clock.ts versionAtMs
  const entries = [{ db, table: 'm', shard, ver, points: [['m', { w: 'late' }, ['n', 1, String(n)], String(T0)]] }];
  return c.request(on, 'POST', '/internal/write', { entries });
}
async function lateWrite(on: string, db: string, shard: number, n: number, agoMs: number): Promise<void> {
  const r = await replicaWrite(on, db, shard, n, agoMs);
  if (r.status !== 204) throw new Error(`replica write to ${on} answered ${r.status}: ${r.text}`);
}

t.test('an update of an existing row that reached only the source is carried to the target', async (t) => {
  const db = 'cut_digest';
  const shard = await oneShard(c, ['b'], 'a', db);
  await lateWrite('b', db, shard, 1, 600_000);
  await seed(c, 'a', 'seed', 0, ROWS, 10_000, db);
  const r = await c.json('a', 'POST', `${API}/shards/move`, { shard_id: shard, from: 'b', to: 'c' });
  t.equal(r.status, 202, JSON.stringify(r.body));
  // The snapshot's first page (the earliest rows, the late row among them) reached the target;
  // then the update, older than every catch-up window, lands on the source only. Row counts stay equal.
  await waitFor(async () => JSON.parse((await c.request('c', 'GET', `/internal/migrations/count?shard_id=${shard}`)).text).rows > 0, 30_000, () => 'the target to store a first page');
  await lateWrite('b', db, shard, 2, 300_000);
  t.equal(await waitForState(c, 'a', r.body.migration_id, ['Cleaned', 'RolledBack', 'Failed']), 'Cleaned');
  const q = await c.query('a', db, `SELECT n FROM m WHERE w = 'late'`);
  t.same(q.body, [{ n: 2 }], 'the shard, now on the target, holds the update');
  // A coordinator on a stale catalog still sending this shard's writes to the former owner.
  const stale = await replicaWrite('b', db, shard, 3, 0);
  t.equal(stale.status, 409, 'the former owner refuses a replica write it would never serve');
  t.match(stale.text, /does not hold shard/);
});

t.test('a source lost at the cutover does not hold the shard forever: the migration ends and the fence lifts', async (t) => {
  const db = 'cut_deadline';
  const shard = await oneShard(c, ['b'], 'a', db);
  await seed(c, 'a', 'seed', 0, ROWS, 10_000, db);
  const r = await c.json('a', 'POST', `${API}/shards/move`, { shard_id: shard, from: 'b', to: 'c' });
  t.equal(r.status, 202, JSON.stringify(r.body));
  const id = r.body.migration_id as string;
  // Polled without a pause: the cutover of this shard lasts about a second.
  let at = (await migration(c, 'a', id)).state as string;
  for (const deadline = Date.now() + 60_000; !['AwaitingCutover', 'Stable', 'Cleaned', 'RolledBack'].includes(at) && Date.now() < deadline; ) at = (await migration(c, 'a', id)).state;
  if (at !== 'AwaitingCutover' && at !== 'Stable') {
    t.fail(`the migration went past its cutover (${at}) before the source could be killed; run again`);
    return;
  }
  await c.kill('b');
  const end = await waitForState(c, 'a', id, ['Cleaned', 'RolledBack', 'Failed'], 90_000);
  t.ok(end === 'RolledBack' || end === 'Cleaned', `killed at ${at}, the migration ended (${end}) with the source still down`);
  if (end === 'RolledBack') t.match((await migration(c, 'a', id)).error, /cutover did not converge/);
  const s = (await c.json('a', 'GET', `${API}/shards/${shard}`)).body;
  t.same([s.migration_status, s.migrating_to], ['Stable', undefined], 'the shard shows no migration: writes to it are not fenced');
  await c.startNode('b');
});

t.test('a rows page asked with an after_time beyond 64 bits is a 400, not a 500', async (t) => {
  const r = await c.request('a', 'GET', '/internal/migrations/rows?shard_id=1&after_time=9999999999999999999&after_sid=-1&limit=10&min_version=0');
  t.equal(r.status, 400, r.text);
  t.match(r.text, /after_time must be a 64-bit integer/);
});
