// The runner's client for the cluster plane (/api/v3/cluster/..., docs/protocol.md): one
// place for the paths, the history entry (f: catalog) and the "status N: body" message,
// shared by live names, expect_catalog and await's migration/rebalance conditions.

import type { ScenarioContext } from './context.js';
import { VerificationError } from './errors.js';

type Obj = Record<string, unknown>;

export interface ClusterGet { node: string; step: string; signal: AbortSignal; query?: Record<string, string>; timeoutMs?: number }

export interface ClusterAnswer { status: number; body: Obj; text: string }

/** GET /api/v3/cluster/<what> from one node, whatever the status. */
export async function clusterGet(ctx: ScenarioContext, what: string, o: ClusterGet): Promise<ClusterAnswer> {
  const res = await ctx.client.call({
    node: o.node, url: ctx.url(o.node), method: 'GET', path: `/api/v3/cluster/${what}`, query: o.query, f: 'catalog', step: o.step, signal: o.signal,
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
  });
  return { status: res.status, body: (res.json ?? {}) as Obj, text: res.text };
}

/** Like clusterGet, but anything other than 200 fails the check, saying what was asked of whom. */
export async function clusterGetOk(ctx: ScenarioContext, what: string, o: ClusterGet): Promise<Obj> {
  const r = await clusterGet(ctx, what, o);
  if (r.status !== 200) throw new VerificationError(`GET /api/v3/cluster/${what}${queryText(o.query)} via ${o.node}: status ${r.status}: ${r.text.slice(0, 300)}`);
  return r.body;
}

function queryText(q: Record<string, string> | undefined): string {
  return q && Object.keys(q).length ? `?${new URLSearchParams(q).toString()}` : '';
}

/** A shard's node_ids as a sorted set of strings, for comparisons that ignore their order. */
export function sortNodeIds(o: Obj): Obj {
  return Array.isArray(o.node_ids) ? { ...o, node_ids: (o.node_ids as unknown[]).map(String).sort() } : o;
}

/** Shards in id order: numerically when every id is a number, else as strings. */
export function sortShards(shards: Obj[]): Obj[] {
  const numeric = shards.every((s) => typeof s.id === 'number' || (typeof s.id === 'string' && /^\d+$/.test(s.id)));
  return shards.slice().sort((a, b) => numeric ? Number(a.id) - Number(b.id) : String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0);
}

/**
 * The newest of some migrations: the one that started last (its history's first entry,
 * RFC 3339 with milliseconds, docs/protocol.md); ids are opaque, so they only break a tie.
 */
export function newestMigration(migrations: Obj[]): Obj | undefined {
  const started = (m: Obj) => {
    const first = Array.isArray(m.history) ? (m.history[0] as Obj | undefined) : undefined;
    const t = Date.parse(String(first?.at));
    return Number.isNaN(t) ? -Infinity : t;
  };
  let best: Obj | undefined;
  for (const m of migrations) {
    if (!best || started(m) > started(best) || (started(m) === started(best) && String(m.id) > String(best.id))) best = m;
  }
  return best;
}
