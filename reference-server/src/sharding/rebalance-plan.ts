// The rebalance planner: which shard copies to move, as a pure function of the catalog and the
// strategy (the start_rebalance command runs it against the state it applies to; dry_run shows
// the same plan). Loads are copies per node, counted over node_ids.
//   add_node N: N takes copies from the most loaded Active nodes until it holds its fair share
//     (floor(copies / Active nodes)); a move is made only while it narrows the gap between the
//     donor and N, and never puts two copies of one shard on N.
//   decommission_node N: every copy on N goes to the least loaded Active node that does not
//     hold that shard yet; refused when N is the last node or a copy has nowhere to go.
import { HttpError } from '../util/errors.js';
import type { CatalogState, RebalanceStrategy, ShardDef, ShardMove } from '../catalog/state.js';
import { shardMigrating } from '../migration/states.js';

export function planRebalance(state: CatalogState, strategy: RebalanceStrategy, nodeId: string): ShardMove[] {
  const node = state.nodes[nodeId];
  if (!node) throw new HttpError(404, `node not found: ${nodeId}`);
  const shards = Object.values(state.shards).sort((a, b) => a.id - b.id);
  const active = Object.values(state.nodes)
    .filter((n) => n.status === 'Active')
    .map((n) => n.id)
    .sort();
  const load = new Map<string, number>(active.map((id) => [id, 0]));
  for (const s of shards) for (const n of s.node_ids) if (load.has(n)) load.set(n, load.get(n)! + 1);
  return strategy === 'add_node' ? planAddNode(shards, nodeId, node.status, load) : planDecommission(shards, nodeId, node.status, active, load);
}

function planAddNode(shards: ShardDef[], nodeId: string, status: string, load: Map<string, number>): ShardMove[] {
  if (status !== 'Active') throw new HttpError(400, `node ${nodeId} is ${status}, not Active: it cannot take shards yet`);
  const copies = [...load.values()].reduce((a, b) => a + b, 0);
  const fair = Math.floor(copies / load.size);
  // Shards with a migration running are left alone: their copies are already moving.
  const movable = shards.filter((s) => !shardMigrating(s));
  const held = new Set(shards.filter((s) => s.node_ids.includes(nodeId)).map((s) => s.id));
  const moves: ShardMove[] = [];
  while (load.get(nodeId)! < fair) {
    const donors = [...load.keys()]
      .filter((id) => id !== nodeId)
      .sort((a, b) => load.get(b)! - load.get(a)! || (a < b ? -1 : 1));
    let moved = false;
    for (const donor of donors) {
      // Only while it narrows the gap: moving from a node as loaded as N (+1) just swaps them.
      if (load.get(donor)! - 1 < load.get(nodeId)! + 1) break;
      const shard = movable.find((s) => s.node_ids.includes(donor) && !held.has(s.id));
      if (!shard) continue;
      moves.push({ shard_id: shard.id, from: donor, to: nodeId });
      held.add(shard.id);
      load.set(donor, load.get(donor)! - 1);
      load.set(nodeId, load.get(nodeId)! + 1);
      moved = true;
      break;
    }
    if (!moved) break;
  }
  return moves;
}

function planDecommission(shards: ShardDef[], nodeId: string, status: string, active: string[], load: Map<string, number>): ShardMove[] {
  // A Draining node is one whose earlier decommission failed part-way: it may be drained again.
  if (status !== 'Active' && status !== 'Draining') throw new HttpError(400, `node ${nodeId} is ${status}, not Active: it cannot be decommissioned`);
  const others = active.filter((id) => id !== nodeId);
  if (others.length === 0) throw new HttpError(409, `node ${nodeId} is the last Active node: decommissioning it would leave no node to hold the data`);
  const moves: ShardMove[] = [];
  for (const s of shards) {
    if (!s.node_ids.includes(nodeId)) continue;
    if (shardMigrating(s)) throw new HttpError(409, `shard ${s.id} on node ${nodeId} has a migration running; retry once it is over`);
    const candidates = others.filter((id) => !s.node_ids.includes(id)).sort((a, b) => load.get(a)! - load.get(b)! || (a < b ? -1 : 1));
    const to = candidates[0];
    if (to === undefined) {
      throw new HttpError(
        409,
        `shard ${s.id} has nowhere to go: its ${s.node_ids.length} copies need ${s.node_ids.length} Active nodes without node ${nodeId}, ` +
          `and only ${others.length} remain (${others.join(', ')}); add a node first`,
      );
    }
    moves.push({ shard_id: s.id, from: nodeId, to });
    load.set(to, load.get(to)! + 1);
  }
  return moves;
}
