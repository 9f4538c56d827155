// The randomized election timeout (Raft paper, 5.2): a follower that hears from no leader for
// a random time in [min, max) campaigns. Random, so that two followers rarely time out together
// and split the vote.
import { monotonicMs } from './clock.js';

export class ElectionTimer {
  private deadline = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number,
  ) {
    this.reset();
  }

  reset(now = monotonicMs()): void {
    this.deadline = now + this.minMs + Math.floor(this.random() * (this.maxMs - this.minMs));
  }

  expired(now = monotonicMs()): boolean {
    return now >= this.deadline;
  }
}
