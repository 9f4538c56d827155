// Witnesses for faults on whole nodes, each looking from outside (a fresh GET
// /health) within the witness's time: gone (nothing listens, its process is no
// more), serving (answers 200), frozen (the request hangs: SIGSTOP leaves the
// kernel accepting connections that nobody reads).

import type { NodeInfo } from '../drivers/driver.js';
import { PollTimeout, pollUntil } from '../util/poll.js';
import type { WitnessContext, Witnessed } from './fault.js';
import { probeHealth, showProbe, type Probe } from './probe.js';

/** How long one probe of a frozen node waits before calling it hung. */
const HANG_MS = 300;

async function watch(w: WitnessContext, what: string, seen: (p: Probe) => boolean, probeMs: number, url: string, extra: () => string | undefined = () => undefined): Promise<Witnessed> {
  let last: Probe | undefined;
  try {
    await pollUntil(async ({ remainingMs }) => {
      const waited = Math.min(probeMs, remainingMs);
      const p = await probeHealth(url, waited);
      // A probe the deadline cut short proves no hang: only one given its full time counts.
      if (p.kind === 'hung' && waited < probeMs) return false;
      last = p;
      return seen(p) && extra() === undefined;
    }, { timeoutMs: w.timeoutMs, intervalMs: 10, maxIntervalMs: 100, signal: w.signal, describe: what });
    return { confirmed: true, evidence: `GET /health ${showProbe(last!)}` };
  } catch (e) {
    if (!(e instanceof PollTimeout)) throw e;
    const more = extra();
    return { confirmed: false, reason: `${what}: within ${w.timeoutMs} ms GET /health still ${last ? showProbe(last) : 'not tried'}${more ? `, ${more}` : ''}` };
  }
}

export function witnessGone(n: NodeInfo, w: WitnessContext): Promise<Witnessed> {
  const alive = () => {
    if (n.pid === undefined) return undefined;
    try { process.kill(n.pid, 0); return `pid ${n.pid} still runs`; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM' ? `pid ${n.pid} still runs` : undefined; }
  };
  return watch(w, `node ${n.id} to be gone`, (p) => p.kind === 'refused', 1000, n.url, alive);
}

export function witnessServing(n: NodeInfo, w: WitnessContext): Promise<Witnessed> {
  return watch(w, `node ${n.id} to serve`, (p) => p.kind === 'answered' && p.status === 200, 1000, n.url);
}

export function witnessFrozen(n: NodeInfo, w: WitnessContext): Promise<Witnessed> {
  return watch(w, `node ${n.id} to stop answering`, (p) => p.kind === 'hung', HANG_MS, n.url);
}
