// Raft's clocks. A killed leader is noticed after one election timeout (500-1000 ms) and
// replaced after a vote round: well within the 3 s the failover bench checks. Not shorter: on
// a loaded machine a node's event loop stalls for several hundred ms (a big write, CPU
// starvation), and each stall of the leader longer than the timeout costs an election.
export interface RaftTiming {
  electionMinMs: number;
  electionMaxMs: number;
  heartbeatMs: number;
  /** How often the node checks its timers. */
  tickMs: number;
  /** Wait for one AppendEntries / RequestVote answer. */
  rpcTimeoutMs: number;
  /** Wait for a snapshot transfer. */
  snapshotTimeoutMs: number;
  /**
   * How long a catalog change waits for a leader (an election in progress) or for its commit,
   * before failing with 503: long enough to ride out an election, short enough that the
   * minority side of a partition answers within seconds.
   */
  leaderWaitMs: number;
  /** How long start() waits to know a leader before it gives up and serves 503s. */
  startWaitMs: number;
  /** Take a snapshot (and compact the log) once this many entries are applied past the last one. */
  snapshotEvery: number;
}

export const DEFAULT_TIMING: RaftTiming = {
  electionMinMs: 500,
  electionMaxMs: 1000,
  heartbeatMs: 100,
  tickMs: 20,
  rpcTimeoutMs: 1000,
  snapshotTimeoutMs: 5000,
  leaderWaitMs: 4000,
  startWaitMs: 10_000,
  snapshotEvery: 1000,
};
