// How the migration and rebalance commands change the catalog (deterministic: every node applies
// them alike). Each refuses, with an HttpError, a command that does not fit the state it meets,
// and leaves the catalog unchanged: a move checks before changing anything. A rebalance changes
// the node's status before its moves are started (planRebalance plans only moves that fit), so
// a throw there could leave it half applied; what keeps the catalog whole is that the leader
// first applies every command to a working copy (catalog/plan.ts) and never appends one that throws.
import { HttpError } from '../util/errors.js';
import type { CatalogState, MigrationDef, MigrationState, RebalanceDef, RebalanceStrategy } from '../catalog/state.js';
import { canAdvance, isTerminal, shardAfter, shardMigrating } from './states.js';
import { planRebalance } from '../sharding/rebalance-plan.js';

export interface MigrationStart {
  id: string;
  shard_id: number;
  source: string;
  target: string;
  rebalance_id?: string;
}

/** Why moving `m` is refused against `state` (status and reason), or undefined if it may start. */
export function moveProblem(state: CatalogState, m: Omit<MigrationStart, 'id'>): HttpError | undefined {
  const shard = state.shards[m.shard_id];
  if (!shard) return new HttpError(404, `shard not found: ${m.shard_id}`);
  for (const n of [m.source, m.target]) if (!state.nodes[n]) return new HttpError(404, `node not found: ${n}`);
  if (m.source === m.target) return new HttpError(400, `'from' and 'to' are the same node (${m.source})`);
  if (!shard.node_ids.includes(m.source)) {
    return new HttpError(400, `node ${m.source} does not own shard ${m.shard_id} (owners: ${shard.node_ids.join(', ')})`);
  }
  if (shard.node_ids.includes(m.target)) return new HttpError(400, `node ${m.target} already owns shard ${m.shard_id}`);
  const status = state.nodes[m.target]!.status;
  if (status !== 'Active') return new HttpError(400, `node ${m.target} is ${status}, not Active: it cannot take shard ${m.shard_id}`);
  if (shardMigrating(shard)) {
    const running = Object.values(state.migrations).find((x) => x.shard_id === m.shard_id && !isTerminal(x.state));
    return new HttpError(409, `shard ${m.shard_id} already has a migration running${running ? ` (${running.id}, ${running.state})` : ''}`);
  }
  return undefined;
}

export function startMigration(state: CatalogState, m: MigrationStart, at: string): void {
  if (state.migrations[m.id]) throw new HttpError(409, `migration ${m.id} already exists`);
  const problem = moveProblem(state, m);
  if (problem) throw problem;
  const shard = state.shards[m.shard_id]!;
  const def: MigrationDef = {
    id: m.id,
    shard_id: m.shard_id,
    db: shard.db,
    table: shard.table,
    source: m.source,
    target: m.target,
    state: 'MigratingSnapshot',
    history: [{ state: 'MigratingSnapshot', at }],
    ...(m.rebalance_id ? { rebalance_id: m.rebalance_id } : {}),
  };
  state.migrations[m.id] = def;
  state.shards[m.shard_id] = shardAfter(shard, def, 'MigratingSnapshot');
}

export function advanceMigration(state: CatalogState, id: string, to: MigrationState, at: string, error?: string): void {
  const m = state.migrations[id];
  if (!m) throw new HttpError(404, `migration not found: ${id}`);
  if (!canAdvance(m.state, to)) throw new HttpError(409, `migration ${id} is ${m.state}: it cannot go to ${to}`);
  const next: MigrationDef = { ...m, state: to, history: [...m.history, { state: to, at }], ...(error ? { error } : {}) };
  state.migrations[id] = next;
  // Copied, never changed in place: writes in flight still hold the shard as they routed it.
  const shard = state.shards[m.shard_id];
  if (shard) state.shards[m.shard_id] = shardAfter(shard, next, to);
  if (isTerminal(to) && m.rebalance_id) settleRebalance(state, m.rebalance_id);
}

export function startRebalance(state: CatalogState, id: string, strategy: RebalanceStrategy, node: string, at: string): void {
  if (state.rebalances[id]) throw new HttpError(409, `rebalance ${id} already exists`);
  const running = Object.values(state.rebalances).find((r) => r.state === 'Running');
  if (running) throw new HttpError(409, `rebalance ${running.id} (${running.strategy} ${running.node}) is still running; one rebalance at a time`);
  // Planned here, against the state the command meets, so the plan can never be stale.
  const moves = planRebalance(state, strategy, node);
  const rb: RebalanceDef = { id, strategy, node, state: 'Running', moves, migration_ids: moves.map((_, i) => `${id}.${i + 1}`) };
  state.rebalances[id] = rb;
  if (strategy === 'decommission_node') state.nodes[node] = { ...state.nodes[node]!, status: 'Draining' };
  moves.forEach((mv, i) => startMigration(state, { id: rb.migration_ids[i]!, shard_id: mv.shard_id, source: mv.from, target: mv.to, rebalance_id: id }, at));
  settleRebalance(state, id);
}

/** Once every migration of a rebalance is over: Done (a drained node is Decommissioned) or Failed. */
function settleRebalance(state: CatalogState, id: string): void {
  const rb = state.rebalances[id];
  if (!rb || rb.state !== 'Running') return;
  const migrations = rb.migration_ids.map((m) => state.migrations[m]);
  if (!migrations.every((m) => m && isTerminal(m.state))) return;
  const failed = migrations.filter((m) => m!.state !== 'Cleaned');
  if (failed.length > 0) {
    const error = failed.map((m) => `${m!.id} ${m!.state}${m!.error ? `: ${m!.error}` : ''}`).join('; ');
    state.rebalances[id] = { ...rb, state: 'Failed', error };
    return;
  }
  state.rebalances[id] = { ...rb, state: 'Done' };
  const node = state.nodes[rb.node];
  if (rb.strategy === 'decommission_node' && node) state.nodes[rb.node] = { ...node, status: 'Decommissioned' };
}
