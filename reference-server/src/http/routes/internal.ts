// Node-to-node endpoints: catalog replication, replica writes, shard scans and repair.
import type { NodeApi } from '../node-api.js';
import type { Router } from '../router.js';
import { HttpError } from '../../util/errors.js';
import { stringifyWithBigInt } from '../../util/json.js';
import type { Context } from '../context.js';
import { encodeScanResult } from '../../cluster/distributed-query.js';
import { rfc3339Ms } from '../../migration/time.js';
import { writeNodes } from '../../sharding/ownership.js';
import { readAppendRequest, readCatalogRequest, readReplicaWrite, readScanRequest, readSnapshotRequest, readVoteRequest } from './internal-bodies.js';

export function internalRoutes(r: Router, node: NodeApi): void {
  const takesWrites = (shardId: number) => takesWritesOn(node, shardId);
  r.on('POST', '/internal/catalog/vote', async (ctx) => {
    ctx.sendJson(200, node.catalog.rpc.requestVote(readVoteRequest(await ctx.jsonWithBigInt())));
  });
  r.on('POST', '/internal/catalog/append', async (ctx) => {
    ctx.send(200, stringifyWithBigInt(node.catalog.rpc.appendEntries(readAppendRequest(await ctx.jsonWithBigInt()))), 'application/json');
  });
  r.on('POST', '/internal/catalog/snapshot', async (ctx) => {
    ctx.sendJson(200, node.catalog.rpc.installSnapshot(readSnapshotRequest(await ctx.jsonWithBigInt())));
  });
  r.on('GET', '/internal/catalog/probe', (ctx) => ctx.sendJson(200, node.catalog.rpc.probe()));
  r.on('POST', '/internal/catalog/propose', async (ctx) => {
    const req = readCatalogRequest(await ctx.jsonWithBigInt());
    // Migration windows are measured from `at`: the node that orders the change stamps it, not
    // the one whose (maybe skewed) clock took the client's request.
    if (req.kind === 'command' && (req.command.type === 'start_migration' || req.command.type === 'start_rebalance')) req.command.at = rfc3339Ms();
    ctx.sendJson(200, await node.catalog.rpc.leaderHandle(req));
  });

  r.on('POST', '/internal/write', async (ctx) => {
    // Checked whole before anything is applied: the WAL must never hold a record replay rejects,
    // and every refusal here is a 4xx, so the sender sets the write aside instead of retrying it.
    const { entries, decoded, sync } = readReplicaWrite(await ctx.json());
    for (const e of entries) {
      // The sender knows the shard, so its catalog can teach ours even while the leader is down.
      if (!node.catalog.state.shards[e.shard]) await node.catalog.sync(sender(ctx));
      if (!node.catalog.state.shards[e.shard]) await node.catalog.sync();
      const shard = node.catalog.state.shards[e.shard];
      if (!shard) throw new HttpError(404, `shard not found: ${e.shard}`);
      if (shard.db !== e.db || shard.table !== e.table) {
        throw new HttpError(400, `shard ${e.shard} belongs to ${shard.db}.${shard.table}, not ${e.db}.${e.table}`);
      }
      // A write routed on a stale catalog to a node that no longer holds the shard (a former
      // owner after its migration, a rolled-back target) would be acknowledged and never read.
      if (!takesWrites(e.shard)) await node.catalog.sync(sender(ctx)).catch(() => undefined);
      if (!takesWrites(e.shard)) await node.catalog.sync();
      if (!takesWrites(e.shard)) {
        throw new HttpError(409, `node ${node.config.nodeId} does not hold shard ${e.shard} (its writes go to ${writeNodes(node.catalog.state.shards[e.shard]!).join(', ')})`);
      }
    }
    node.applyLocal(entries, sync, decoded); // the store checks each entry before it reaches the WAL
    node.log.debug({ trace_id: ctx.traceId, from: sender(ctx), shards: entries.map((e) => e.shard), db: entries[0]?.db }, 'replica write applied');
    node.count.replicaApplied({ source: sender(ctx) ?? 'unknown' });
    ctx.noContent();
  });

  r.on('POST', '/internal/scan', async (ctx) => {
    const { scan, shards, timeout_ms } = readScanRequest(await ctx.jsonWithBigInt());
    // The coordinator's remaining time, capped by this node's own limit.
    const limits = node.config.queryLimits;
    const timeout = timeout_ms !== undefined ? Math.min(timeout_ms, limits.timeoutMs) : limits.timeoutMs;
    const budget = { limits, deadline: Date.now() + timeout };
    // A peer chose this node to read from: make sure it is not answering with a stale copy.
    await node.waitCaughtUp();
    node.log.info({ db: scan.db, table: scan.table, shards, trace_id: ctx.traceId, from: ctx.req.headers['x-phantom-node'] }, 'shard scan');
    const result = await node.query.scanLocal(scan, shards, budget);
    ctx.send(200, stringifyWithBigInt(encodeScanResult(result)), 'application/json');
  });

  r.on('GET', '/internal/shards/:id/digest', async (ctx) => {
    const s = node.catalog.state.shards[Number(ctx.params.id)];
    if (!s) throw new HttpError(404, `shard not found: ${ctx.params.id}`);
    // below_version: a migration's comparison of the rows live writes no longer touch.
    const below = ctx.query.get('below_version') === null ? undefined : intParam(ctx, 'below_version', 0);
    ctx.sendJson(200, below === undefined ? node.store.cachedDigest(s.db, s.table, s.id) : await node.store.digestOlderThan(s.db, s.table, s.id, below));
  });
  r.on('GET', '/internal/shards/:id/rows', (ctx) => {
    const s = node.catalog.state.shards[Number(ctx.params.id)];
    if (!s) throw new HttpError(404, `shard not found: ${ctx.params.id}`);
    const bucket = ctx.query.get('bucket') === null ? null : intParam(ctx, 'bucket', 0);
    const limit = Math.min(intParam(ctx, 'limit', 5000), 50_000);
    const afterTime = int64Param(ctx, 'after_time', -(2n ** 63n));
    const { rows, next } = node.store.exportRows(s.db, s.table, s.id, bucket, afterTime, intParam(ctx, 'after_sid', -1), limit);
    ctx.sendJson(200, { rows, next: next && { time: next.time.toString(), sid: next.sid } });
  });
}

function intParam(ctx: Context, name: string, dflt: number): number {
  const raw = ctx.query.get(name);
  if (raw === null) return dflt;
  const v = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(v)) throw new HttpError(400, `query parameter '${name}' must be an integer, not '${raw}'`);
  return v;
}

function int64Param(ctx: Context, name: string, dflt: bigint): bigint {
  const raw = ctx.query.get(name);
  if (raw === null) return dflt;
  const v = /^-?\d{1,19}$/.test(raw) ? BigInt(raw) : undefined;
  if (v === undefined || v < -(2n ** 63n) || v >= 2n ** 63n) throw new HttpError(400, `query parameter '${name}' must be a 64-bit integer, not '${raw}'`);
  return v;
}

/** Whether this node takes writes of `shardId` in its catalog (ownership.ts). */
function takesWritesOn(node: NodeApi, shardId: number): boolean {
  const shard = node.catalog.state.shards[shardId];
  return shard !== undefined && writeNodes(shard).includes(node.config.nodeId);
}

/** The node id a peer request says it comes from. */
function sender(ctx: Context): string | undefined {
  const h = ctx.req.headers['x-phantom-node'];
  return typeof h === 'string' && h ? h : undefined;
}
