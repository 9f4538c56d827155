// A membership operation of the nemesis as one history operation from its request to its
// end: the request (POST shards/move, POST rebalance) is accepted with an id or refused;
// then its state is polled on the running nodes in turn until it reaches an end state or
// its timeout passes. The completion is ok at the success state, fail at another end state
// or a refusal (4xx), info when the timeout passed first or the answer was a 5xx.

import type { History } from '../history.js';
import type { ScenarioContext } from '../context.js';
import { errorMessage } from '../errors.js';
import { sleep } from '../sleep.js';

export interface Where { ctx: ScenarioContext; step: string; signal: AbortSignal }

/** How it ended, or where it stood when the timeout passed. */
export interface OpEnd { id: string; state: string; error?: string }

export interface RunningOp {
  /** Settles once the cluster accepted it (its id) or refused it. */
  accepted: Promise<{ id: string } | { refused: string }>;
  /** Settles when it ended or its timeout passed (rejects only on abort). */
  ended: Promise<OpEnd | { refused: string }>;
}

export interface Tracked {
  /** History operation name and value (what was asked). */
  f: string;
  value: Record<string, unknown>;
  /** The key the completion names the id with (migration_id, rebalance_id). */
  idKey: string;
  /** The request path under /api/v3/cluster/ and its body; the answer's idKey is the id. */
  path: string;
  body: Record<string, unknown>;
  /** The path to poll for the state, from the id. */
  statePath(id: string): string;
  success: string;
  failures: readonly string[];
}

const POLL_MS = 250;
const CALL_TIMEOUT_MS = 10_000;

export const runningNodes = (ctx: ScenarioContext) => ctx.driver.nodes().filter((n) => n.state === 'running').map((n) => n.id).sort();

/** A request the cluster refused (4xx): nothing changed, the history says fail. */
class Refused extends Error {}

async function request({ ctx, step, signal }: Where, t: Tracked): Promise<string> {
  const via = runningNodes(ctx)[0];
  if (!via) throw new Error('no node is running to ask');
  const r = await ctx.client.call({ node: via, url: ctx.url(via), method: 'POST', path: `/api/v3/cluster/${t.path}`, f: 'admin', step, signal, timeoutMs: CALL_TIMEOUT_MS, body: t.body });
  const id = (r.json as Record<string, unknown> | undefined)?.[t.idKey];
  if ((r.status === 202 || r.status === 200) && typeof id === 'string') return id;
  const why = `POST ${t.path} via ${via}: status ${r.status}: ${r.text.slice(0, 300)}`;
  throw r.status < 500 ? new Refused(why) : new Error(why);
}

async function awaitEnd({ ctx, step, signal }: Where, t: Tracked, id: string, deadline: number): Promise<OpEnd> {
  let last: OpEnd = { id, state: 'unknown' };
  for (let i = 0; ; i++) {
    const nodes = runningNodes(ctx);
    const n = nodes[i % Math.max(1, nodes.length)];
    if (n) {
      try {
        const r = await ctx.client.call({ node: n, url: ctx.url(n), method: 'GET', path: `/api/v3/cluster/${t.statePath(id)}`, f: 'catalog', step, signal, timeoutMs: 2000 });
        const m = r.json as { state?: unknown; error?: unknown } | undefined;
        if (r.status === 200 && typeof m?.state === 'string') {
          last = { id, state: m.state, ...(typeof m.error === 'string' ? { error: m.error } : {}) };
          if (m.state === t.success || t.failures.includes(m.state)) return last;
        }
      } catch (e) {
        if (signal.aborted) throw e;
      }
    }
    if (performance.now() >= deadline) return last;
    await sleep(POLL_MS, signal);
  }
}

/** Requests it and follows it, as one history operation from the request to the end. */
export function runTracked(w: Where, history: History, t: Tracked, timeoutMs: number): RunningOp {
  const deadline = performance.now() + timeoutMs;
  let accept!: (id: string) => void;
  const acceptedId = new Promise<string>((resolve) => { accept = resolve; });
  const op = history.op({ f: t.f, node: null, step: w.step, value: t.value }, async () => {
    const id = await request(w, t);
    accept(id);
    return awaitEnd(w, t, id, deadline);
  }, {
    classify: (e) => (e.state === t.success ? 'ok' : t.failures.includes(e.state) ? 'fail' : 'info'),
    okValue: (e) => ({ ...t.value, [t.idKey]: e.id, state: e.state, ...(e.error ? { error: e.error } : {}) }),
    onError: (e) => (e instanceof Refused ? 'fail' : 'info'),
  });
  const ended = op.catch((e: unknown) => {
    if (w.signal.aborted) throw e;
    return { refused: errorMessage(e) };
  });
  ended.catch(() => undefined); // aborted: the step's own await reports it
  const accepted = Promise.race([acceptedId.then((id) => ({ id })), ended.then((e) => ('refused' in e ? e : { id: e.id }))]);
  return { accepted, ended };
}

/** Whether an end is one of the op's end states (not a timeout). */
export const hasEnded = (t: Pick<Tracked, 'success' | 'failures'>, e: OpEnd) => e.state === t.success || t.failures.includes(e.state);
