// Node-to-node endpoints: catalog replication, replica writes, shard scans and repair.
import type { ReferenceNode } from '../../node.js';
import type { Router } from '../router.js';
import { HttpError } from '../../util/errors.js';
import { parseWithBigInt, stringifyWithBigInt } from '../../util/json.js';
import type { Context } from '../context.js';
import type { CatalogRequest } from '../../catalog/catalog.js';
import type { WalEntry } from '../../storage/wal.js';
import { decodeScanRequest, encodeScanResult } from '../../cluster/distributed-query.js';

export function internalRoutes(r: Router, node: ReferenceNode): void {
  r.on('GET', '/internal/catalog/log', (ctx) => {
    const from = Number(ctx.query.get('from') ?? 1);
    ctx.send(200, stringifyWithBigInt(node.catalog.page(from)), 'application/json');
  });
  r.on('POST', '/internal/catalog/append', async (ctx) => {
    const page = parseWithBigInt<Parameters<typeof node.catalog.receive>[0]>(await ctx.text());
    node.catalog.receive(page, sender(ctx));
    ctx.noContent();
  });
  r.on('POST', '/internal/catalog/propose', async (ctx) => {
    const req = parseWithBigInt<CatalogRequest>(await ctx.text());
    ctx.sendJson(200, await node.catalog.leaderHandle(req));
  });

  r.on('POST', '/internal/write', async (ctx) => {
    // Every refusal here is a 4xx: the sender sets the write aside instead of retrying it.
    const { entries, sync } = replicaWrite(await ctx.text());
    for (const e of entries) {
      // The sender knows the shard, so its catalog can teach ours even while the leader is down.
      if (!node.catalog.state.shards[e.shard]) await node.catalog.sync(sender(ctx));
      if (!node.catalog.state.shards[e.shard]) await node.catalog.sync();
      const s = node.catalog.state.shards[e.shard];
      if (!s) throw new HttpError(404, `shard not found: ${e.shard}`);
      if (s.db !== e.db || s.table !== e.table) throw new HttpError(400, `shard ${e.shard} belongs to ${s.db}.${s.table}, not ${e.db}.${e.table}`);
    }
    node.applyLocal(entries, sync !== false); // checks each entry before it reaches the WAL
    node.log.debug({ trace_id: ctx.traceId, from: sender(ctx), shards: entries.map((e) => e.shard), db: entries[0]?.db }, 'replica write applied');
    node.count.replicaApplied({ source: sender(ctx) ?? 'unknown' });
    ctx.noContent();
  });

  r.on('POST', '/internal/scan', async (ctx) => {
    const { scan, shards } = decodeScanRequest(await ctx.text());
    // A peer chose this node to read from: make sure it is not answering with a stale copy.
    await node.waitCaughtUp();
    node.log.info({ db: scan.db, table: scan.table, shards, trace_id: ctx.traceId, from: ctx.req.headers['x-phantom-node'] }, 'shard scan');
    const result = node.query.scanLocal(scan, shards);
    ctx.send(200, stringifyWithBigInt(encodeScanResult(result)), 'application/json');
  });

  r.on('GET', '/internal/shards/:id/digest', (ctx) => {
    const s = node.catalog.state.shards[Number(ctx.params.id)];
    if (!s) throw new HttpError(404, `shard not found: ${ctx.params.id}`);
    ctx.sendJson(200, node.store.cachedDigest(s.db, s.table, s.id));
  });
  r.on('GET', '/internal/shards/:id/rows', (ctx) => {
    const s = node.catalog.state.shards[Number(ctx.params.id)];
    if (!s) throw new HttpError(404, `shard not found: ${ctx.params.id}`);
    const q = ctx.query;
    const bucket = q.get('bucket') === null ? null : Number(q.get('bucket'));
    const limit = Math.min(Number(q.get('limit') ?? 5000), 50_000);
    const afterTime = BigInt(q.get('after_time') ?? -(2n ** 63n));
    const { rows, next } = node.store.exportRows(s.db, s.table, s.id, bucket, afterTime, Number(q.get('after_sid') ?? -1), limit);
    ctx.sendJson(200, { rows, next: next && { time: next.time.toString(), sid: next.sid } });
  });
}

/** The body of a replica write, with its shape checked as far as routing needs (the store checks the rest). */
function replicaWrite(text: string): { entries: WalEntry[]; sync: boolean } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'replica write body is not JSON');
  }
  const { entries, sync } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (!Array.isArray(entries) || entries.some((e) => typeof e !== 'object' || e === null || !Number.isSafeInteger((e as WalEntry).shard))) {
    throw new HttpError(400, "replica write body must be {entries: [{db, table, shard, ver, points}], sync}");
  }
  return { entries: entries as WalEntry[], sync: sync !== false };
}

/** The node id a peer request says it comes from. */
function sender(ctx: Context): string | undefined {
  const h = ctx.req.headers['x-phantom-node'];
  return typeof h === 'string' && h ? h : undefined;
}
