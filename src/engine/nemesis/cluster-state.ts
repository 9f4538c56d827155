// What a nemesis round reads from the live cluster when it starts, for targets that depend
// on the cluster's state: the Raft catalog leader (GET raft on each running node, the
// first that names one) and a table's shards with their owners and the nodes' lifecycle
// status (GET shards, GET nodes). Every read is in the history (f: catalog). A read that
// finds nothing says why, so the round records an info entry and the nemesis goes on.

import type { ScenarioContext } from '../context.js';
import { errorMessage } from '../errors.js';
import { sleep } from '../sleep.js';

export type Read<T> = { ok: true; value: T } | { ok: false; why: string };

/** A node that does not answer within this is not asked again this pass (a paused one never answers). */
const READ_TIMEOUT_MS = 1000;
/** An election may be in progress: how long to keep asking for a leader before giving up. */
export const LEADER_WAIT_MS = 3000;

export interface ShardOwners { id: number; name?: string; node_ids: string[]; migration_status?: string }

interface Where { ctx: ScenarioContext; step: string; signal: AbortSignal }

const runningNodes = (ctx: ScenarioContext) => ctx.driver.nodes().filter((n) => n.state === 'running').map((n) => n.id).sort();

/** The catalog leader as a running node names it (`leader` of GET raft), polled up to LEADER_WAIT_MS. */
export async function catalogLeader({ ctx, step, signal }: Where, waitMs = LEADER_WAIT_MS): Promise<Read<string>> {
  const known = new Set(ctx.driver.nodes().map((n) => n.id));
  const deadline = performance.now() + waitMs;
  for (;;) {
    const asked = runningNodes(ctx);
    const answers: string[] = [];
    for (const n of asked) {
      try {
        const r = await ctx.client.call({
          node: n, url: ctx.url(n), method: 'GET', path: '/api/v3/cluster/raft', f: 'catalog', step, signal, timeoutMs: READ_TIMEOUT_MS,
          // The history shows whom each node named: the round's node can be checked against it.
          record: (res) => ({ value: { leader: (res.json as { leader?: unknown } | undefined)?.leader ?? null } }),
        });
        const leader = (r.json as { leader?: unknown } | undefined)?.leader;
        // A follower may still name a leader that just died: keep asking until the one named runs.
        const state = typeof leader === 'string' && known.has(leader) ? ctx.driver.node(leader).state : undefined;
        if (r.status === 200 && state === 'running') return { ok: true, value: leader as string };
        answers.push(r.status !== 200 ? `${n}: status ${r.status}` : `${n}: leader ${JSON.stringify(leader ?? null)}${state ? ` (${state})` : ''}`);
      } catch (e) {
        if (signal.aborted) throw e;
        answers.push(`${n}: ${errorMessage(e)}`);
      }
    }
    if (performance.now() >= deadline) {
      const said = asked.length ? `asked ${asked.join(', ')} for ${waitMs} ms; last answers: ${answers.join('; ')}` : 'no node is running';
      return { ok: false, why: `no catalog leader is reachable (${said})` };
    }
    await sleep(200, signal);
  }
}

/** Answer of the first running node that answers 200 to `path`. */
async function firstAnswer({ ctx, step, signal }: Where, path: string, query?: Record<string, string>): Promise<Read<unknown>> {
  const answers: string[] = [];
  for (const n of runningNodes(ctx)) {
    try {
      const r = await ctx.client.call({ node: n, url: ctx.url(n), method: 'GET', path, ...(query ? { query } : {}), f: 'catalog', step, signal, timeoutMs: READ_TIMEOUT_MS });
      if (r.status === 200 && r.json !== undefined) return { ok: true, value: r.json };
      answers.push(`${n}: status ${r.status}`);
    } catch (e) {
      if (signal.aborted) throw e;
      answers.push(`${n}: ${errorMessage(e)}`);
    }
  }
  return { ok: false, why: `GET ${path} got no answer (${answers.length ? answers.join('; ') : 'no node is running'})` };
}

/** The table's shards with their owners, by id. */
export async function tableShards(w: Where, db: string, table: string): Promise<Read<ShardOwners[]>> {
  const r = await firstAnswer(w, '/api/v3/cluster/shards', { db, table });
  if (!r.ok) return r;
  const shards = ((r.value as { shards?: ShardOwners[] }).shards ?? []).filter((s) => Number.isInteger(s.id) && Array.isArray(s.node_ids));
  if (!shards.length) return { ok: false, why: `table ${db}.${table} has no shards in the catalog` };
  return { ok: true, value: shards.sort((a, b) => a.id - b.id) };
}

/** Every shard of every table, with its owners. */
export async function allShards(w: Where): Promise<Read<ShardOwners[]>> {
  const r = await firstAnswer(w, '/api/v3/cluster/shards');
  if (!r.ok) return r;
  return { ok: true, value: ((r.value as { shards?: ShardOwners[] }).shards ?? []).filter((s) => Array.isArray(s.node_ids)) };
}

/** Ids of the nodes whose lifecycle status is Active. */
export async function activeNodes(w: Where): Promise<Read<string[]>> {
  const r = await firstAnswer(w, '/api/v3/cluster/nodes');
  if (!r.ok) return r;
  const nodes = (r.value as { nodes?: Array<{ id?: string; status?: string }> }).nodes ?? [];
  return { ok: true, value: nodes.filter((n) => n.status === 'Active' && typeof n.id === 'string').map((n) => n.id!).sort() };
}
