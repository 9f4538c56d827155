// InfluxDB 3 Core's data plane: writes (v3, v2 and v1 shapes), SQL queries, database and table
// configuration, health, ping and metrics.
import type { NodeApi } from '../node-api.js';
import { VERSION } from '../../version.js';
import type { Router } from '../router.js';
import type { Context } from '../context.js';
import { HttpError } from '../../util/errors.js';
import { isJsonObject, optionalBoolean, optionalString, type JsonObject } from '../json-body.js';
import { parseDuration } from '../../util/time.js';
import { ParamError, parsePrecision } from '../../lineprotocol/parse.js';
import type { WriteOutcome } from '../../write/coordinator.js';
import type { ColumnSchema, FieldType } from '../../types.js';
import { CONSISTENCY_LEVELS, DEFAULT_PARTITION_DURATION, type Consistency } from '../../catalog/state.js';
import type { QueryFormat } from '../../cluster/distributed-query.js';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_\-.]{0,127}$/;
const MAX_HASH_PARTITIONS = 1024;
const MAX_REPLICATION_FACTOR = 16;

export function dataPlaneRoutes(r: Router, node: NodeApi): void {
  // Healthy means able to serve: a node still joining the catalog would fail catalog requests.
  r.on('GET', '/health', (ctx) => (node.started.isOpen ? ctx.send(200, 'OK') : ctx.send(503, `starting: ${node.startPhase}`)));
  r.on('GET', '/ping', (ctx) => {
    ctx.res.setHeader('x-influxdb-version', VERSION);
    ctx.sendJson(200, { version: VERSION, revision: 'phantom-reference', node_id: node.config.nodeId });
  });
  r.on('GET', '/metrics', (ctx) => ctx.send(200, node.metrics.render(), 'text/plain; version=0.0.4; charset=utf-8'));

  r.on('POST', '/api/v3/write_lp', (ctx) =>
    write(node, ctx, 'v3', required(ctx, 'db'), {
      acceptPartial: bool(ctx, 'accept_partial', true),
      noSync: bool(ctx, 'no_sync', false),
    }),
  );
  r.on('POST', '/api/v2/write', (ctx) => write(node, ctx, 'v2', required(ctx, 'bucket'), { acceptPartial: false, noSync: false }));
  r.on('POST', '/write', (ctx) => write(node, ctx, 'v1', required(ctx, 'db'), { acceptPartial: false, noSync: false }));

  r.on(['GET', 'POST'], '/api/v3/query_sql', async (ctx) => {
    // POST takes its parameters from a JSON body; the query string fills in what it lacks.
    const body = ctx.req.method === 'POST' ? await ctx.json() : {};
    const param = (name: string) => optionalString(body, name) ?? ctx.query.get(name) ?? '';
    const db = param('db');
    const q = param('q');
    if (!db) throw new HttpError(400, "missing query parameter 'db'");
    if (!q) throw new HttpError(400, "missing query parameter 'q'");
    const format = (param('format') || 'json') as QueryFormat;
    if (!['json', 'jsonl', 'csv', 'pretty'].includes(format)) throw new HttpError(400, `unsupported format '${format}': use json, jsonl, csv or pretty`);
    const local = optionalBoolean(body, 'local') ?? bool(ctx, 'local', false);
    try {
      const run = () => node.query.query({ db, sql: q, format, local, traceId: ctx.traceId });
      // A database or table created through another node moments ago may not have reached this
      // one yet (its catalog follows the leader's): catch up once before calling it missing.
      const out = await run().catch(async (err) => {
        if ((err as { status?: number }).status !== 404) throw err;
        await node.catalog.sync();
        return run();
      });
      node.count.queries({ outcome: 'ok' });
      ctx.send(200, out.body, out.contentType);
    } catch (err) {
      node.count.queries({ outcome: 'error' });
      throw err;
    }
  });

  r.on('GET', '/api/v3/configure/database', (ctx) => {
    const names = Object.keys(node.catalog.state.databases).sort();
    ctx.sendJson(200, names.map((n) => ({ 'iox::database': n })));
  });
  r.on('POST', '/api/v3/configure/database', async (ctx) => {
    const body = await ctx.json();
    const db = checkName(body.db, 'db');
    await node.catalog.propose({ kind: 'command', command: { type: 'create_database', db } }, ctx.traceId);
    ctx.sendJson(200, {});
  });
  r.on('DELETE', '/api/v3/configure/database', async (ctx) => {
    const db = required(ctx, 'db');
    await node.catalog.propose({ kind: 'command', command: { type: 'delete_database', db } }, ctx.traceId);
    ctx.sendJson(200, {});
  });
  r.on('POST', '/api/v3/configure/table', async (ctx) => {
    const body = await ctx.json();
    const db = checkName(body.db, 'db');
    const table = checkName(body.table, 'table');
    const columns = tableColumns(body);
    const tags = columns.filter((c) => c.kind === 'tag').map((c) => c.name);
    const shardKeys = body.shard_keys === undefined ? [] : stringList(body.shard_keys, 'shard_keys');
    for (const k of shardKeys) if (!tags.includes(k)) throw new HttpError(400, `shard key '${k}' must be one of the table's tags (${tags.join(', ') || 'none'})`);
    // Bounded: every new time partition creates this many shards in one catalog change.
    const partitions = positiveInt(body.num_hash_partitions ?? 1, 'num_hash_partitions', MAX_HASH_PARTITIONS);
    const rf = positiveInt(body.replication_factor ?? 1, 'replication_factor', MAX_REPLICATION_FACTOR);
    const consistency = (body.consistency ?? 'quorum') as Consistency;
    if (!CONSISTENCY_LEVELS.includes(consistency)) throw new HttpError(400, `consistency must be one of ${CONSISTENCY_LEVELS.join(', ')}`);
    const duration = body.partition_duration === undefined ? DEFAULT_PARTITION_DURATION : parseDuration(body.partition_duration);
    if (duration === undefined) throw new HttpError(400, `partition_duration ${JSON.stringify(body.partition_duration)} is not a duration like 1h or 1d`);
    await node.catalog.propose(
      {
        kind: 'command',
        command: {
          type: 'create_table',
          db,
          table,
          columns: [{ name: 'time', kind: 'time' }, ...columns],
          shard_keys: shardKeys,
          num_hash_partitions: partitions,
          partition_duration: duration,
          replication_factor: rf,
          consistency,
        },
      },
      ctx.traceId,
    );
    ctx.sendJson(200, {});
  });
  r.on('DELETE', '/api/v3/configure/table', async (ctx) => {
    const db = required(ctx, 'db');
    const table = required(ctx, 'table');
    await node.catalog.propose({ kind: 'command', command: { type: 'delete_table', db, table } }, ctx.traceId);
    ctx.sendJson(200, {});
  });
}

async function write(node: NodeApi, ctx: Context, api: 'v3' | 'v2' | 'v1', db: string, opts: { acceptPartial: boolean; noSync: boolean }) {
  let precision;
  try {
    precision = parsePrecision(api, ctx.query.get('precision'));
  } catch (err) {
    if (err instanceof ParamError) throw new HttpError(400, err.message);
    throw err;
  }
  if (!NAME.test(db)) throw new HttpError(400, `invalid database name '${db}'`);
  const consistency = ctx.query.get('consistency') ?? undefined;
  if (consistency && !CONSISTENCY_LEVELS.includes(consistency as Consistency)) {
    throw new HttpError(400, `consistency must be one of ${CONSISTENCY_LEVELS.join(', ')}`);
  }
  const body = await ctx.text();
  let outcome: WriteOutcome;
  try {
    outcome = await node.writer.write({
      db,
      body,
      precision,
      acceptPartial: opts.acceptPartial,
      noSync: opts.noSync,
      consistency: consistency as Consistency | undefined,
      traceId: ctx.traceId,
    });
  } catch (err) {
    node.count.writes({ api, outcome: 'error' });
    throw err;
  }
  node.count.lines({}, outcome.linesWritten);
  node.count.lineErrors({}, outcome.errors.length);
  if (outcome.unavailable) {
    node.count.writes({ api, outcome: 'unavailable' });
    throw new HttpError(503, outcome.unavailable);
  }
  if (outcome.errors.length === 0) {
    node.count.writes({ api, outcome: 'ok' });
    return ctx.noContent();
  }
  node.count.writes({ api, outcome: outcome.linesWritten > 0 ? 'partial' : 'rejected' });
  if (opts.acceptPartial) {
    return ctx.sendJson(400, { error: 'partial write of line protocol occurred', data: outcome.errors });
  }
  return ctx.sendJson(400, { error: 'parsing failed for write_lp endpoint', data: outcome.errors[0] });
}

const FIELD_TYPES: Record<string, FieldType> = {
  utf8: 'string', string: 'string', int64: 'integer', integer: 'integer', uint64: 'uinteger', uinteger: 'uinteger',
  float64: 'float', float: 'float', bool: 'boolean', boolean: 'boolean',
};

function tableColumns(body: JsonObject): ColumnSchema[] {
  const cols: ColumnSchema[] = [];
  const seen = new Set<string>(['time']);
  for (const t of body.tags === undefined ? [] : stringList(body.tags, 'tags')) {
    if (seen.has(t)) throw new HttpError(400, `column '${t}' is declared twice`);
    seen.add(t);
    cols.push({ name: t, kind: 'tag' });
  }
  if (body.fields !== undefined && !Array.isArray(body.fields)) throw new HttpError(400, "'fields' must be a list of {name, type}");
  for (const f of (body.fields ?? []) as unknown[]) {
    const name = isJsonObject(f) && typeof f.name === 'string' ? f.name : undefined;
    if (!name) throw new HttpError(400, "every entry of 'fields' needs a string 'name'");
    const given = (f as JsonObject).type;
    // Own keys only: 'constructor' or 'toString' must not pass as a type.
    const type = typeof given === 'string' && Object.hasOwn(FIELD_TYPES, given) ? FIELD_TYPES[given] : undefined;
    if (!type) throw new HttpError(400, `field '${name}' has unknown type ${typeof given === 'string' ? `'${given}'` : JSON.stringify(given)}: use utf8, int64, uint64, float64 or bool`);
    if (seen.has(name)) throw new HttpError(400, `column '${name}' is declared twice`);
    seen.add(name);
    cols.push({ name, kind: 'field', type });
  }
  return cols;
}

function required(ctx: Context, name: string): string {
  const v = ctx.query.get(name);
  if (!v) throw new HttpError(400, `missing query parameter '${name}'`);
  return v;
}

function bool(ctx: Context, name: string, dflt: boolean): boolean {
  const v = ctx.query.get(name);
  if (v === null || v === '') return dflt;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new HttpError(400, `query parameter '${name}' must be true or false, not '${v}'`);
}

function checkName(v: unknown, what: string): string {
  if (typeof v !== 'string' || !v) throw new HttpError(400, `missing '${what}' in request body`);
  if (!NAME.test(v)) throw new HttpError(400, `invalid ${what} name '${v}': use letters, digits, '_', '-' and '.'`);
  return v;
}

function stringList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !x)) throw new HttpError(400, `'${what}' must be a list of names`);
  return v as string[];
}

function positiveInt(v: unknown, what: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw new HttpError(400, `'${what}' must be an integer from 1 to ${max}`);
  return v;
}
