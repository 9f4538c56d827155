// Template names whose values live in the cluster and change while a scenario runs:
// `${raft.leader}`, `${raft.followers.0}`, `${raft.voters}`, `${raft.term}` (who leads the
// catalog now; followers are the other voters that are running) and `${shards.<table>.0.id}` (the shards the cluster created for a table,
// in id order, e.g. by writes; numerically when the ids are numbers). Templates resolve synchronously, so before a step is
// rendered the executor (and await, before each attempt) fetches the ones the step uses.

import { collectTemplates, parseTemplate } from '../scenario/template.js';
import { pollUntil, PollTimeout } from '../util/poll.js';
import type { ScenarioContext } from './context.js';
import { VerificationError, errorMessage } from './errors.js';
import { clusterGet, sortShards } from './cluster-plane.js';

type Obj = Record<string, unknown>;

export interface RaftView { leader: string; term: number; voters: string[]; followers: string[] }

/** How long a step waits for a Raft leader to be known before its template fails. */
const LEADER_WAIT_MS = 10_000;

/** How long a step waits for some node to list a table's shards before its template fails. */
const SHARDS_WAIT_MS = 5_000;

/** The live names a value's templates use: whether it needs the Raft view, and which tables' shards. */
function liveUses(ctx: ScenarioContext, value: unknown): { raft: boolean; tables: Array<{ db: string; table: string }> } {
  const out = { raft: false, tables: [] as Array<{ db: string; table: string }> };
  for (const { text } of collectTemplates(value)) {
    for (const seg of parseTemplate(text, [])) {
      if (!('expr' in seg)) continue;
      const [root, ...rest] = seg.expr.path;
      if (root === 'raft') out.raft = true;
      if (root === 'shards') {
        const t = ctx.tableOfShardsPath(rest);
        if (t && !out.tables.some((x) => x.db === t.db && x.table === t.table)) out.tables.push(t);
      }
    }
  }
  return out;
}

/** Whether `value`'s templates name anything live (the Raft view or a table's shards). */
export function usesLiveNames(ctx: ScenarioContext, value: unknown): boolean {
  try {
    const uses = liveUses(ctx, value);
    return uses.raft || uses.tables.length > 0;
  } catch {
    return false; // a malformed template: rendering reports it
  }
}

/** Fetches what `value`'s live templates need, into ctx, so that ctx.render can resolve them. */
export async function refreshLiveNames(ctx: ScenarioContext, value: unknown, step: string, signal: AbortSignal): Promise<void> {
  const uses = liveUses(ctx, value);
  if (uses.raft) ctx.raftView = await raftView(ctx, step, signal);
  for (const { db, table } of uses.tables) ctx.tableShards.set(`${db}.${table}`, await tableShards(ctx, db, table, step, signal));
}

/**
 * A table's shards, in id order, as the best informed running node says: catalog reads are
 * local, so a node the change has not reached yet lists fewer (or none). Every running node
 * is asked and the longest list wins; while none lists any (shards made by a write another
 * node has not applied yet), it asks again for up to SHARDS_WAIT_MS, within the step's time.
 */
async function tableShards(ctx: ScenarioContext, db: string, table: string, step: string, signal: AbortSignal): Promise<Obj[]> {
  let best: Obj[] = [];
  let failed = '';
  try {
    await pollUntil(async ({ remainingMs }) => {
      const ids = ctx.driver.nodes().filter((n) => n.state === 'running').map((n) => n.id).sort();
      for (const node of ids) {
        const r = await clusterGet(ctx, 'shards', { node, query: { db, table }, step, signal, timeoutMs: Math.min(2000, remainingMs) }).catch(() => undefined);
        if (!r || r.status !== 200) {
          failed ||= `GET /api/v3/cluster/shards?db=${db}&table=${table} via ${node}: ${r ? `status ${r.status}: ${r.text.slice(0, 200)}` : 'no answer'}`;
          continue;
        }
        const shards = (r.body.shards ?? []) as Obj[];
        if (shards.length > best.length) best = shards;
      }
      return best.length ? true : undefined;
    }, { timeoutMs: SHARDS_WAIT_MS, intervalMs: 100, signal, describe: `shards of ${db}.${table}` });
  } catch (e) {
    if (!(e instanceof PollTimeout)) throw e;
    if (failed) throw new VerificationError(`\${shards.${table}...}: ${failed}`);
  }
  return sortShards(best);
}

/**
 * Who leads, as the running nodes say: the node that says it is the leader (the highest
 * term if several do, a stale one after a partition), else the leader most of them name.
 * Waits up to LEADER_WAIT_MS for one to be known (an election may be under way).
 */
async function raftView(ctx: ScenarioContext, step: string, signal: AbortSignal): Promise<RaftView> {
  let said: string[] = [];
  try {
    return await pollUntil(async ({ remainingMs }) => {
      const ids = ctx.driver.nodes().filter((n) => n.state === 'running').map((n) => n.id).sort();
      const answers = await Promise.all(ids.map(async (id) => {
        try {
          const res = await clusterGet(ctx, 'raft', { node: id, step, signal, timeoutMs: Math.min(2000, remainingMs) });
          return { id, status: res.status, body: res.body };
        } catch (e) {
          return { id, status: 0, body: { error: errorMessage(e) } as Obj };
        }
      }));
      said = answers.map((a) => `${a.id}: ${a.status === 200 ? `${String(a.body.role)}, term ${String(a.body.term)}, leader ${String(a.body.leader ?? 'none')}` : a.status ? `status ${a.status}` : String(a.body.error)}`);
      const ok = answers.filter((a) => a.status === 200);
      const leaders = ok.filter((a) => a.body.role === 'leader').sort((x, y) => Number(y.body.term) - Number(x.body.term));
      let leader = leaders[0]?.id;
      if (!leader) {
        // A leader only others name must be running: a killed leader is still named until an election.
        const votes = new Map<string, number>();
        for (const a of ok) if (typeof a.body.leader === 'string' && ids.includes(a.body.leader)) votes.set(a.body.leader, (votes.get(a.body.leader) ?? 0) + 1);
        leader = [...votes].sort((x, y) => y[1] - x[1])[0]?.[0];
      }
      if (!leader) return undefined;
      const from = ok.find((a) => a.id === leader) ?? ok.find((a) => a.body.leader === leader)!;
      const voters = (Array.isArray(from.body.voters) ? (from.body.voters as unknown[]).map(String) : []).sort();
      // Followers a step can act on or send to: the other voters that are running.
      return { leader, term: Number(from.body.term), voters, followers: voters.filter((v) => v !== leader && ids.includes(v)) };
    }, { timeoutMs: LEADER_WAIT_MS, intervalMs: 100, signal, describe: 'a Raft leader' });
  } catch (e) {
    if (!(e instanceof PollTimeout)) throw e;
    throw new VerificationError(`\${raft...}: no Raft leader is known after ${LEADER_WAIT_MS / 1000}s (${said.join('; ') || 'no node is running'})`);
  }
}
