// HTTP calls between nodes. Every call carries the cluster token, the caller's node id, the
// trace id of the request that caused it, and the caller's catalog version (a receiver that
// is behind syncs its catalog before acting). Every call to a peer goes through here, so the
// node-local routes of --peer-url apply to all of them: the caller passes the peer's own URL
// (from the catalog) and this dials the route instead when there is one.
import { Agent, request } from 'undici';

export class PeerUnreachable extends Error {
  constructor(readonly nodeId: string, readonly url: string, cause: unknown) {
    super(`node ${nodeId} (${url}) unreachable: ${(cause as Error)?.message ?? cause}`);
  }
}

export interface PeerResponse {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface CallOptions {
  body?: string;
  timeoutMs?: number;
  traceId?: string;
  contentType?: string;
}

export class PeerClient {
  private agent = new Agent({ keepAliveTimeout: 10_000, connections: 16, pipelining: 1 });

  constructor(
    private readonly selfId: string,
    private readonly token: string | undefined,
    private readonly catalogVersion: () => number,
    /** --peer-url: node id → the URL to dial instead of the node's own. */
    private readonly routes: ReadonlyMap<string, string> = new Map(),
  ) {}

  /** The URL this node dials to reach `nodeId` whose own URL is `ownUrl`. */
  urlFor(nodeId: string, ownUrl: string): string {
    return this.routes.get(nodeId) ?? ownUrl;
  }

  async call(nodeId: string, ownUrl: string, method: string, path: string, opts: CallOptions = {}): Promise<PeerResponse> {
    const baseUrl = this.urlFor(nodeId, ownUrl);
    const headers: Record<string, string> = {
      'x-phantom-node': this.selfId,
      'x-phantom-catalog-version': String(this.catalogVersion()),
    };
    if (opts.traceId) headers['x-phantom-trace-id'] = opts.traceId;
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const timeout = opts.timeoutMs ?? 10_000;
    try {
      const res = await request(baseUrl + path, {
        method: method as 'GET',
        headers,
        body: opts.body,
        dispatcher: this.agent,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: AbortSignal.timeout(timeout),
      });
      const text = await res.body.text();
      return { status: res.statusCode, text, headers: res.headers };
    } catch (err) {
      throw new PeerUnreachable(nodeId, baseUrl, err);
    }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}
