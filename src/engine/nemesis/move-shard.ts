// move_shard, a membership operation on the nemesis menu: moves a random copy of a random
// shard of a table to a random Active node that does not hold it (POST shards/move), then
// follows the migration (GET migrations/{id}) until it ends (Cleaned, RolledBack or Failed)
// or its timeout passes. The move is one nemesis operation in the history (f: move_shard,
// value: the shard, from and to; the completion: the migration id and its final state),
// so the nemesis' rounds hold it like a fault and "undo" it by awaiting its end.

import type { History } from '../history.js';
import type { Rng } from '../rng.js';
import type { ScenarioContext } from '../context.js';
import { errorMessage } from '../errors.js';
import { sleep } from '../sleep.js';
import { activeNodes, tableShards, type Read } from './cluster-state.js';

export interface ShardMove { db: string; table: string; shard_id: number; from: string; to: string }

/** How the migration ended, or where it stood when the timeout passed. */
export interface MoveEnd { migration_id: string; state: string; error?: string }

export const DEFAULT_MOVE_TIMEOUT = '60s';
export const END_STATES: readonly string[] = ['Cleaned', 'RolledBack', 'Failed'];
const POLL_MS = 250;
const CALL_TIMEOUT_MS = 10_000;

interface Where { ctx: ScenarioContext; step: string; signal: AbortSignal }

const running = (ctx: ScenarioContext) => ctx.driver.nodes().filter((n) => n.state === 'running').map((n) => n.id).sort();

/** Draws the move from the catalog as it is now: a shard with no migration running, one of its copies, a running Active node without one. */
export async function chooseMove(w: Where, db: string, table: string, rng: Rng): Promise<Read<ShardMove>> {
  const shards = await tableShards(w, db, table);
  if (!shards.ok) return shards;
  const active = await activeNodes(w);
  if (!active.ok) return active;
  const up = new Set(running(w.ctx));
  const targetsOf = (node_ids: string[]) => active.value.filter((n) => up.has(n) && !node_ids.includes(n));
  // A shard whose migration still runs refuses another move (409).
  const movable = shards.value.filter((s) => (s.migration_status ?? 'Stable') === 'Stable' && targetsOf(s.node_ids).length > 0);
  if (!movable.length) {
    return { ok: false, why: `no shard of ${db}.${table} can move: every running Active node (${[...up].filter((n) => active.value.includes(n)).join(', ') || 'none'}) holds a copy of each shard, or a migration is running` };
  }
  const shard = rng.pick(movable);
  const from = rng.pick([...shard.node_ids].sort());
  const to = rng.pick(targetsOf(shard.node_ids));
  return { ok: true, value: { db, table, shard_id: shard.id, from, to } };
}

/** A move the cluster refused (4xx): nothing changed, the history says fail. */
class MoveRefused extends Error {}

async function requestMove({ ctx, step, signal }: Where, m: ShardMove): Promise<string> {
  const via = running(ctx)[0];
  if (!via) throw new Error('no node is running to ask');
  const r = await ctx.client.call({
    node: via, url: ctx.url(via), method: 'POST', path: '/api/v3/cluster/shards/move', f: 'admin', step, signal, timeoutMs: CALL_TIMEOUT_MS,
    body: { shard_id: m.shard_id, from: m.from, to: m.to },
  });
  const id = (r.json as { migration_id?: unknown } | undefined)?.migration_id;
  if ((r.status === 202 || r.status === 200) && typeof id === 'string') return id;
  const why = `POST shards/move via ${via}: status ${r.status}: ${r.text.slice(0, 300)}`;
  throw r.status < 500 ? new MoveRefused(why) : new Error(why);
}

/** Polls the migration until it ends or `deadline` (performance.now()) passes; running nodes answer in turn. */
async function awaitEnd({ ctx, step, signal }: Where, id: string, deadline: number): Promise<MoveEnd> {
  let last: MoveEnd = { migration_id: id, state: 'unknown' };
  for (let i = 0; ; i++) {
    const nodes = running(ctx);
    const n = nodes[i % Math.max(1, nodes.length)];
    if (n) {
      try {
        const r = await ctx.client.call({ node: n, url: ctx.url(n), method: 'GET', path: `/api/v3/cluster/migrations/${id}`, f: 'catalog', step, signal, timeoutMs: 2000 });
        const m = r.json as { state?: unknown; error?: unknown } | undefined;
        if (r.status === 200 && typeof m?.state === 'string') {
          last = { migration_id: id, state: m.state, ...(typeof m.error === 'string' ? { error: m.error } : {}) };
          if (END_STATES.includes(m.state)) return last;
        }
      } catch (e) {
        if (signal.aborted) throw e;
      }
    }
    if (performance.now() >= deadline) return last;
    await sleep(POLL_MS, signal);
  }
}

export interface RunningMove {
  /** Settles once the cluster accepted the move (its migration id) or refused it. */
  accepted: Promise<{ migration_id: string } | { refused: string }>;
  /** Settles when the migration ended or the timeout passed (never rejects, except on abort). */
  ended: Promise<MoveEnd | { refused: string }>;
}

/** Requests the move and follows it, as one history operation from the request to the end. */
export function runMove(w: Where, history: History, m: ShardMove, timeoutMs: number): RunningMove {
  const deadline = performance.now() + timeoutMs;
  let accept!: (id: string) => void;
  const acceptedId = new Promise<string>((resolve) => { accept = resolve; });
  const op = history.op({ f: 'move_shard', node: null, step: w.step, value: m }, async () => {
    const id = await requestMove(w, m);
    accept(id);
    return awaitEnd(w, id, deadline);
  }, {
    classify: (e) => (e.state === 'Cleaned' ? 'ok' : END_STATES.includes(e.state) ? 'fail' : 'info'),
    okValue: (e) => ({ ...m, ...e }),
    onError: (e) => (e instanceof MoveRefused ? 'fail' : 'info'),
  });
  const ended = op.catch((e: unknown) => {
    if (w.signal.aborted) throw e;
    return { refused: errorMessage(e) };
  });
  ended.catch(() => undefined); // aborted: the step's own await reports it
  const accepted = Promise.race([acceptedId.then((migration_id) => ({ migration_id })), ended.then((e) => ('refused' in e ? e : { migration_id: e.migration_id }))]);
  return { accepted, ended };
}
