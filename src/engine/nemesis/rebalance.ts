// rebalance, a membership operation on the nemesis menu: asks the cluster to even out its
// copies toward the least loaded running Active node (POST rebalance {add_node: <it>}: the
// add_node strategy moves copies to a node until it holds its fair share), then follows
// the rebalance (GET rebalance/{id}) until Done or Failed or its timeout passes. After
// move_shard rounds have skewed the layout, or once a spare node has joined, it moves
// several copies at once; on an even layout it plans no move and is done at once. One
// nemesis operation in the history (f: rebalance, value {add_node}; the completion: the
// rebalance id and its final state).

import type { Rng } from '../rng.js';
import { activeNodes, allShards, type Read } from './cluster-state.js';
import { runningNodes, type Tracked, type Where } from './tracked-op.js';

export interface RebalancePlan { add_node: string }

/** The running Active node holding the fewest copies (ties drawn). */
export async function chooseRebalance(w: Where, rng: Rng): Promise<Read<RebalancePlan>> {
  const active = await activeNodes(w);
  if (!active.ok) return active;
  const up = new Set(runningNodes(w.ctx));
  const candidates = active.value.filter((n) => up.has(n));
  if (!candidates.length) return { ok: false, why: `no running node is Active (Active: ${active.value.join(', ') || 'none'})` };
  const shards = await allShards(w);
  if (!shards.ok) return shards;
  const load = new Map(candidates.map((n) => [n, 0]));
  for (const s of shards.value) for (const n of s.node_ids) if (load.has(n)) load.set(n, load.get(n)! + 1);
  const least = Math.min(...load.values());
  return { ok: true, value: { add_node: rng.pick(candidates.filter((n) => load.get(n) === least)) } };
}

export function rebalanceOp(p: RebalancePlan): Tracked {
  return {
    f: 'rebalance', value: { ...p }, idKey: 'rebalance_id',
    path: 'rebalance', body: { add_node: p.add_node },
    statePath: (id) => `rebalance/${encodeURIComponent(id)}`,
    success: 'Done', failures: ['Failed'],
  };
}
