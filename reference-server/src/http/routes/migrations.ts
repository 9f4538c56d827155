// Shard moves, migrations and rebalances (the cluster plane's half that moves data), and the
// node-to-node calls a migration makes. The state machine itself is in migration/.
import crypto from 'node:crypto';
import type { NodeApi } from '../node-api.js';
import type { Router } from '../router.js';
import { HttpError } from '../../util/errors.js';
import { optionalBoolean, requiredInteger, requiredString, type JsonObject } from '../json-body.js';
import { REBALANCE_STRATEGIES, type CatalogState, type MigrationDef, type RebalanceStrategy, type ShardDef } from '../../catalog/state.js';
import { isTerminal } from '../../migration/states.js';
import { rfc3339Ms } from '../../migration/time.js';
import { planRebalance } from '../../sharding/rebalance-plan.js';
import { writeNodes } from '../../sharding/ownership.js';

export function migrationRoutes(r: Router, node: NodeApi): void {
  const state = () => node.catalog.state;
  const base = '/api/v3/cluster';

  r.on('POST', `${base}/shards/move`, async (ctx) => {
    const b = await ctx.json();
    const move = { shard_id: requiredInteger(b, 'shard_id'), source: requiredString(b, 'from'), target: requiredString(b, 'to') };
    const existing = () => sameMove(state(), move);
    const again = existing();
    if (again) return ctx.sendJson(200, { migration_id: again.id, migration: again, already_exists: true });
    // Refusals (400/404/409) come from the leader, which checks the move against its catalog
    // (catalog-rules.ts moveProblem): this node's may lag.
    const id = `mig-${move.shard_id}-${crypto.randomBytes(4).toString('hex')}`;
    try {
      await node.catalog.propose({ kind: 'command', command: { type: 'start_migration', migration: { id, ...move }, at: rfc3339Ms() } }, ctx.traceId);
    } catch (err) {
      // The same move, asked for twice at once: the second one finds the first.
      if (err instanceof HttpError && err.status === 409) await node.catalog.sync();
      const raced = err instanceof HttpError && err.status === 409 ? existing() : undefined;
      if (raced) return ctx.sendJson(200, { migration_id: raced.id, migration: raced, already_exists: true });
      throw err;
    }
    // Committed; a node that lags its leader may not have applied it yet (Raft answers success then).
    if (!state().migrations[id]) await node.catalog.sync();
    ctx.sendJson(202, { migration_id: id, migration: state().migrations[id] ?? null });
  });

  r.on('GET', `${base}/migrations`, (ctx) => {
    const migrations = Object.values(state().migrations).sort((a, b) => (a.history[0]!.at < b.history[0]!.at ? -1 : a.history[0]!.at > b.history[0]!.at ? 1 : a.id < b.id ? -1 : 1));
    ctx.sendJson(200, { migrations });
  });
  r.on('GET', `${base}/migrations/:id`, (ctx) => {
    const m = state().migrations[ctx.params.id!];
    if (!m) throw new HttpError(404, `migration not found: ${ctx.params.id}`);
    ctx.sendJson(200, m);
  });

  r.on('POST', `${base}/rebalance`, async (ctx) => {
    const { strategy, nodeId, dryRun } = readRebalance(await ctx.json());
    if (dryRun) return ctx.sendJson(200, { dry_run: true, strategy, node: nodeId, moves: planRebalance(state(), strategy, nodeId) });
    const again = Object.values(state().rebalances).find(
      (rb) => rb.strategy === strategy && rb.node === nodeId && (rb.state === 'Running' || (strategy === 'decommission_node' && state().nodes[nodeId]?.status === 'Decommissioned')),
    );
    if (again) return ctx.sendJson(200, { rebalance_id: again.id, ...again, already_exists: true });
    const id = `rb-${crypto.randomBytes(4).toString('hex')}`;
    await node.catalog.propose({ kind: 'command', command: { type: 'start_rebalance', id, strategy, node: nodeId, at: rfc3339Ms() } }, ctx.traceId);
    if (!state().rebalances[id]) await node.catalog.sync(); // as for a move: this node may lag
    const rb = state().rebalances[id];
    ctx.sendJson(202, { rebalance_id: id, strategy, node: nodeId, state: rb?.state ?? 'Running', moves: rb?.moves ?? null, migration_ids: rb?.migration_ids ?? null });
  });
  r.on('GET', `${base}/rebalance`, (ctx) => ctx.sendJson(200, { rebalances: Object.values(state().rebalances) }));
  r.on('GET', `${base}/rebalance/:id`, (ctx) => {
    const rb = state().rebalances[ctx.params.id!];
    if (!rb) throw new HttpError(404, `rebalance not found: ${ctx.params.id}`);
    ctx.sendJson(200, rb);
  });

  // Node to node: pull a shard's rows from a peer into this node (the migration's copy).
  r.on('POST', '/internal/migrations/pull', async (ctx) => {
    const b = await ctx.json();
    const shardId = requiredInteger(b, 'shard_id');
    const from = requiredString(b, 'from');
    const mode = requiredString(b, 'mode');
    if (mode !== 'all' && mode !== 'since') throw new HttpError(400, `mode must be 'all' or 'since', not '${mode}'`);
    const sinceMs = mode === 'since' ? requiredInteger(b, 'since_ms') : 0;
    const shard = await knownShard(shardId);
    const self = node.config.nodeId;
    const takesWrites = () => {
      const s = state().shards[shardId];
      return s !== undefined && writeNodes(s).includes(self);
    };
    if (!takesWrites()) await node.catalog.sync(); // the leader's migration may not have reached this node yet
    if (!takesWrites()) throw new HttpError(409, `node ${self} does not take shard ${shardId}'s writes (no migration brings it here): nothing to pull`);
    ctx.sendJson(200, { rows: await node.shardCopy.pull(shard, from, mode, sinceMs, takesWrites) });
  });
  r.on('GET', '/internal/migrations/count', async (ctx) => {
    const shard = await knownShard(intQuery(ctx.query, 'shard_id'));
    ctx.sendJson(200, { rows: node.shardCopy.count(shard) });
  });
  // Node to node: a page of a shard's stored rows (the other end of a pull).
  r.on('GET', '/internal/migrations/rows', (ctx) => {
    const shard = state().shards[intQuery(ctx.query, 'shard_id')];
    if (!shard) throw new HttpError(404, `shard not found: ${ctx.query.get('shard_id')}`);
    const rawTime = ctx.query.get('after_time') ?? '';
    const afterTime = /^-?\d{1,19}$/.test(rawTime) ? BigInt(rawTime) : undefined;
    if (afterTime === undefined || afterTime < -(2n ** 63n) || afterTime >= 2n ** 63n) throw new HttpError(400, `after_time must be a 64-bit integer, not '${rawTime}'`);
    const limit = Math.min(Math.max(intQuery(ctx.query, 'limit'), 1), 50_000);
    const page = node.store.exportRaw(shard.db, shard.table, shard.id, afterTime, intQuery(ctx.query, 'after_sid'), limit, intQuery(ctx.query, 'min_version'));
    ctx.sendJson(200, page);
  });
  /** The shard, learning it from the catalog leader first if this node has not applied it yet. */
  async function knownShard(id: number): Promise<ShardDef> {
    if (!state().shards[id]) await node.catalog.sync();
    const shard = state().shards[id];
    if (!shard) throw new HttpError(404, `shard not found: ${id}`);
    return shard;
  }
  // Node to node: delete this node's copy of a shard it no longer owns (after cutover, or a rollback).
  r.on('POST', '/internal/migrations/drop', async (ctx) => {
    const shardId = requiredInteger(await ctx.json(), 'shard_id');
    const self = node.config.nodeId;
    const owns = () => {
      const s = state().shards[shardId];
      return s !== undefined && (s.node_ids.includes(self) || s.migrating_to === self);
    };
    if (owns()) await node.catalog.sync();
    if (owns()) throw new HttpError(409, `node ${self} still owns shard ${shardId}: its copy stays`);
    const shard = state().shards[shardId];
    const rows = shard ? await node.shardCopy.drop(shard, () => !owns()) : 0;
    node.log.info({ shard_id: shardId, rows }, 'dropped this node\'s copy of a shard it no longer owns');
    ctx.sendJson(200, { rows });
  });
}

/**
 * The migration of the same shard, source and target that runs, or that finished well and still
 * describes the shard (a later move back, b -> a after a -> b, makes a new a -> b a real move).
 */
function sameMove(state: CatalogState, m: { shard_id: number; source: string; target: string }): MigrationDef | undefined {
  const owners = state.shards[m.shard_id]?.node_ids ?? [];
  const stillDone = owners.includes(m.target) && !owners.includes(m.source);
  return Object.values(state.migrations).find(
    (x) => x.shard_id === m.shard_id && x.source === m.source && x.target === m.target && (!isTerminal(x.state) || (x.state === 'Cleaned' && stillDone)),
  );
}

function readRebalance(b: JsonObject): { strategy: RebalanceStrategy; nodeId: string; dryRun: boolean } {
  const dryRun = optionalBoolean(b, 'dry_run') ?? false;
  const unknown = Object.keys(b).filter((k) => k !== 'dry_run' && !(REBALANCE_STRATEGIES as readonly string[]).includes(k));
  if (unknown.length > 0) throw new HttpError(400, `unknown rebalance strategy or field: ${unknown.join(', ')} (expected one of ${REBALANCE_STRATEGIES.join(', ')}, and optionally dry_run)`);
  const given = REBALANCE_STRATEGIES.filter((s) => b[s] !== undefined);
  if (given.length !== 1) throw new HttpError(400, `give exactly one rebalance strategy: ${REBALANCE_STRATEGIES.join(' or ')} with a node id`);
  const strategy = given[0]!;
  return { strategy, nodeId: requiredString(b, strategy), dryRun };
}

function intQuery(q: URLSearchParams, name: string): number {
  const raw = q.get(name) ?? '';
  const v = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(v)) throw new HttpError(400, `query parameter '${name}' must be an integer, not '${raw}'`);
  return v;
}
