// How the catalog's Raft nodes talk: the calls a node makes to a peer (CatalogTransport) and
// what it answers to them (CatalogRpcHandler). Over HTTP between processes (http-transport.ts),
// in memory between catalogs of one process in tests (memory-transport.ts), where links can be
// cut and healed at will.
import { HttpError } from '../util/errors.js';
import type { CatalogRequest, ProposeResult } from './consensus.js';
import type { AppendReply, AppendRequest, RaftProbe, SnapshotRequest, VoteReply, VoteRequest } from './raft/messages.js';

/** Each call rejects if the peer could not be reached (or did not answer in time). */
export interface CatalogTransport {
  requestVote(peer: string, req: VoteRequest, timeoutMs: number): Promise<VoteReply>;
  appendEntries(peer: string, req: AppendRequest, timeoutMs: number): Promise<AppendReply>;
  installSnapshot(peer: string, req: SnapshotRequest, timeoutMs: number): Promise<AppendReply>;
  /** What `peer` knows of the cluster; undefined if it cannot be had. */
  probe(peer: string, timeoutMs: number): Promise<RaftProbe | undefined>;
  /**
   * Hands a request to the leader `peer`. Throws an HttpError: the leader's own refusal with
   * its status (421 if it is not the leader any more: nothing was appended), LeaderUnreachable
   * if the request never reached it, ForwardUncertain if it may have.
   */
  forwardPropose(peer: string, req: CatalogRequest, traceId?: string): Promise<ProposeResult>;
}

/** A Raft node's side of those calls, on the node that receives them. */
export interface CatalogRpcHandler {
  requestVote(req: VoteRequest): VoteReply;
  appendEntries(req: AppendRequest): AppendReply;
  installSnapshot(req: SnapshotRequest): AppendReply;
  probe(): RaftProbe;
  leaderHandle(req: CatalogRequest): Promise<ProposeResult>;
}

/** Status of a leader's answer when it is not (or no longer) the leader: ask the right one. */
export const NOT_LEADER = 421;

/** The leader could not be reached and never saw the request (connection refused): safe to retry. */
export class LeaderUnreachable extends HttpError {
  constructor(leader: string, cause: unknown) {
    super(503, `no catalog leader is reachable: catalog leader ${leader} is unreachable (${(cause as Error)?.message ?? cause})`);
  }
}

/**
 * The request may have reached the leader but its answer did not come back (timeout, reset
 * after sending): it may have committed, so it must not be sent again, or it would apply twice.
 */
export class ForwardUncertain extends HttpError {
  constructor(leader: string, cause: unknown) {
    super(503, `no catalog leader is reachable: no answer from catalog leader ${leader} (${(cause as Error)?.message ?? cause}); the change may still commit, check before retrying`);
  }
}
