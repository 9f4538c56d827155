// What the network faults (partition, heal, latency, bandwidth, reset_peer) share: the
// driver's link control, choosing links by node or by direction, and witnesses that dial
// the links themselves (a cut link refuses or hangs, a kept one answers, a slow one shows
// its delay in a timed round trip).

import { CLIENT, type Driver, type LinkControl } from '../drivers/driver.js';
import { InfraError } from '../engine/errors.js';
import { probeLink, timedRoundTrip, type ProbeResult } from '../net/fault-proxy.js';
import { PollTimeout, pollUntil } from '../util/poll.js';
import type { FaultLint, Link, TargetContext, WitnessContext, Witnessed } from './fault.js';

export const show = (l: Link): string => `${l.from}->${l.to}`;

/** The driver's links, or why there are none. */
export function linkControl(d: Driver): LinkControl {
  if (!d.links) throw new InfraError(`the ${d.name} driver routes no links for this cluster (network faults need its "network" capability)`);
  return d.links;
}

/** Throws (before anything changes) if any link is one the driver cannot fault. */
export function checkLinks(d: Driver, links: Link[]): LinkControl {
  const c = linkControl(d);
  const missing = links.map((l) => c.missing(l)).filter((m): m is string => m !== undefined);
  if (missing.length) throw new InfraError(`cannot fault these links: ${missing.join('; ')}`);
  return c;
}

/** The cluster's nodes (every declared one, started or not), sorted: what `halves` and `ring` split. */
export function clusterNodes(c: TargetContext): string[] {
  return c.driver.nodes().map((n) => n.id).sort();
}

/** A node reference in a network fault: a declared node, `client` (the runner) or, where allowed, `random`. */
export function lintEndpoint(l: FaultLint, path: Array<string | number>, ref: unknown, random = false): void {
  if (ref === CLIENT) return;
  l.node(path, ref, { random });
}

export const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** How a network fault chooses links: `node` (every link into and out of it) or `from`/`to`. */
export interface LinkSelector {
  node?: string | string[];
  /** With `node`: out (its calls), in (calls to it), both (default). */
  direction?: 'in' | 'out' | 'both';
  from?: string | string[];
  to?: string | string[];
}

export const selectorSchema = {
  node: { $ref: '#/definitions/nodeRefs', description: 'Every link between these nodes and the other nodes (not the client).' },
  direction: { enum: ['in', 'out', 'both'], description: 'With node: out (its calls to others), in (others\' calls to it), both (default).', default: 'both' },
  from: { $ref: '#/definitions/nodeRefs', description: 'With to: the links from each of these to each node of to (client: the runner).' },
  to: { $ref: '#/definitions/nodeRefs', description: 'With from: the nodes at the other end of the links.' },
};

export function lintSelector(s: LinkSelector, l: FaultLint): void {
  const hasNode = s.node !== undefined;
  const hasPair = s.from !== undefined || s.to !== undefined;
  if (hasNode === hasPair) l.report([], hasNode ? 'give node or from/to, not both' : 'say which links: node, or from and to');
  if (hasPair && (s.from === undefined || s.to === undefined)) l.report([], 'from and to go together');
  if (s.direction !== undefined && !hasNode) l.report(['direction'], 'direction goes with node (from/to already say it)');
  for (const k of ['node', 'from', 'to'] as const) {
    const v = s[k];
    if (Array.isArray(v)) v.forEach((r, i) => lintEndpoint(l, [k, i], r, k === 'node'));
    else if (v !== undefined) lintEndpoint(l, [k], v, k === 'node');
  }
}

export function selectLinks(s: LinkSelector, c: TargetContext): Link[] {
  const all = clusterNodes(c);
  if (s.node !== undefined) {
    const picked: string[] = [];
    for (const ref of list(s.node)) picked.push(ref === 'random' ? c.pick(ref, ['running'], picked) : c.pick(ref, [], []));
    const dir = s.direction ?? 'both';
    const out: Link[] = [];
    for (const n of picked) {
      for (const o of all.filter((x) => x !== n)) {
        if (dir !== 'in') out.push({ from: n, to: o });
        if (dir !== 'out') out.push({ from: o, to: n });
      }
    }
    return dedupe(out);
  }
  const out: Link[] = [];
  for (const from of list(s.from)) for (const to of list(s.to)) if (from !== to) out.push({ from, to });
  return dedupe(out);
}

export function dedupe(links: Link[]): Link[] {
  const seen = new Map(links.map((l) => [show(l), l]));
  return [...seen.values()];
}

/** Links that can be dialed now: the proxy exists and the node behind it serves. */
function dialableNow(d: Driver, l: Link): boolean {
  if (l.to === CLIENT || d.links?.missing(l) !== undefined) return false;
  const state = d.nodes().find((n) => n.id === l.to)?.state;
  return state === 'running' && (d.links?.probeable?.(l) ?? true);
}

/** What a client at the link's source sees: the driver's own probe, or a dial from the runner. */
function probe(c: LinkControl, link: Link, timeoutMs: number): Promise<ProbeResult> {
  return c.probe ? c.probe(link, timeoutMs) : probeLink(c.dialable(link), timeoutMs);
}

/** How long a probe waits before calling a link hung. */
const HANG_MS = 300;

/**
 * Polls until every `cut` link refuses or hangs and every `kept` link answers (links to
 * nodes that are not running, and x->client, are left out: nothing there to dial).
 */
export async function witnessCuts(cut: Link[], kept: Link[], w: WitnessContext): Promise<Witnessed> {
  const d = w.driver;
  const c = linkControl(d);
  const blind = [...cut, ...kept].map((l) => c.unwitnessable?.(l)).find((why) => why !== undefined);
  if (blind !== undefined) return { confirmed: false, reason: blind };
  const cutNow = cut.filter((l) => dialableNow(d, l));
  const keptNow = kept.filter((l) => dialableNow(d, l));
  let last: Array<{ link: Link; want: string; got: ProbeResult }> = [];
  try {
    await pollUntil(async () => {
      const probes = await Promise.all([
        ...cutNow.map(async (link) => ({ link, want: 'refuses or hangs', got: await probe(c, link, HANG_MS) })),
        ...keptNow.map(async (link) => ({ link, want: 'answers', got: await probe(c, link, 1000) })),
      ]);
      last = probes.filter((p) => (p.want === 'answers') !== (p.got === 'connects'));
      return last.length === 0;
    }, { timeoutMs: Math.max(w.timeoutMs, c.witnessTimeoutMs ?? 0), intervalMs: 20, maxIntervalMs: 200, signal: w.signal, describe: 'links to be cut and kept' });
  } catch (e) {
    if (!(e instanceof PollTimeout)) throw e;
    return { confirmed: false, reason: last.map((p) => `${show(p.link)} should be ${p.want === 'answers' ? 'answering' : 'cut'} but ${p.got}`).join('; ') };
  }
  const skipped = cut.length + kept.length - cutNow.length - keptNow.length;
  return { confirmed: true, evidence: `${cutNow.length} cut link(s) refuse or hang, ${keptNow.length} kept link(s) answer${skipped ? ` (${skipped} not dialable: to the client, to a node not running or from one whose side cannot be probed)` : ''}` };
}

/** Every other link among the nodes these links join: what a cut must leave working. */
export function keptAmong(d: Driver, cut: Link[]): Link[] {
  const nodes = [...new Set(cut.flatMap((l) => [l.from, l.to]))];
  const cutNames = new Set(cut.map(show));
  const out: Link[] = [];
  for (const from of nodes) for (const to of nodes) {
    const l = { from, to };
    if (from !== to && !cutNames.has(show(l)) && d.links?.missing(l) === undefined) out.push(l);
  }
  return out;
}

/** Polls until a round trip through each link takes at least `minMs` (a delay shows). */
export async function witnessDelay(links: Link[], minMs: number, w: WitnessContext): Promise<Witnessed> {
  const d = w.driver;
  const c = linkControl(d);
  const now = links.filter((l) => dialableNow(d, l));
  let seen: Array<{ link: Link; ms: number }> = [];
  try {
    await pollUntil(async ({ remainingMs }) => {
      seen = await Promise.all(now.map(async (link) => ({ link, ms: await timedRoundTrip(c.dialable(link), Math.max(remainingMs, minMs + 1000)).catch(() => -1) })));
      return seen.every((s) => s.ms >= minMs);
    }, { timeoutMs: w.timeoutMs, intervalMs: 20, maxIntervalMs: 200, signal: w.signal, describe: 'the delay to show' });
  } catch (e) {
    if (!(e instanceof PollTimeout)) throw e;
    return { confirmed: false, reason: seen.filter((s) => s.ms < minMs).map((s) => `${show(s.link)}: round trip ${s.ms < 0 ? 'failed' : `${s.ms.toFixed(1)} ms`}, expected at least ${minMs} ms`).join('; ') };
  }
  if (now.length === 0) return { confirmed: false, reason: 'no shaped link leads to a running node: nothing to time' };
  return { confirmed: true, evidence: `round trips ${seen.map((s) => `${show(s.link)} ${s.ms.toFixed(0)} ms`).join(', ')}` };
}

/** Polls until each link answers (after a heal or reset). */
export function witnessOpen(links: Link[], w: WitnessContext): Promise<Witnessed> {
  return witnessCuts([], links, w);
}
