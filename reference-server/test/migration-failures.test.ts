// Killing a node mid-migration, with real processes: the source, the target, the catalog
// leader. After the restart the migration resumes from the state the catalog persisted and
// finishes; a target marked Down instead rolls the migration back. Either way every
// acknowledged write is readable afterwards.
import t from 'tap';
import { TestCluster, waitFor } from './helpers/cluster.js';
import { migration, missing, oneShard, readable, seed, waitForState, writeWhile } from './helpers/migration.js';

const c = await TestCluster.start();
t.teardown(() => c.teardown());

const ROWS = 150_000;
const leader = async (): Promise<string> => {
  const r = await c.json('b', 'GET', '/api/v3/cluster/nodes');
  return (r.body.nodes as Array<{ id: string; leader: boolean }>).find((n) => n.leader)!.id;
};

/** Starts moving db's shard from `from` to `to` under a writer through `via`; returns the migration id and a stop for the writer. */
async function startMove(db: string, from: string, to: string, via: string[]) {
  const shard = await oneShard(c, [from], (await leader()), db);
  await seed(c, via[0]!, 'seed', 0, ROWS, 10_000, db);
  let done = false;
  const writer = writeWhile(c, via, 'live', () => done, 20, 5000, db);
  const r = await c.json(via[0]!, 'POST', '/api/v3/cluster/shards/move', { shard_id: shard, from, to });
  if (r.status !== 202) throw new Error(`move answered ${r.status}: ${JSON.stringify(r.body)}`);
  return { shard, id: r.body.migration_id as string, stop: async () => ((done = true), writer) };
}

async function everyAckReadable(t: Tap.Test, db: string, acked: number[], via: string[]): Promise<void> {
  for (const v of via) {
    t.same(missing(acked, await readable(c, v, 'live', db)), [], `every acknowledged write is readable via ${v}`);
    t.equal((await readable(c, v, 'seed', db)).size, ROWS, `every seeded row is readable via ${v}`);
  }
}

t.test('kill the source mid-migration: after its restart the migration resumes and finishes', async (t) => {
  const { shard, id, stop } = await startMove('f_src', 'b', 'c', ['a']);
  await c.kill('b');
  t.not((await migration(c, 'a', id)).state, 'Cleaned', 'the source died before the migration was over');
  await c.startNode('b');
  t.equal(await waitForState(c, 'a', id, ['Cleaned', 'RolledBack', 'Failed']), 'Cleaned');
  const { acked } = await stop();
  t.same((await c.json('a', 'GET', `/api/v3/cluster/shards/${shard}`)).body.node_ids, ['c']);
  await everyAckReadable(t, 'f_src', acked, ['a', 'b', 'c']);
});

t.test('kill the target mid-migration: after its restart the migration resumes and finishes', async (t) => {
  const { shard, id, stop } = await startMove('f_tgt', 'b', 'c', ['a', 'b']);
  await c.kill('c');
  t.not((await migration(c, 'a', id)).state, 'Cleaned', 'the target died before the migration was over');
  await c.startNode('c');
  t.equal(await waitForState(c, 'a', id, ['Cleaned', 'RolledBack', 'Failed']), 'Cleaned');
  const { acked, refused } = await stop();
  t.equal(refused, 0, 'the source kept acknowledging writes while the target was down');
  t.same((await c.json('a', 'GET', `/api/v3/cluster/shards/${shard}`)).body.node_ids, ['c']);
  await everyAckReadable(t, 'f_tgt', acked, ['a', 'b', 'c']);
});

t.test('a target that dies and is marked Down rolls the migration back: the source keeps the shard', async (t) => {
  const { shard, id, stop } = await startMove('f_rb', 'b', 'c', ['a', 'b']);
  await c.kill('c');
  const down = await c.json('a', 'PUT', '/api/v3/cluster/nodes/c/status', { status: 'Down' });
  t.equal(down.status, 200, JSON.stringify(down.body));
  t.equal(await waitForState(c, 'a', id, ['Cleaned', 'RolledBack', 'Failed']), 'RolledBack');
  const m = await migration(c, 'a', id);
  t.match(m.error, /target node c is Down/);
  const { acked, refused } = await stop();
  t.equal(refused, 0, 'no write was refused: acks count over the source, not the dead target');
  const s = (await c.json('b', 'GET', `/api/v3/cluster/shards/${shard}`)).body;
  t.same([s.node_ids, s.migration_status, s.migrating_to], [['b'], 'Stable', undefined], 'the shard is back to Stable on the source');
  await everyAckReadable(t, 'f_rb', acked, ['a', 'b']);
  await c.startNode('c');
  t.equal((await c.json('a', 'PUT', '/api/v3/cluster/nodes/c/status', { status: 'Active' })).status, 200);
});

t.test('kill the catalog leader mid-migration: the migration resumes from the catalog once a leader is back', async (t) => {
  const l = await leader();
  const [from, to] = ['a', 'b', 'c'].filter((n) => n !== l) as [string, string];
  const { shard, id, stop } = await startMove('f_leader', from, to, [from, to]);
  await c.kill(l);
  await c.startNode(l);
  t.equal(await waitForState(c, from, id, ['Cleaned', 'RolledBack', 'Failed']), 'Cleaned');
  const { acked } = await stop();
  await waitFor(async () => (await c.json(l, 'GET', `/api/v3/cluster/shards/${shard}`)).body.node_ids[0] === to, 10_000, () => 'the restarted leader to see the cutover');
  await everyAckReadable(t, 'f_leader', acked, ['a', 'b', 'c']);
  const history = (await migration(c, from, id)).history.map((h: { state: string }) => h.state);
  t.same(history, ['MigratingSnapshot', 'MigratingWAL', 'AwaitingCutover', 'Stable', 'Cleaned'], 'every state once, in order');
});

t.test('with the source down mid-migration, a write is not acknowledged on the strength of the target alone', async (t) => {
  const { shard, id, stop } = await startMove('f_ack', 'b', 'c', ['a']);
  await stop();
  await c.kill('b');
  const m = await migration(c, 'a', id);
  t.ok(['MigratingSnapshot', 'MigratingWAL', 'AwaitingCutover'].includes(m.state), `still before the cutover (${m.state})`);
  // consistency=one: the target's copy alone would be "one durable copy" if it counted.
  const w = await c.write('a', 'f_ack', 'm,w=lonely n=1i 1704067200000000001', '&consistency=one');
  t.equal(w.status, 503, `the only owner is down: not acknowledged (${w.text})`);
  t.match(w.text, /0 of 1 replicas/);
  await c.startNode('b');
  t.equal(await waitForState(c, 'a', id, ['Cleaned', 'RolledBack', 'Failed']), 'Cleaned');
  t.same((await c.json('a', 'GET', `/api/v3/cluster/shards/${shard}`)).body.node_ids, ['c']);
});
