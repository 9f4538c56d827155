// The rebalance planner and the migration state rules, as pure functions of a catalog.
import t from 'tap';
import { emptyCatalog, type CatalogState, type NodeStatus } from '../src/catalog/state.js';
import { applyCommand } from '../src/catalog/commands.js';
import { planRebalance } from '../src/sharding/rebalance-plan.js';
import { canAdvance } from '../src/migration/states.js';
import { HttpError } from '../src/util/errors.js';

function catalog(nodes: Record<string, NodeStatus>, shards: string[][]): CatalogState {
  const s = emptyCatalog();
  for (const [id, status] of Object.entries(nodes)) s.nodes[id] = { id, url: `http://127.0.0.1:1/${id}`, status };
  s.databases.d = { name: 'd', tables: Object.create(null) };
  shards.forEach((owners, i) => {
    s.shards[i + 1] = { id: i + 1, db: 'd', table: 'm', time_range: [BigInt(i), BigInt(i + 1)], hash_range: [0, 2 ** 32], node_ids: owners, migration_status: 'Stable' };
  });
  return s;
}

function loads(s: CatalogState, moves: Array<{ shard_id: number; from: string; to: string }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of Object.keys(s.nodes)) out[n] = 0;
  for (const sh of Object.values(s.shards)) {
    const owners = sh.node_ids.map((n) => moves.find((m) => m.shard_id === sh.id && m.from === n)?.to ?? n);
    t.equal(new Set(owners).size, owners.length, `shard ${sh.id} never has two copies on one node`);
    for (const o of owners) out[o]!++;
  }
  return out;
}

const status = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof HttpError ? err.status : -1;
  }
  return undefined;
};

t.test('add_node moves a fair share to the new node, and no more', async (t) => {
  // 12 copies (6 shards, RF 2) on a, b, c; d is new: its fair share is 12 / 4 = 3.
  const s = catalog({ a: 'Active', b: 'Active', c: 'Active', d: 'Active' }, [['a', 'b'], ['b', 'c'], ['c', 'a'], ['a', 'b'], ['b', 'c'], ['c', 'a']]);
  const moves = planRebalance(s, 'add_node', 'd');
  t.equal(moves.length, 3, 'exactly the fair share moves');
  t.ok(moves.every((m) => m.to === 'd'));
  t.same(loads(s, moves), { a: 3, b: 3, c: 3, d: 3 }, 'every node ends with 3 copies');
});

t.test('add_node on a balanced cluster or a node already holding its share moves nothing', async (t) => {
  t.same(planRebalance(catalog({ a: 'Active', b: 'Active' }, [['a'], ['b']]), 'add_node', 'b'), []);
  t.same(planRebalance(catalog({ a: 'Active', b: 'Active', c: 'Active' }, [['a'], ['b']]), 'add_node', 'c'), [], 'floor(2/3) = 0: nothing to gain');
});

t.test('add_node never puts a second copy of a shard on the new node', async (t) => {
  // d already holds shard 1; a's only other copies are of shard 1 too.
  const s = catalog({ a: 'Active', b: 'Active', d: 'Active' }, [['a', 'd'], ['a', 'b'], ['a', 'b']]);
  const moves = planRebalance(s, 'add_node', 'd');
  loads(s, moves);
  t.notOk(moves.some((m) => m.shard_id === 1), 'shard 1 is not moved onto d again');
});

t.test('decommission_node moves every copy to the least loaded node that lacks the shard', async (t) => {
  const s = catalog({ a: 'Active', b: 'Active', c: 'Active', d: 'Active' }, [['a', 'b'], ['a', 'c'], ['a', 'd'], ['b', 'c']]);
  const moves = planRebalance(s, 'decommission_node', 'a');
  t.equal(moves.length, 3);
  t.ok(moves.every((m) => m.from === 'a'));
  const after = loads(s, moves);
  t.equal(after.a, 0, 'a holds nothing after');
  t.ok(Math.max(after.b!, after.c!, after.d!) - Math.min(after.b!, after.c!, after.d!) <= 1, `the rest stays balanced: ${JSON.stringify(after)}`);
});

t.test('refusals: last node, nowhere to go, not Active, unknown node', async (t) => {
  t.equal(status(() => planRebalance(catalog({ a: 'Active' }, [['a']]), 'decommission_node', 'a')), 409, 'the last node');
  t.equal(status(() => planRebalance(catalog({ a: 'Active', b: 'Active' }, [['a', 'b']]), 'decommission_node', 'a')), 409, 'RF 2 on two nodes: nowhere to go');
  t.equal(status(() => planRebalance(catalog({ a: 'Active', b: 'Joining' }, [['a']]), 'add_node', 'b')), 400, 'a Joining node takes no shards');
  t.equal(status(() => planRebalance(catalog({ a: 'Active', b: 'Decommissioned' }, [['a']]), 'decommission_node', 'b')), 400);
  t.equal(status(() => planRebalance(catalog({ a: 'Active' }, [['a']]), 'add_node', 'zz')), 404);
});

t.test('migration states advance in order; rollback only before the cutover', async (t) => {
  t.ok(canAdvance('MigratingSnapshot', 'MigratingWAL'));
  t.ok(canAdvance('MigratingWAL', 'AwaitingCutover'));
  t.ok(canAdvance('AwaitingCutover', 'Stable'));
  t.ok(canAdvance('Stable', 'Cleaned'));
  t.notOk(canAdvance('MigratingSnapshot', 'Stable'), 'no skipping');
  t.notOk(canAdvance('Stable', 'MigratingWAL'), 'no going back');
  t.ok(canAdvance('AwaitingCutover', 'RolledBack'));
  t.notOk(canAdvance('Stable', 'RolledBack'), 'after the cutover the target owns the shard');
  t.notOk(canAdvance('Cleaned', 'RolledBack'));
});

t.test('catalog commands: a migration changes owners only at the cutover; a refused command changes nothing', async (t) => {
  const s = catalog({ a: 'Active', b: 'Active', c: 'Joining' }, [['a']]);
  const at = '2026-01-01T00:00:00.000Z';
  const before = JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  t.equal(status(() => applyCommand(s, { type: 'start_migration', migration: { id: 'x', shard_id: 1, source: 'a', target: 'c' }, at })), 400, 'target not Active');
  t.equal(status(() => applyCommand(s, { type: 'start_migration', migration: { id: 'x', shard_id: 1, source: 'b', target: 'a' }, at })), 400, 'from is not an owner');
  t.equal(status(() => applyCommand(s, { type: 'start_migration', migration: { id: 'x', shard_id: 9, source: 'a', target: 'b' }, at })), 404);
  t.equal(JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)), before, 'catalog unchanged');

  applyCommand(s, { type: 'start_migration', migration: { id: 'm1', shard_id: 1, source: 'a', target: 'b' }, at });
  t.match(s.shards[1], { node_ids: ['a'], migration_status: 'MigratingSnapshot', migrating_to: 'b' });
  t.equal(status(() => applyCommand(s, { type: 'start_migration', migration: { id: 'm2', shard_id: 1, source: 'a', target: 'b' }, at })), 409, 'one migration per shard');
  for (const to of ['MigratingWAL', 'AwaitingCutover'] as const) applyCommand(s, { type: 'advance_migration', id: 'm1', to, at });
  t.match(s.shards[1], { node_ids: ['a'], migration_status: 'AwaitingCutover', migrating_to: 'b' });
  applyCommand(s, { type: 'advance_migration', id: 'm1', to: 'Stable', at });
  t.match(s.shards[1], { node_ids: ['b'], migration_status: 'Stable', migrating_from: 'a' });
  applyCommand(s, { type: 'advance_migration', id: 'm1', to: 'Cleaned', at });
  t.same([s.shards[1]!.node_ids, s.shards[1]!.migrating_from, s.shards[1]!.migrating_to], [['b'], undefined, undefined]);
  t.same(s.migrations.m1!.history.map((h) => h.state), ['MigratingSnapshot', 'MigratingWAL', 'AwaitingCutover', 'Stable', 'Cleaned']);
});

t.test('a decommission rebalance drains the node, then marks it Decommissioned', async (t) => {
  const s = catalog({ a: 'Active', b: 'Active' }, [['a'], ['a']]);
  const at = '2026-01-01T00:00:00.000Z';
  applyCommand(s, { type: 'start_rebalance', id: 'r', strategy: 'decommission_node', node: 'a', at });
  t.equal(s.nodes.a!.status, 'Draining');
  t.equal(s.rebalances.r!.migration_ids.length, 2);
  t.equal(status(() => applyCommand(s, { type: 'start_rebalance', id: 'r2', strategy: 'add_node', node: 'b', at })), 409, 'one rebalance at a time');
  for (const id of s.rebalances.r!.migration_ids) {
    for (const to of ['MigratingWAL', 'AwaitingCutover', 'Stable', 'Cleaned'] as const) applyCommand(s, { type: 'advance_migration', id, to, at });
  }
  t.equal(s.rebalances.r!.state, 'Done');
  t.equal(s.nodes.a!.status, 'Decommissioned');
});
