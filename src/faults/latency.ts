// latency: delays the calls crossing the chosen links by `delay` ± `jitter` (each request's
// bytes wait before they go on; answers are not delayed again), so a round trip over a link
// takes `delay` longer. Links: `node` (every link into and out of it; `direction` in or out
// for one side) or `from`/`to`. A later latency or bandwidth on a link replaces this one;
// heal (or this step's undo) removes it. Witness: a round trip through each link to a
// running node takes at least delay - jitter.

import type { Fault, FaultLint } from './fault.js';
import { checkLinks, lintSelector, selectLinks, selectorSchema, witnessDelay, type LinkSelector } from './link-fault.js';
import { isDurationError, readDuration } from '../scenario/duration.js';

interface LatencySpec extends LinkSelector { delay: string; jitter?: string }

/** Milliseconds of a delay (validate has already checked it). */
const ms = (text: string | undefined): number => {
  if (text === undefined) return 0;
  const r = readDuration(text, 'pause');
  if (isDurationError(r)) throw new Error(r.error);
  return Number(r.ns) / 1e6;
};

/** Delays longer than this are a mistake, not a slow network (the proxy would hold bytes for minutes). */
const MAX_DELAY_MS = 60_000;

export function lintDelay(l: FaultLint, key: string, text: unknown): number | undefined {
  const r = readDuration(text, 'pause');
  if (isDurationError(r)) { l.report([key], r.error); return undefined; }
  const v = Number(r.ns) / 1e6;
  if (v > MAX_DELAY_MS) { l.report([key], `${JSON.stringify(text)} is too long for a link delay (at most 60s)`); return undefined; }
  return v;
}

export const latency: Fault<LatencySpec> = {
  name: 'latency',
  summary: 'Delays calls over the chosen links (node, or from/to) by delay ± jitter; heal removes it.',
  needs: 'network',
  schema: {
    type: 'object', additionalProperties: false, required: ['delay'],
    properties: {
      ...selectorSchema,
      delay: { $ref: '#/definitions/duration', description: 'Added to every call over the link (its request waits this long).' },
      jitter: { $ref: '#/definitions/duration', description: 'Each delay is delay ± up to jitter (never below zero).' },
    },
  },
  lint(s, l) {
    lintSelector(s, l);
    const delay = lintDelay(l, 'delay', s.delay);
    if (s.jitter !== undefined) {
      const jitter = lintDelay(l, 'jitter', s.jitter);
      if (delay !== undefined && jitter !== undefined && jitter > delay) l.report(['jitter'], `jitter ${s.jitter} is more than the delay ${s.delay}: a delay cannot go below zero`);
    }
  },
  label: (s) => `${s.delay}${s.jitter ? ` ± ${s.jitter}` : ''} on ${s.node !== undefined ? `${[s.node].flat().join(', ')}${s.direction && s.direction !== 'both' ? ` (${s.direction})` : ''}` : `${[s.from].flat().join(', ')} -> ${[s.to].flat().join(', ')}`}`,
  targets(s, c) {
    return { kind: 'links', links: selectLinks(s, c), effect: { shape: { latencyMs: ms(s.delay), jitterMs: ms(s.jitter) } } };
  },
  async inject(d, t) {
    if (t.kind !== 'links' || !t.effect || !('shape' in t.effect)) return;
    await checkLinks(d, t.links).shape(t.links, { ...t.effect.shape, direction: 'upstream' });
  },
  async undo(d, t) {
    if (t.kind === 'links') await checkLinks(d, t.links).heal(t.links);
  },
  witness(t, w) {
    if (t.kind !== 'links' || !t.effect || !('shape' in t.effect)) return Promise.resolve({ confirmed: false, reason: 'no links' });
    const { latencyMs = 0, jitterMs = 0 } = t.effect.shape;
    // Timers may fire a hair early against performance.now: 1 ms of slack.
    return witnessDelay(t.links, Math.max(0, latencyMs - jitterMs - 1), w);
  },
};

