// The body of /internal/catalog/snapshot is checked before it replaces a node's catalog: a
// malformed one is a clear 400 naming the field, never a catalog that breaks on first use.
import t from 'tap';
import { readSnapshotRequest } from '../src/http/routes/internal-bodies.js';

const body = (state: Record<string, unknown>) => ({
  term: 2,
  leader_id: 'a',
  cluster_id: 'c1',
  snapshot: { index: 10, term: 2, voters: ['a', 'b', 'c'], state: { version: 3, nodes: {}, databases: {}, shards: {}, next_shard_id: 1, ...state } },
});

t.test('migrations and rebalances must be objects when present', async (t) => {
  t.throws(() => readSnapshotRequest(body({ migrations: [] })), { status: 400, message: /snapshot\.state\.migrations/ });
  t.throws(() => readSnapshotRequest(body({ rebalances: 'x' })), { status: 400, message: /snapshot\.state\.rebalances/ });
  const ok = readSnapshotRequest(body({ migrations: {}, rebalances: {} }));
  t.same(Object.keys(ok.snapshot.state.migrations), []);
  const older = readSnapshotRequest(body({}));
  t.same(Object.keys(older.snapshot.state.rebalances), [], 'a snapshot without them (an older node) gets empty ones');
});
