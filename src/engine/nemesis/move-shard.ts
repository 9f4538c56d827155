// move_shard, a membership operation on the nemesis menu: moves a random copy of a random
// shard of a table to a random Active node that does not hold it (POST shards/move), then
// follows the migration (GET migrations/{id}) until it ends (Cleaned, RolledBack or Failed)
// or its timeout passes (tracked-op.ts). The move is one nemesis operation in the history
// (f: move_shard, value: the shard, from and to; the completion: the migration id and its
// final state), so the nemesis' rounds hold it like a fault and "undo" it by awaiting its end.

import type { Rng } from '../rng.js';
import { activeNodes, tableShards, type Read } from './cluster-state.js';
import { runningNodes, type Tracked, type Where } from './tracked-op.js';

export interface ShardMove { db: string; table: string; shard_id: number; from: string; to: string }

/** How long a membership operation may take to end, from its request, unless its timeout says. */
export const DEFAULT_MOVE_TIMEOUT = '60s';

/** Draws the move from the catalog as it is now: a shard with no migration running, one of its copies, a running Active node without one. */
export async function chooseMove(w: Where, db: string, table: string, rng: Rng): Promise<Read<ShardMove>> {
  const shards = await tableShards(w, db, table);
  if (!shards.ok) return shards;
  const active = await activeNodes(w);
  if (!active.ok) return active;
  const up = new Set(runningNodes(w.ctx));
  const targetsOf = (node_ids: string[]) => active.value.filter((n) => up.has(n) && !node_ids.includes(n));
  // A shard whose migration still runs refuses another move (409).
  const movable = shards.value.filter((s) => (s.migration_status ?? 'Stable') === 'Stable' && targetsOf(s.node_ids).length > 0);
  if (!movable.length) {
    return { ok: false, why: `no shard of ${db}.${table} can move: every running Active node (${[...up].filter((n) => active.value.includes(n)).join(', ') || 'none'}) holds a copy of each shard, or a migration is running` };
  }
  const shard = rng.pick(movable);
  const from = rng.pick([...shard.node_ids].sort());
  const to = rng.pick(targetsOf(shard.node_ids));
  return { ok: true, value: { db, table, shard_id: shard.id, from, to } };
}

/** The move as a tracked operation: POST shards/move, then GET migrations/{id} until it ends. */
export function moveOp(m: ShardMove): Tracked {
  return {
    f: 'move_shard', value: { ...m }, idKey: 'migration_id',
    path: 'shards/move', body: { shard_id: m.shard_id, from: m.from, to: m.to },
    statePath: (id) => `migrations/${encodeURIComponent(id)}`,
    success: 'Cleaned', failures: ['RolledBack', 'Failed'],
  };
}
