// reset_peer: resets every live connection over the chosen links (node, or from/to) now,
// like a peer that crashed and came back; new connections work as before. Witness: each
// link to a running node answers a fresh connection afterwards.

import type { Fault } from './fault.js';
import { checkLinks, lintSelector, selectLinks, selectorSchema, witnessOpen, type LinkSelector } from './link-fault.js';

export const reset_peer: Fault<LinkSelector> = {
  name: 'reset_peer',
  summary: 'Resets every live connection over the chosen links (node, or from/to); new ones connect as before.',
  needs: 'network',
  schema: { type: 'object', additionalProperties: false, minProperties: 1, properties: { ...selectorSchema } },
  lint: (s, l) => lintSelector(s, l),
  label: (s) => (s.node !== undefined ? [s.node].flat().join(', ') : `${[s.from].flat().join(', ')} -> ${[s.to].flat().join(', ')}`),
  targets: (s, c) => ({ kind: 'links', links: selectLinks(s, c), effect: { reset: true } }),
  async inject(d, t) {
    if (t.kind === 'links') await checkLinks(d, t.links).resetPeer(t.links);
  },
  witness: (t, w) => witnessOpen(t.kind === 'links' ? t.links : [], w),
};
