// The catalog transport between node processes: the /internal/catalog/* endpoints, called
// through the node's PeerClient (token, trace id, --peer-url routes).
import type { PeerClient } from '../cluster/peer-client.js';
import { HttpError } from '../util/errors.js';
import { parseWithBigInt, stringifyWithBigInt } from '../util/json.js';
import type { CatalogRequest, ProposeResult } from './consensus.js';
import { leaderUnreachable, type CatalogTransport, type LogPage } from './transport.js';

export class HttpCatalogTransport implements CatalogTransport {
  /** A broadcast pushes one page to every peer: encode it once. */
  private encoded = new WeakMap<LogPage, string>();

  constructor(
    private readonly peers: PeerClient,
    /** A node's own URL (from the catalog or the bootstrap list). */
    private readonly urlOf: (nodeId: string) => string | undefined,
  ) {}

  async fetchLog(peer: string, from: number, timeoutMs: number): Promise<LogPage | undefined> {
    const url = this.urlOf(peer);
    if (!url) return undefined;
    try {
      const res = await this.peers.call(peer, url, 'GET', `/internal/catalog/log?from=${from}`, { timeoutMs });
      return res.status === 200 ? parseWithBigInt<LogPage>(res.text) : undefined;
    } catch {
      return undefined;
    }
  }

  async pushEntries(peer: string, page: LogPage, timeoutMs: number): Promise<void> {
    const url = this.urlOf(peer);
    if (!url) throw new Error(`node ${peer} has no known address`);
    let body = this.encoded.get(page);
    if (body === undefined) this.encoded.set(page, (body = stringifyWithBigInt(page)));
    await this.peers.call(peer, url, 'POST', '/internal/catalog/append', { body, timeoutMs });
  }

  async forwardPropose(leader: string, req: CatalogRequest, traceId?: string): Promise<ProposeResult> {
    const url = this.urlOf(leader);
    if (!url) throw new HttpError(503, `catalog leader ${leader} has no known address`);
    let res;
    try {
      res = await this.peers.call(leader, url, 'POST', '/internal/catalog/propose', { body: stringifyWithBigInt(req), traceId, timeoutMs: 10_000 });
    } catch (err) {
      throw leaderUnreachable(leader, err);
    }
    const body = JSON.parse(res.text || '{}');
    if (res.status !== 200) throw new HttpError(res.status, body.error ?? `catalog leader answered ${res.status}`);
    return { version: body.version, cluster_id: body.cluster_id, rejected: body.rejected ?? {} };
  }
}
