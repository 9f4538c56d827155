// The cluster plane (our extension of the API): membership, shard layouts, routing, checksums.
import type { NodeApi } from '../node-api.js';
import type { Router } from '../router.js';
import { HttpError } from '../../util/errors.js';
import { isJsonObject, optionalString } from '../json-body.js';
import { formatRfc3339, parseTimestamp } from '../../util/time.js';
import { NODE_STATUSES, tableShards, type NodeStatus, type ShardDef } from '../../catalog/state.js';
import { HASH_SPACE, shardKeyHash } from '../../sharding/hash.js';
import { copyNodes } from '../../sharding/ownership.js';
import type { ShardDigest } from '../../storage/store.js';

/** A shard as the API shows it: times in RFC3339 with nanoseconds. */
export function renderShard(s: ShardDef): Record<string, unknown> {
  return { ...s, time_range: [formatRfc3339(s.time_range[0]), formatRfc3339(s.time_range[1])] };
}

export function clusterPlaneRoutes(r: Router, node: NodeApi): void {
  const state = () => node.catalog.state;
  const base = '/api/v3/cluster';

  r.on('GET', `${base}/nodes`, (ctx) => {
    const nodes = Object.values(state().nodes)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((n) => ({ ...n, leader: n.id === node.catalog.leaderId }));
    ctx.sendJson(200, { nodes, catalog_version: state().version });
  });
  r.on('POST', `${base}/nodes`, async (ctx) => {
    const b = await ctx.json();
    const id = typeof b.id === 'string' ? b.id : '';
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new HttpError(400, "node 'id' must be 1-64 letters, digits, '-' or '_'");
    const url = typeof b.url === 'string' ? b.url.replace(/\/+$/, '') : '';
    if (!/^https?:\/\/[^/]+$/.test(url)) throw new HttpError(400, "node 'url' must look like http://host:port");
    const status = (b.status ?? 'Joining') as NodeStatus;
    if (!NODE_STATUSES.includes(status)) throw new HttpError(400, `status must be one of ${NODE_STATUSES.join(', ')}`);
    try {
      await node.catalog.propose({ kind: 'command', command: { type: 'add_node', id, url, status } }, ctx.traceId);
    } catch (err) {
      // Adding the same node twice is harmless and says so; the same id at another url is a conflict.
      // The leader refused against its catalog: catch up with it before comparing (this node may lag).
      if (err instanceof HttpError && err.status === 409) await node.catalog.sync();
      const have = state().nodes[id];
      if (err instanceof HttpError && err.status === 409 && have?.url === url) return ctx.sendJson(200, { ...have, already_exists: true });
      if (err instanceof HttpError && err.status === 409 && have) throw new HttpError(409, `node ${id} already exists with url ${have.url}, not ${url}`);
      throw err;
    }
    // Committed; this node may not have applied it yet if it lags the leader.
    ctx.sendJson(201, state().nodes[id] ?? { id, url, status });
  });
  r.on('DELETE', `${base}/nodes/:id`, async (ctx) => {
    await node.catalog.propose({ kind: 'command', command: { type: 'remove_node', id: ctx.params.id! } }, ctx.traceId);
    ctx.noContent();
  });
  r.on('PUT', `${base}/nodes/:id/status`, async (ctx) => {
    const b = await ctx.json();
    const status = b.status as NodeStatus;
    if (!NODE_STATUSES.includes(status)) throw new HttpError(400, `status must be one of ${NODE_STATUSES.join(', ')}`);
    await node.catalog.propose({ kind: 'command', command: { type: 'set_node_status', id: ctx.params.id!, status } }, ctx.traceId);
    ctx.sendJson(200, state().nodes[ctx.params.id!]);
  });

  r.on('GET', `${base}/shards`, (ctx) => {
    const db = ctx.query.get('db');
    const table = ctx.query.get('table');
    const shards = Object.values(state().shards)
      .filter((s) => (!db || s.db === db) && (!table || s.table === table))
      .sort((a, b) => a.id - b.id)
      .map(renderShard);
    ctx.sendJson(200, { shards });
  });
  r.on('GET', `${base}/shards/:id`, (ctx) => ctx.sendJson(200, renderShard(shardById(node, ctx.params.id!))));
  r.on('POST', `${base}/shards`, async (ctx) => {
    const b = await ctx.json();
    const db = optionalString(b, 'db') ?? '';
    const table = optionalString(b, 'table') ?? '';
    if (!state().databases[db]) throw new HttpError(404, `database not found: ${db}`);
    if (!state().databases[db]!.tables[table]) throw new HttpError(404, `table not found: ${db}.${table}`);
    if (!Array.isArray(b.shards) || b.shards.length === 0) throw new HttpError(400, "'shards' must be a non-empty list");
    const shards = (b.shards as unknown[]).map((s, i) => parseShard(s, i, db, table));
    const names = shards.map((s) => s.name).filter(Boolean);
    if (new Set(names).size !== names.length) throw new HttpError(400, 'shard names must be unique within one request');
    await node.catalog.propose({ kind: 'define_layout', shards }, ctx.traceId);
    // The leader assigned the ids; ranges of one table never overlap, so they identify each shard.
    const created = shards.map((want) =>
      tableShards(state(), db, table).find((s) => s.time_range[0] === want.time_range[0] && s.hash_range[0] === want.hash_range[0]),
    );
    ctx.sendJson(201, { shards: created.filter((s): s is ShardDef => !!s).map(renderShard) });
  });
  r.on('GET', `${base}/shards/:id/checksum`, async (ctx) => {
    const shard = shardById(node, ctx.params.id!);
    if (ctx.query.get('local') === 'true') {
      const d = node.store.cachedDigest(shard.db, shard.table, shard.id);
      return ctx.sendJson(200, { shard_id: shard.id, node_id: node.config.nodeId, row_count: d.row_count, checksum: d.checksum });
    }
    const replicas = await Promise.all(
      copyNodes(shard).map(async (id) => {
        try {
          const d: ShardDigest =
            id === node.config.nodeId
              ? node.store.cachedDigest(shard.db, shard.table, shard.id)
              : JSON.parse((await node.callPeer(id, 'GET', `/internal/shards/${shard.id}/digest`)).text);
          return { node_id: id, row_count: d.row_count, checksum: d.checksum };
        } catch (err) {
          return { node_id: id, error: (err as Error).message };
        }
      }),
    );
    const sums = new Set(replicas.map((x) => ('checksum' in x ? x.checksum : undefined)));
    ctx.sendJson(200, { shard_id: shard.id, replicas, consistent: sums.size === 1 && !sums.has(undefined) });
  });

  r.on('GET', `${base}/route`, (ctx) => {
    const db = ctx.query.get('db') ?? '';
    const tableName = ctx.query.get('table') ?? '';
    const table = state().databases[db]?.tables[tableName];
    if (!state().databases[db]) throw new HttpError(404, `database not found: ${db}`);
    if (!table) throw new HttpError(404, `table not found: ${db}.${tableName}`);
    const rawTime = ctx.query.get('time');
    const time = rawTime === null ? undefined : parseTimestamp(rawTime);
    if (rawTime !== null && time === undefined) throw new HttpError(400, `time '${rawTime}' is not RFC3339 or integer nanoseconds`);
    const tags: Record<string, string> = {};
    for (const [k, v] of ctx.query) if (!['db', 'table', 'time'].includes(k)) tags[k] = v;
    const hash = shardKeyHash(tags, table.shard_keys);
    const candidates = tableShards(state(), db, tableName).filter((s) => s.hash_range[0] <= hash && hash < s.hash_range[1]);
    const shard = time === undefined ? undefined : candidates.find((s) => s.time_range[0] <= time && time < s.time_range[1]);
    ctx.sendJson(200, {
      db,
      table: tableName,
      shard_keys: table.shard_keys,
      hash,
      time: time === undefined ? null : formatRfc3339(time),
      shard: shard ? renderShard(shard) : null,
      node_ids: shard?.node_ids ?? [],
      /** Without a time, every shard whose hash range holds the point. */
      candidates: time === undefined ? candidates.map(renderShard) : undefined,
    });
  });
}

function shardById(node: NodeApi, raw: string): ShardDef {
  const id = Number(raw);
  const s = Number.isInteger(id) ? node.catalog.state.shards[id] : undefined;
  if (!s) throw new HttpError(404, `shard not found: ${raw}`);
  return s;
}

function parseShard(s: unknown, i: number, db: string, table: string): Omit<ShardDef, 'id'> {
  if (!isJsonObject(s)) throw new HttpError(400, `shards[${i}] must be an object with time_range, hash_range and node_ids`);
  const where = `shards[${i}]${typeof s.name === 'string' ? ` (${s.name})` : ''}`;
  if (s.name !== undefined && typeof s.name !== 'string') throw new HttpError(400, `${where}: name must be a string`);
  const tr = s.time_range;
  if (!Array.isArray(tr) || tr.length !== 2) throw new HttpError(400, `${where}: time_range must be [start, end)`);
  const start = parseTimestamp(tr[0]);
  const end = parseTimestamp(tr[1]);
  if (start === undefined || end === undefined) throw new HttpError(400, `${where}: time_range values must be RFC3339 or integer nanoseconds`);
  if (start >= end) throw new HttpError(400, `${where}: time_range start must be before end`);
  const hr = s.hash_range ?? [0, HASH_SPACE];
  if (!Array.isArray(hr) || hr.length !== 2 || !hr.every((x) => Number.isInteger(x) && x >= 0 && x <= HASH_SPACE) || hr[0] >= hr[1]) {
    throw new HttpError(400, `${where}: hash_range must be [start, end) with 0 <= start < end <= ${HASH_SPACE}`);
  }
  const nodeIds = s.node_ids;
  if (!Array.isArray(nodeIds) || nodeIds.length === 0 || nodeIds.some((n) => typeof n !== 'string')) {
    throw new HttpError(400, `${where}: node_ids must be a non-empty list of node ids`);
  }
  if (new Set(nodeIds).size !== nodeIds.length) throw new HttpError(400, `${where}: node_ids lists a node twice`);
  return {
    ...(typeof s.name === 'string' && s.name ? { name: s.name } : {}),
    db,
    table,
    time_range: [start, end],
    hash_range: [hr[0] as number, hr[1] as number],
    node_ids: nodeIds as string[],
    migration_status: 'Stable',
  };
}
