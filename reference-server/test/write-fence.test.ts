// The cutover's write fence: a write to a shard AwaitingCutover waits until the state moves on,
// and never longer than its bound (then it goes on: it still reaches source and target).
import t from 'tap';
import { emptyCatalog, type CatalogState } from '../src/catalog/state.js';
import { waitForFence } from '../src/migration/write-fence.js';

function withShard(status: 'AwaitingCutover' | 'Stable'): CatalogState {
  const s = emptyCatalog();
  s.shards[1] = { id: 1, db: 'd', table: 'm', time_range: [0n, 1n], hash_range: [0, 2 ** 32], node_ids: ['a'], migration_status: status, ...(status === 'Stable' ? {} : { migrating_to: 'b' }) };
  return s;
}

t.test('an unfenced shard does not wait', async (t) => {
  t.equal(await waitForFence(() => withShard('Stable'), [1], 5000), true);
});

t.test('a fenced shard waits until the cutover moves on', async (t) => {
  let state = withShard('AwaitingCutover');
  let lifted = false;
  const waiting = waitForFence(() => state, [1], 10_000).then((r) => ((lifted = true), r));
  await new Promise((r) => setImmediate(r));
  t.equal(lifted, false, 'still waiting while AwaitingCutover');
  state = withShard('Stable');
  t.equal(await waiting, true);
});

t.test('the wait is bounded', async (t) => {
  t.equal(await waitForFence(() => withShard('AwaitingCutover'), [1], 50), false, 'gives up after its bound');
});
