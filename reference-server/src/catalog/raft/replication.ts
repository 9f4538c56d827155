// The leader's half of log replication (Raft paper, 5.3): for each follower and learner, the
// next entry to send and the last one known stored there. A mismatch walks `next` back (to
// where the follower's log ends, at most one step at a time past that); a follower behind the
// leader's snapshot gets the snapshot. One request in flight per peer: what piles up meanwhile
// goes in the next one.
import type { Logger } from '../../util/log.js';
import type { CatalogTransport } from '../transport.js';
import type { AppendReply, AppendRequest } from './messages.js';
import type { RaftLog } from './log.js';
import type { RaftTiming } from './timing.js';
import { monotonicMs } from './clock.js';

export interface Progress {
  next: number;
  match: number;
  /** When the peer last answered (check-quorum). */
  lastContact: number;
  inflight: boolean;
  again: boolean;
}

/** What the replicator reads of, and reports to, the Raft node it works for. */
export interface ReplicationHost {
  selfId: string;
  raftLog: RaftLog;
  transport: CatalogTransport;
  timing: RaftTiming;
  log: Logger;
  /** The node's term, whether it still leads, its commit index and cluster id, right now. */
  now(): { term: number; leading: boolean; commitIndex: number; clusterId: string };
  /** A peer answered with a newer term: step down. */
  sawTerm(term: number): void;
  /** A peer stored more of the log: the commit index may move. */
  matched(): void;
}

const MAX_BATCH = 500;

export class Replicator {
  readonly progress = new Map<string, Progress>();

  constructor(private readonly host: ReplicationHost) {}

  /** Sends what each of `targets` lacks (a heartbeat if nothing); forgets peers no longer among them. */
  replicateTo(targets: string[], since: number): void {
    for (const id of this.progress.keys()) if (!targets.includes(id)) this.progress.delete(id);
    for (const id of targets) {
      if (!this.progress.has(id)) this.progress.set(id, { next: this.host.raftLog.lastIndex + 1, match: 0, lastContact: since, inflight: false, again: false });
      void this.replicate(id);
    }
  }

  private async replicate(peer: string): Promise<void> {
    const p = this.progress.get(peer);
    if (!p) return;
    if (p.inflight) {
      p.again = true;
      return;
    }
    p.inflight = true;
    try {
      do {
        p.again = false;
        await this.sendOnce(peer, p);
      } while (p.again && this.host.now().leading && this.progress.get(peer) === p);
    } catch (err) {
      this.host.log.warn({ peer, err: (err as Error).message }, 'catalog replication failed');
    } finally {
      p.inflight = false;
    }
  }

  private async sendOnce(peer: string, p: Progress): Promise<void> {
    const { raftLog, transport, timing, selfId } = this.host;
    const { term, commitIndex, clusterId } = this.host.now();
    let reply: AppendReply;
    let sentUpTo: number;
    try {
      if (p.next <= raftLog.snapshotIndex) {
        const snapshot = raftLog.snapshot!;
        sentUpTo = snapshot.index;
        reply = await transport.installSnapshot(peer, { term, leader_id: selfId, cluster_id: clusterId, snapshot }, timing.snapshotTimeoutMs);
      } else {
        const prev = p.next - 1;
        const entries = raftLog.slice(p.next, MAX_BATCH);
        sentUpTo = prev + entries.length;
        const req: AppendRequest = { term, leader_id: selfId, prev_log_index: prev, prev_log_term: raftLog.termAt(prev) ?? 0, entries, leader_commit: commitIndex, cluster_id: clusterId };
        reply = await transport.appendEntries(peer, req, timing.rpcTimeoutMs);
      }
    } catch {
      return; // unreachable: the next heartbeat tries again
    }
    const current = this.host.now();
    if (reply.term > current.term) return this.host.sawTerm(reply.term);
    if (current.term !== term || !current.leading || this.progress.get(peer) !== p) return;
    p.lastContact = monotonicMs();
    if (reply.refused) return;
    if (reply.success) {
      p.match = Math.max(p.match, sentUpTo);
      p.next = p.match + 1;
      this.host.matched();
      if (p.next <= raftLog.lastIndex) p.again = true;
    } else {
      p.next = Math.max(1, Math.min(p.next - 1, reply.last_log_index + 1));
      p.again = true;
    }
  }
}
