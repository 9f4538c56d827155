// Raft's timeouts run on the monotonic clock: a wall clock stepped back (NTP, or a clock
// fault a scenario injects) must not silence a leader's heartbeats or stall an election.
import { performance } from 'node:perf_hooks';

export function monotonicMs(): number {
  return performance.now();
}
