// Before the first step: create the declared databases, tables and shard layouts
// through one node, wait until every running node's catalog shows them, then find
// the tag values the picks ask for through the route endpoint.

import { VerificationError } from './errors.js';
import type { ScenarioContext } from './context.js';
import { hashBound } from '../scenario/hash.js';
import { formatTimestamp } from '../scenario/time.js';
import { PollTimeout, pollUntil } from '../util/poll.js';

/** `time: all` covers what int64 nanoseconds can hold, give or take a day. */
const ALL_TIME: [string, string] = ['1677-09-22T00:00:00Z', '2262-04-10T00:00:00Z'];

export interface SetupTask {
  label: string;
  run(ctx: ScenarioContext, path: string, signal: AbortSignal): Promise<unknown>;
}

async function expectOk(ctx: ScenarioContext, node: string, path: string, signal: AbortSignal, method: string, apiPath: string, body: object, ok: number[]) {
  const res = await ctx.client.call({ node, url: ctx.url(node), method, path: apiPath, body, f: 'setup', step: path, signal, value: { method, path: apiPath, body } });
  if (!ok.includes(res.status)) throw new VerificationError(`${method} ${apiPath} via ${node}: expected ${ok.join(' or ')}, got ${res.status}: ${res.text.slice(0, 500)}`, { expected: ok, actual: { status: res.status, body: res.json ?? res.text } });
  return res;
}

export function setupTasks(ctx: ScenarioContext): SetupTask[] {
  const tasks: SetupTask[] = [];
  const doc = ctx.doc;
  for (const [db, dbSpec] of Object.entries(doc.databases ?? {})) {
    tasks.push({ label: `create database ${db}`, run: (c, p, s) => expectOk(c, c.node(undefined), p, s, 'POST', '/api/v3/configure/database', { db }, [200, 201, 204]).then(() => ({ db })) });
    for (const [table, t] of Object.entries(dbSpec.tables ?? {})) {
      tasks.push({
        label: `create table ${db}.${table}`,
        run: async (c, p, s) => {
          const body: Record<string, unknown> = { db, table, tags: t.tags ?? [], fields: Object.entries(t.fields ?? {}).map(([name, type]) => ({ name, type })) };
          for (const k of ['shard_keys', 'num_hash_partitions', 'partition_duration', 'replication_factor', 'consistency'] as const) if (t[k] !== undefined) body[k] = t[k];
          await expectOk(c, c.node(undefined), p, s, 'POST', '/api/v3/configure/table', body, [200, 201, 204]);
          return body;
        },
      });
      if (t.shards && Object.keys(t.shards).length) {
        tasks.push({
          label: `define shards ${Object.keys(t.shards).join(', ')} of ${db}.${table}`,
          run: async (c, p, s) => {
            const shards = Object.entries(t.shards!).map(([name, sh]) => ({
              name,
              time_range: sh.time === undefined || sh.time === 'all' ? ALL_TIME : sh.time.map((x) => formatTimestamp(c.time(x))),
              hash_range: sh.hash === undefined || sh.hash === 'all' ? [0, 2 ** 32] : sh.hash.map((h) => Number(hashBound(typeof h === 'string' ? String(c.render(h)) : h))),
              node_ids: sh.nodes.map((n) => String(c.render(n))),
            }));
            const res = await expectOk(c, c.node(undefined), p, s, 'POST', '/api/v3/cluster/shards', { db, table, shards }, [200, 201]);
            const created = ((res.json as { shards?: Array<Record<string, unknown>> })?.shards ?? []);
            for (const sh of created) if (typeof sh.name === 'string') c.shards.set(sh.name, sh);
            for (const sh of shards) if (!c.shards.has(sh.name)) throw new VerificationError(`POST /api/v3/cluster/shards did not return shard ${sh.name}`, { actual: res.json });
            return { shards: created };
          },
        });
      }
    }
  }
  if (tasks.length) tasks.push({ label: 'every node sees the catalog', run: awaitCatalog });
  for (const name of Object.keys(doc.picks ?? {})) tasks.push({ label: `pick ${name}`, run: (c, p, s) => resolvePick(c, name, p, s) });
  return tasks;
}

/** Polls each running node until its catalog holds every created shard (and catalog version, when reported). */
async function awaitCatalog(ctx: ScenarioContext, path: string, signal: AbortSignal) {
  const first = ctx.node(undefined);
  const head = await ctx.client.call({ node: first, url: ctx.url(first), method: 'GET', path: '/api/v3/cluster/nodes', f: 'catalog', step: path, signal });
  const version = (head.json as { catalog_version?: number })?.catalog_version;
  const byTable = new Map<string, Set<string>>();
  for (const [name, sh] of ctx.shards) {
    const key = `${String(sh.db)}\u0000${String(sh.table)}`;
    if (!byTable.has(key)) byTable.set(key, new Set());
    byTable.get(key)!.add(name);
  }
  const nodes = ctx.driver.nodes().filter((n) => n.state === 'running').map((n) => n.id);
  const deadline = performance.now() + 15_000;
  for (const node of nodes) {
    const received = async () => {
      if (typeof version === 'number') {
        const r = await ctx.client.call({ node, url: ctx.url(node), method: 'GET', path: '/api/v3/cluster/nodes', f: 'catalog', step: path, signal });
        if (!(r.status === 200 && ((r.json as { catalog_version?: number })?.catalog_version ?? 0) >= version)) return false;
      }
      for (const [key, names] of byTable) {
        const [db, table] = key.split('\u0000');
        const r = await ctx.client.call({ node, url: ctx.url(node), method: 'GET', path: '/api/v3/cluster/shards', query: { db, table }, f: 'catalog', step: path, signal });
        const have = new Set(((r.json as { shards?: Array<{ name?: string }> })?.shards ?? []).map((x) => x.name));
        if (!(r.status === 200 && [...names].every((n) => have.has(n)))) return false;
      }
      return true;
    };
    try {
      await pollUntil(received, { timeoutMs: Math.max(1, deadline - performance.now()), intervalMs: 20, signal, describe: `node ${node} to receive the catalog` });
    } catch (e) {
      if (e instanceof PollTimeout) throw new VerificationError(`node ${node} did not receive the catalog within 15 s`);
      throw e;
    }
  }
  return { nodes, catalog_version: version };
}

/** Tries prefix0, prefix1, ... until the route endpoint puts the value in the wanted shard. */
async function resolvePick(ctx: ScenarioContext, name: string, path: string, signal: AbortSignal) {
  const p = ctx.render(ctx.doc.picks![name]!);
  const [db, table] = p.table.includes('.') ? p.table.split('.', 2) as [string, string] : [ctx.db(p.db), p.table];
  const shard = ctx.shards.get(p.shard);
  if (!shard) throw new VerificationError(`pick ${name}: shard ${p.shard} was not created`);
  const time = p.time !== undefined ? formatTimestamp(ctx.time(p.time)) : (shard.time_range as string[])[0]!;
  const taken = new Set(ctx.picks.values());
  const prefix = p.prefix ?? `${p.tag}-`;
  const node = ctx.node(undefined);
  for (let i = 0; i < 1000; i++) {
    const value = `${prefix}${i}`;
    if (taken.has(value)) continue;
    const res = await ctx.client.call({ node, url: ctx.url(node), method: 'GET', path: '/api/v3/cluster/route', query: { db, table, [p.tag]: value, time }, f: 'route', step: path, signal });
    if (res.status !== 200) throw new VerificationError(`route for ${p.tag}=${value}: status ${res.status}: ${res.text.slice(0, 300)}`);
    const got = (res.json as { shard?: { name?: string; id?: unknown } | null })?.shard;
    if (got && (got.name === p.shard || got.id === shard.id)) {
      ctx.picks.set(name, value);
      return { [name]: value, tries: i + 1, hash: (res.json as { hash?: number }).hash };
    }
  }
  throw new VerificationError(`pick ${name}: none of ${prefix}0..${prefix}999 routes to shard ${p.shard}`);
}
