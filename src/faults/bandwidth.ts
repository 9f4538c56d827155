// bandwidth: caps the throughput of the chosen links (node, or from/to), both ways, at
// `bytes_per_second`. A later latency or bandwidth on a link replaces this one; heal removes
// it. Witness: each link to a running node still answers (a cap slows, never cuts), and
// the link reports the cap.

import type { Fault } from './fault.js';
import { checkLinks, linkControl, lintSelector, selectLinks, selectorSchema, show, witnessOpen, type LinkSelector } from './link-fault.js';

interface BandwidthSpec extends LinkSelector { bytes_per_second: number }

export const bandwidth: Fault<BandwidthSpec> = {
  name: 'bandwidth',
  summary: 'Caps the throughput of the chosen links (node, or from/to) at bytes_per_second, both ways; heal removes it.',
  needs: 'network',
  schema: {
    type: 'object', additionalProperties: false, required: ['bytes_per_second'],
    properties: { ...selectorSchema, bytes_per_second: { type: 'integer', minimum: 1, description: 'Bytes per second each way.' } },
  },
  lint: (s, l) => lintSelector(s, l),
  label: (s) => `${s.bytes_per_second} B/s on ${s.node !== undefined ? [s.node].flat().join(', ') : `${[s.from].flat().join(', ')} -> ${[s.to].flat().join(', ')}`}`,
  targets: (s, c) => ({ kind: 'links', links: selectLinks(s, c), effect: { shape: { bytesPerSecond: s.bytes_per_second } } }),
  async inject(d, t) {
    if (t.kind !== 'links' || !t.effect || !('shape' in t.effect)) return;
    await checkLinks(d, t.links).shape(t.links, { ...t.effect.shape, direction: 'both' });
  },
  async undo(d, t) {
    if (t.kind === 'links') await checkLinks(d, t.links).heal(t.links);
  },
  async witness(t, w) {
    const links = t.kind === 'links' ? t.links : [];
    const capped = new Set(linkControl(w.driver).faulted().filter((s) => s.upstream?.bytesPerSecond !== undefined).map((s) => show(s)));
    const uncapped = links.filter((l) => l.to !== 'client' && !capped.has(show(l)));
    if (uncapped.length) return { confirmed: false, reason: `no cap on ${uncapped.map(show).join(', ')}` };
    return witnessOpen(links, w);
  },
};
