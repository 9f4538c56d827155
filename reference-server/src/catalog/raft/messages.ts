// What Raft keeps and what its nodes say to each other (Raft paper, figure 2), plus what a node
// that has no log yet asks its peers (probe). Entries carry a catalog command, a new voter set
// (membership changes, one voter at a time), or nothing (the no-op a new leader commits first).
import type { CatalogCommand } from '../commands.js';
import type { CatalogState } from '../state.js';

export interface RaftEntry {
  index: number;
  term: number;
  command?: CatalogCommand;
  /** The voter set from this entry on (in force once appended, as in the Raft dissertation). */
  voters?: string[];
}

/** Everything applied up to `index`, replacing the log before it. */
export interface RaftSnapshot {
  index: number;
  term: number;
  voters: string[];
  state: CatalogState;
}

/** Term and vote: on disk before any answer that depends on them. */
export interface HardState {
  term: number;
  voted_for: string | null;
}

export interface VoteRequest {
  term: number;
  candidate_id: string;
  last_log_index: number;
  last_log_term: number;
  /** A pre-vote asks "would you vote for me?" without anyone changing term (no disruption). */
  pre_vote: boolean;
  cluster_id: string;
}

export interface VoteReply {
  term: number;
  granted: boolean;
}

export interface AppendRequest {
  term: number;
  leader_id: string;
  prev_log_index: number;
  prev_log_term: number;
  entries: RaftEntry[];
  leader_commit: number;
  cluster_id: string;
}

export interface AppendReply {
  term: number;
  success: boolean;
  /** The follower's last log index: where the leader retries from after a mismatch. */
  last_log_index: number;
  /** Set when the follower refused the leader for good (another cluster's catalog). */
  refused?: string;
}

export interface SnapshotRequest {
  term: number;
  leader_id: string;
  cluster_id: string;
  snapshot: RaftSnapshot;
}

/** What a node tells a peer that has no log yet: whether a cluster already exists. */
export interface RaftProbe {
  node_id: string;
  term: number;
  leader: string | null;
  last_log_index: number;
  commit_index: number;
  cluster_id: string;
  /** Nodes of its catalog: a starting node not among them is a joiner that waits to be added. */
  nodes: string[];
}

export type RaftRole = 'leader' | 'follower' | 'candidate' | 'learner';

/** GET /api/v3/cluster/raft. */
export interface RaftStatus {
  node_id: string;
  role: RaftRole;
  term: number;
  leader: string | null;
  commit_index: number;
  last_applied: number;
  voters: string[];
  members: Array<{ id: string; voter: boolean; match_index: number; next_index: number }>;
}
