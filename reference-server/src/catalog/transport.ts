// How catalog logs on different nodes talk: the calls the leader-ordered log makes to a peer
// (CatalogTransport) and what it answers to them (CatalogRpcHandler). Over HTTP between
// processes (http-transport.ts), in memory between catalogs of one process in tests
// (memory-transport.ts), where links can be cut and healed at will.
import { HttpError } from '../util/errors.js';
import type { CatalogEntry } from './commands.js';
import type { CatalogRequest, ProposeResult } from './consensus.js';

/** Log entries from some index on, with what identifies the catalog they belong to. */
export interface LogPage {
  cluster_id: string;
  version: number;
  entries: CatalogEntry[];
}

export interface CatalogTransport {
  /** `peer`'s log from index `from` on; undefined if it cannot be had (unreachable, refused). */
  fetchLog(peer: string, from: number, timeoutMs: number): Promise<LogPage | undefined>;
  /** Pushes committed entries to `peer`; rejects only if the peer could not be reached. */
  pushEntries(peer: string, page: LogPage, timeoutMs: number): Promise<void>;
  /**
   * Hands a request to the leader `peer`. Throws an HttpError: the leader's own refusal with
   * its status, or a 503 saying it could not be reached.
   */
  forwardPropose(peer: string, req: CatalogRequest, traceId?: string): Promise<ProposeResult>;
}

/** The leader-ordered log's side of those calls, on the node that receives them. */
export interface CatalogRpcHandler {
  page(from: number): LogPage;
  receive(page: LogPage, from?: string): void;
  leaderHandle(req: CatalogRequest): Promise<ProposeResult>;
}

/** The refusal every transport gives when the leader cannot be reached. */
export function leaderUnreachable(leader: string, cause: unknown): HttpError {
  return new HttpError(503, `catalog change refused: catalog leader ${leader} is unreachable (${(cause as Error)?.message ?? cause})`);
}
