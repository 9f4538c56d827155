// heal: removes every cut and shape (partition, latency, bandwidth) from every link, or
// from the links into and out of the given nodes. Witness: each healed link answers.

import type { Fault } from './fault.js';
import { checkLinks, lintEndpoint, linkControl, list, witnessOpen } from './link-fault.js';

type HealSpec = 'all' | string | string[];

export const heal: Fault<HealSpec> = {
  name: 'heal',
  summary: 'Removes every cut and shape from all links (all) or from the links of the given nodes.',
  needs: 'network',
  schema: { $ref: '#/definitions/nodeRefs' },
  lint(v, l) {
    if (v === 'all') return;
    list(v).forEach((r, i) => lintEndpoint(l, Array.isArray(v) ? [i] : [], r, true));
  },
  label: (v) => (v === 'all' ? 'all links' : list(v).join(', ')),
  targets(v, c) {
    const faulted = linkControl(c.driver).faulted().map((s) => ({ from: s.from, to: s.to }));
    if (v === 'all') return { kind: 'links', links: faulted, effect: { heal: true } };
    const nodes: string[] = [];
    for (const ref of list(v)) nodes.push(ref === 'random' ? c.pick(ref, ['running'], nodes) : ref);
    return { kind: 'links', links: faulted.filter((l) => nodes.includes(l.from) || nodes.includes(l.to)), effect: { heal: true } };
  },
  async inject(d, t) {
    if (t.kind === 'links') await checkLinks(d, t.links).heal(t.links);
  },
  witness(t, w) {
    return witnessOpen(t.kind === 'links' ? t.links : [], w);
  },
};
