// Waiting for a node to serve: poll GET /health until 200, the process exits, or
// the deadline passes. Polling, not sleeping a fixed time.

import { healthOk } from '../health.js';
import { InfraError } from '../../engine/errors.js';
import { PollTimeout, pollUntil } from '../../util/poll.js';

export async function pollHealthy(opts: {
  id: string;
  url: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Why the node can no longer come up (it exited), or undefined while it may. */
  dead?: () => string | undefined;
  describe: () => { tried: string; logTail: string };
}): Promise<void> {
  try {
    await pollUntil(async ({ remainingMs }) => {
      if (await healthOk(opts.url, Math.max(200, Math.min(1000, remainingMs)))) return true;
      const dead = opts.dead?.();
      if (dead) throw new InfraError(`node ${opts.id} exited before it became healthy (${dead})`, opts.describe());
      return false;
    }, { timeoutMs: opts.timeoutMs, intervalMs: 10, maxIntervalMs: 100, signal: opts.signal, describe: `node ${opts.id} to serve` });
  } catch (e) {
    if (!(e instanceof PollTimeout)) throw e;
    throw new InfraError(`node ${opts.id} did not answer GET ${opts.url}/health with 200 within ${Math.round(opts.timeoutMs)} ms`, opts.describe());
  }
}
