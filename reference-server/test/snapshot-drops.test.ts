// A node that installs a catalog snapshot hears of the deletes it skipped (catalog/raft/
// snapshot-drops.ts), so it drops the rows of a table that is gone, or was dropped and created
// again within the jump (the rows it holds belong to the old table).
import t from 'tap';
import { dropsBetween } from '../src/catalog/raft/snapshot-drops.js';
import { cloneCatalog, emptyCatalog, type CatalogState, type ShardDef, type TableDef } from '../src/catalog/state.js';

function withTable(state: CatalogState, db: string, table: string, shardIds: number[]): CatalogState {
  const s = cloneCatalog(state);
  s.databases[db] ??= { name: db, tables: {} };
  s.databases[db]!.tables[table] = { db, name: table } as TableDef;
  for (const id of shardIds) s.shards[id] = { id, db, table, time_range: [0n, 1n], hash_range: [0, 2 ** 32], node_ids: ['a'], migration_status: 'Stable' } as ShardDef;
  return s;
}

t.test('a table dropped and created again within one snapshot is dropped', async (t) => {
  const before = withTable(withTable(emptyCatalog(), 'db', 'kept', [1]), 'db', 'again', [2]);
  const after = withTable(withTable(emptyCatalog(), 'db', 'kept', [1]), 'db', 'again', [3]);
  t.same(dropsBetween(before, after), [{ type: 'delete_table', db: 'db', table: 'again' }]);
});

t.test('a table that kept its shards and gained one is not dropped; a deleted one is', async (t) => {
  const before = withTable(withTable(emptyCatalog(), 'db', 'grows', [1]), 'db', 'gone', [2]);
  const after = withTable(emptyCatalog(), 'db', 'grows', [1, 4]);
  t.same(dropsBetween(before, after), [{ type: 'delete_table', db: 'db', table: 'gone' }]);
});
