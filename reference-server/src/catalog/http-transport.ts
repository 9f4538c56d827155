// The catalog transport between node processes: the /internal/catalog/* endpoints, called
// through the node's PeerClient (token, trace id, --peer-url routes).
import type { PeerClient } from '../cluster/peer-client.js';
import { HttpError } from '../util/errors.js';
import { parseWithBigInt, stringifyWithBigInt } from '../util/json.js';
import type { CatalogRequest, ProposeResult } from './consensus.js';
import { ForwardUncertain, LeaderUnreachable, type CatalogTransport } from './transport.js';
import type { AppendReply, AppendRequest, RaftProbe, SnapshotRequest, VoteReply, VoteRequest } from './raft/messages.js';

export class HttpCatalogTransport implements CatalogTransport {
  constructor(
    private readonly peers: PeerClient,
    /** A node's own URL (from the catalog or the bootstrap list). */
    private readonly urlOf: (nodeId: string) => string | undefined,
  ) {}

  private async rpc<T>(peer: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
    const url = this.urlOf(peer);
    if (!url) throw new Error(`node ${peer} has no known address`);
    const res = await this.peers.call(peer, url, 'POST', path, { body: stringifyWithBigInt(body), timeoutMs });
    if (res.status !== 200) throw new Error(`node ${peer} answered ${path} with ${res.status}: ${res.text.slice(0, 200)}`);
    return parseWithBigInt<T>(res.text);
  }

  requestVote(peer: string, req: VoteRequest, timeoutMs: number): Promise<VoteReply> {
    return this.rpc(peer, '/internal/catalog/vote', req, timeoutMs);
  }

  appendEntries(peer: string, req: AppendRequest, timeoutMs: number): Promise<AppendReply> {
    return this.rpc(peer, '/internal/catalog/append', req, timeoutMs);
  }

  installSnapshot(peer: string, req: SnapshotRequest, timeoutMs: number): Promise<AppendReply> {
    return this.rpc(peer, '/internal/catalog/snapshot', req, timeoutMs);
  }

  async probe(peer: string, timeoutMs: number): Promise<RaftProbe | undefined> {
    const url = this.urlOf(peer);
    if (!url) return undefined;
    try {
      const res = await this.peers.call(peer, url, 'GET', '/internal/catalog/probe', { timeoutMs });
      return res.status === 200 ? (JSON.parse(res.text) as RaftProbe) : undefined;
    } catch {
      return undefined;
    }
  }

  async forwardPropose(leader: string, req: CatalogRequest, traceId?: string): Promise<ProposeResult> {
    const url = this.urlOf(leader);
    if (!url) throw new LeaderUnreachable(leader, 'it has no known address');
    let res;
    try {
      res = await this.peers.call(leader, url, 'POST', '/internal/catalog/propose', { body: stringifyWithBigInt(req), traceId, timeoutMs: 10_000 });
    } catch (err) {
      // Refused or unresolvable: nothing was sent. Anything later (a timeout, a reset) may
      // come after the leader read the request.
      throw neverSent(err) ? new LeaderUnreachable(leader, err) : new ForwardUncertain(leader, err);
    }
    const body = JSON.parse(res.text || '{}');
    if (res.status !== 200) throw new HttpError(res.status, body.error ?? `catalog leader answered ${res.status}`);
    return { version: body.version, cluster_id: body.cluster_id, rejected: body.rejected ?? {} };
  }
}

/** Failures that happen before a request is sent: the connection was never made. */
function neverSent(err: unknown): boolean {
  return /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/.test((err as Error)?.message ?? '');
}
