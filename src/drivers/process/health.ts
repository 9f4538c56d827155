// Waiting for a node to serve: poll GET /health until 200, the process exits, or
// the deadline passes. Polling, not sleeping a fixed time.

import { healthOk } from '../health.js';
import { InfraError, InterruptedError } from '../../engine/errors.js';

export async function pollHealthy(opts: {
  id: string;
  url: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Why the node can no longer come up (it exited), or undefined while it may. */
  dead?: () => string | undefined;
  describe: () => { tried: string; logTail: string };
}): Promise<void> {
  const deadline = performance.now() + opts.timeoutMs;
  let delay = 10;
  for (;;) {
    if (opts.signal?.aborted) throw new InterruptedError();
    if (await healthOk(opts.url, Math.max(200, Math.min(1000, deadline - performance.now())))) return;
    const dead = opts.dead?.();
    if (dead) {
      const d = opts.describe();
      throw new InfraError(`node ${opts.id} exited before it became healthy (${dead})`, d);
    }
    if (performance.now() >= deadline) {
      const d = opts.describe();
      throw new InfraError(`node ${opts.id} did not answer GET ${opts.url}/health with 200 within ${Math.round(opts.timeoutMs)} ms`, d);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(100, delay * 1.5);
  }
}
