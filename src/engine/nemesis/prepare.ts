// A round's targets that depend on the cluster's state, read when the round starts: the
// catalog leader, the primary (first owner) of a random shard of a table, a move_shard
// round's move, or the node a rebalance round evens the copies toward. The round is rewritten with what was read (nodes, target, the move), so the
// journal records it and a replay acts on the same nodes instead of reading again. What
// cannot be read (no leader reachable, no shard can move) goes into `unresolved`.

import type { NemesisSpec } from '../../scenario/types.js';
import type { ScenarioContext } from '../context.js';
import { catalogLeader, tableShards, type Read } from './cluster-state.js';
import { menuEntry } from './menu.js';
import { chooseMove } from './move-shard.js';
import { chooseRebalance } from './rebalance.js';
import { aim, type PlannedRound, type StateTarget } from './schedule.js';

/** A table as the scenario names it (`table` or `db.table`), as db and table. */
export function tableRef(ctx: ScenarioContext, name: string): { db: string; table: string } {
  const db = ctx.defaultDb;
  if (name.includes('.') && !(db && ctx.tables.has(`${db}.${name}`))) {
    return { db: name.slice(0, name.indexOf('.')), table: name.slice(name.indexOf('.') + 1) };
  }
  return { db: ctx.db(undefined), table: name };
}

async function readNode(ctx: ScenarioContext, path: string, round: PlannedRound, t: StateTarget, signal: AbortSignal): Promise<Read<string>> {
  const w = { ctx, step: path, signal };
  if (t === 'leader') return catalogLeader(w);
  const { db, table } = tableRef(ctx, t.primary);
  const shards = await tableShards(w, db, table);
  if (!shards.ok) return shards;
  const shard = ctx.rng.derive(`nemesis ${path} round ${round.round}`).pick(shards.value);
  const primary = shard.node_ids[0];
  return primary ? { ok: true, value: primary } : { ok: false, why: `shard ${shard.id} of ${db}.${table} has no owner` };
}

/** Fills in the round's state-dependent nodes or move, or says in `unresolved` why it cannot act. */
export async function prepareRound(ctx: ScenarioContext, spec: NemesisSpec, path: string, round: PlannedRound, signal: AbortSignal): Promise<void> {
  if (round.unresolved !== undefined) return; // replayed: it could not act in the recorded run either
  if (round.resolve) {
    const t = round.resolve;
    delete round.resolve;
    round.resolved_from = t;
    const r = await readNode(ctx, path, round, t, signal);
    if (!r.ok) { round.unresolved = r.why; return; }
    if (spec.nodes && !spec.nodes.includes(r.value)) {
      round.unresolved = `${round.targets} is ${r.value}, which is not one of the nodes the nemesis may hit (${spec.nodes.join(', ')})`;
      return;
    }
    const options = spec.faults.map(menuEntry).find((e) => e.kind === round.fault)?.options ?? {};
    const all = ctx.driver.nodes().filter((n) => n.state !== 'pending').map((n) => n.id).sort();
    const aimed = aim(round.fault, [r.value], options, all, ctx.driver, () => r.value);
    Object.assign(round, { nodes: [r.value], target: aimed.target, targets: `${aimed.targets} (${t === 'leader' ? 'the catalog leader' : `primary of ${t.primary}`})` });
  }
  if (round.move && !('shard_id' in round.move)) {
    const { db, table } = tableRef(ctx, round.move.table);
    const r = await chooseMove({ ctx, step: path, signal }, db, table, ctx.rng.derive(`nemesis ${path} round ${round.round}`));
    if (!r.ok) { round.unresolved = r.why; return; }
    round.move = r.value;
    round.nodes = [r.value.from, r.value.to];
    round.targets = `shard ${r.value.shard_id} of ${db}.${table}: ${r.value.from} -> ${r.value.to}`;
  }
  if (round.rebalance && round.rebalance.add_node === undefined) {
    const r = await chooseRebalance({ ctx, step: path, signal }, ctx.rng.derive(`nemesis ${path} round ${round.round}`));
    if (!r.ok) { round.unresolved = r.why; return; }
    round.rebalance = r.value;
    round.nodes = [r.value.add_node];
    round.targets = `toward ${r.value.add_node} (add_node)`;
  }
}
