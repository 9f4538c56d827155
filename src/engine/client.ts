// HTTP to the cluster's nodes, every call recorded in the history. The client
// speaks the protocol of docs/protocol.md; it knows nothing of steps or checks.

import { Agent, request } from 'undici';
import type { History, OpType } from './history.js';
import { InterruptedError } from './errors.js';

export interface HttpResult {
  status: number;
  text: string;
  /** Parsed JSON body when the body is JSON, else undefined. */
  json: unknown;
  ms: number;
}

export interface CallOptions {
  node: string;
  url: string;
  method: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: string | object;
  contentType?: string;
  /** History operation name: write, query, admin, route, ... */
  f: string;
  step: string;
  signal?: AbortSignal;
  /** What the history records as the operation's value (default: method and path). */
  value?: unknown;
  /**
   * What a checker needs from the answer (rows read, lines rejected, a checksum): merged
   * into the completion's value; `type` overrides the status-based ok/fail/info.
   */
  record?: (r: HttpResult) => { type?: 'ok' | 'fail' | 'info'; value?: Record<string, unknown> } | undefined;
  /** The call's own deadline for an answer (a paused node never answers): past it, the call throws "timed out". */
  timeoutMs?: number;
  /** Told how the history recorded the completion (a workload counts them). */
  outcome?: (type: Exclude<OpType, 'invoke'>) => void;
}

export class ClusterClient {
  private readonly agent = new Agent({ keepAliveTimeout: 2000, connections: 16 });

  constructor(private readonly history: History, private readonly token?: string) {}

  async call(o: CallOptions): Promise<HttpResult> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const url = `${o.url}${o.path}${qs.size ? `?${qs}` : ''}`;
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['content-type'] = o.contentType ?? (typeof o.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json');
    }
    // Worked out once per answer: classify and okValue both need it.
    const memo = new WeakMap<HttpResult, ReturnType<NonNullable<CallOptions['record']>>>();
    const recorded = (r: HttpResult) => {
      if (!o.record) return undefined;
      if (!memo.has(r)) memo.set(r, o.record(r));
      return memo.get(r);
    };
    const told = <T extends 'ok' | 'fail' | 'info'>(type: T): T => { o.outcome?.(type); return type; };
    return this.history.op(
      { f: o.f, node: o.node, step: o.step, value: o.value ?? { method: o.method, path: o.path, ...(o.query ? { query: o.query } : {}) } },
      async () => {
        const t0 = performance.now();
        try {
          const timeouts = o.timeoutMs !== undefined ? { headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs } : {};
          const res = await request(url, { method: o.method as 'GET', headers, body, signal: o.signal, dispatcher: this.agent, ...timeouts });
          const text = await res.body.text();
          let json: unknown;
          if (text && /json/.test(String(res.headers['content-type'] ?? ''))) {
            try { json = JSON.parse(text); } catch { json = undefined; }
          }
          return { status: res.statusCode, text, json, ms: performance.now() - t0 };
        } catch (e) {
          if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : new InterruptedError();
          throw new Error(`${o.method} ${url}: ${describeNetError(e)}`, { cause: e });
        }
      },
      {
        classify: (r) => told(recorded(r)?.type ?? (r.status < 400 ? 'ok' : r.status >= 500 ? 'info' : 'fail')),
        okValue: (r) => ({ status: r.status, ...(r.status >= 400 ? { body: r.text.slice(0, 500) } : {}), ...recorded(r)?.value }),
        // A read that failed did nothing; a write that failed may or may not have applied,
        // unless the node refused the connection: then the request was never sent.
        onError: (e) => told(o.f === 'query' || o.method === 'GET' || refused(e) ? 'fail' : 'info'),
      },
    );
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

/** The connection was refused: nothing of the request reached the node. */
function refused(e: unknown): boolean {
  const cause = (e as { cause?: { code?: string; cause?: { code?: string } } })?.cause;
  return (cause?.code ?? cause?.cause?.code) === 'ECONNREFUSED';
}

function describeNetError(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (is the node down?)';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timed out waiting for the node';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  return err.message ?? String(e);
}
