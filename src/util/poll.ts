// The one poll-until-deadline loop (testcontainers' retryUntil): every wait in the
// runner (node health, exits, reaping, the catalog reaching every node, await,
// teardown) calls `check` until it reports done, never sleeping a fixed time. The
// interval grows from intervalMs to maxIntervalMs; the last sleep never overshoots
// the deadline, and an abort ends the wait at once.

import { InterruptedError } from '../engine/errors.js';
import { sleep } from '../engine/sleep.js';

export interface PollOptions {
  timeoutMs: number;
  /** First pause between checks (default 20 ms). */
  intervalMs?: number;
  /** Pauses grow by half each time up to this (default: intervalMs, no growth). */
  maxIntervalMs?: number;
  signal?: AbortSignal;
  /** What is awaited, for the timeout message ("node a to exit"). */
  describe?: string;
}

export interface PollAttempt {
  /** 1 for the first check. */
  n: number;
  /** Time left before the deadline (at least 1 ms): bound each check's own I/O by it. */
  remainingMs: number;
}

/** The deadline passed before `check` reported done. */
export class PollTimeout extends Error {
  constructor(readonly describe: string, readonly timeoutMs: number, readonly attempts: number) {
    super(`timed out after ${Math.round(timeoutMs)} ms (${attempts} checks) waiting for ${describe}`);
    this.name = 'PollTimeout';
  }
}

/**
 * Calls `check` until it returns something other than undefined or false, and returns
 * that. Throws PollTimeout at the deadline, InterruptedError (or the signal's reason)
 * on abort, and whatever `check` throws.
 */
export async function pollUntil<T>(check: (a: PollAttempt) => Promise<T | undefined | false> | T | undefined | false, o: PollOptions): Promise<T> {
  const deadline = performance.now() + o.timeoutMs;
  let interval = o.intervalMs ?? 20;
  const max = o.maxIntervalMs ?? interval;
  for (let n = 1; ; n++) {
    if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : new InterruptedError();
    const v = await check({ n, remainingMs: Math.max(1, deadline - performance.now()) });
    if (v !== undefined && v !== false) return v;
    const left = deadline - performance.now();
    if (left <= 0) throw new PollTimeout(o.describe ?? 'a condition', o.timeoutMs, n);
    await sleep(Math.min(interval, left), o.signal);
    interval = Math.min(max, interval * 1.5);
  }
}

/** Like pollUntil, but a timeout is an answer (false), not an error: for best-effort waits. */
export async function pollQuietly(check: () => boolean | Promise<boolean>, o: PollOptions): Promise<boolean> {
  try {
    return await pollUntil(async () => (await check()) || undefined, o);
  } catch (e) {
    if (e instanceof PollTimeout) return false;
    throw e;
  }
}
