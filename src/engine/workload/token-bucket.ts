// The workload's rate limit: a token bucket shared by every client. Tokens refill at
// `rate` per second up to `burst`; a client that finds none reserves the next one and
// sleeps until it is due, so the rate holds however many clients wait.

export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(private readonly rate: number, private readonly burst = 1) {
    this.tokens = burst;
  }

  /** Takes a token; returns how long (ms) to wait before using it (0: now). */
  take(now = performance.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.rate;
  }
}
