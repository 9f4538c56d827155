// partition: cut links so the cluster splits, Jepsen's grudges. The value says how:
//   [[a], [b, c]]             explicit groups: every link between different groups is cut
//                             (`others` in a group stands for every node not named elsewhere)
//   {isolate: a}              a alone, the rest together (a node list, or random)
//   halves                    a random minority and the majority (the run's seeded generator)
//   ring                      Jepsen's majorities ring: on a shuffled ring every node hears
//                             itself and the next ⌊n/2⌋ nodes, a majority, no two the same
//   bridge                    two halves, one node in the middle that hears both
//   {from: [a], to: [b, c]}   one way: a's calls to b and c are cut, theirs to a still pass
// `mode`: reject (default: connections are reset at once, so a coordinator's call to an
// unreachable replica fails fast) or drop (connections hang, like an iptables DROP, until the
// caller's own timeout). `client` is the runner: `[[client], [others]]` cuts the scenario off.

import type { NodeState } from '../drivers/driver.js';
import type { Fault, FaultLint, Link, TargetContext } from './fault.js';
import { linksBetween } from './fault.js';
import { checkLinks, clusterNodes, dedupe, keptAmong, lintEndpoint, list, witnessCuts } from './link-fault.js';

type Groups = string[][];
type Shape = 'halves' | 'ring' | 'bridge';
type PartitionSpec = Groups | Shape | {
  groups?: Groups; isolate?: string | string[]; halves?: true; ring?: true; bridge?: true;
  from?: string | string[]; to?: string | string[]; mode?: 'drop' | 'reject';
};

const OTHERS = 'others';
const SHAPES: Shape[] = ['halves', 'ring', 'bridge'];
const FORMS = ['groups', 'isolate', 'halves', 'ring', 'bridge', 'from'] as const;
const ANY_STATE: NodeState[] = ['pending', 'starting', 'running', 'paused', 'stopped'];

const groupsSchema = {
  type: 'array', minItems: 2,
  items: { type: 'array', minItems: 1, items: { $ref: '#/definitions/nodeRef' } },
  description: 'Groups of nodes; links between groups are cut. "others": every node not named elsewhere; "client": the runner.',
};

/** The value as one object, whatever form it was written in. */
function normal(v: PartitionSpec): Exclude<PartitionSpec, Groups | Shape> {
  if (Array.isArray(v)) return { groups: v };
  if (typeof v === 'string') return { [v]: true };
  return v;
}

function lintGroups(groups: Groups, l: FaultLint, at: Array<string | number>): void {
  const where = new Map<string, number>();
  let others = 0;
  groups.forEach((g, i) => g.forEach((ref, j) => {
    if (ref === OTHERS) { others++; return; }
    lintEndpoint(l, [...at, i, j], ref);
    const before = where.get(ref);
    if (before !== undefined) l.report([...at, i, j], before === i ? `node "${ref}" is twice in group ${i + 1}` : `node "${ref}" is in two groups (${before + 1} and ${i + 1}): groups must not overlap`);
    else where.set(ref, i);
  }));
  if (others > 1) l.report(at, `"${OTHERS}" may stand in one group only`);
  const left = l.nodeIds.filter((n) => !where.has(n));
  if (others === 0 && left.length) {
    l.report(at, `${left.map((n) => `"${n}"`).join(', ')} ${left.length > 1 ? 'are' : 'is'} in no group: name ${left.length > 1 ? 'them' : 'it'}, or put "${OTHERS}" in the group the rest joins`);
  }
}

function shuffled(c: TargetContext): string[] {
  const out: string[] = [];
  for (let i = clusterNodes(c).length; i > 0; i--) out.push(c.pick('random', ANY_STATE, out));
  return out;
}

/** Jepsen's majorities ring: node i hears i..i+⌊n/2⌋ around the ring; every other link into it is cut. */
function ringLinks(ring: string[]): Link[] {
  const n = ring.length;
  const hears = Math.floor(n / 2);
  const out: Link[] = [];
  ring.forEach((to, i) => {
    const heard = new Set(Array.from({ length: hears + 1 }, (_, k) => ring[(i + k) % n]));
    for (const from of ring) if (!heard.has(from)) out.push({ from, to });
  });
  return out;
}

function resolveGroups(groups: Groups, all: string[]): Groups {
  const named = new Set(groups.flat());
  return groups.map((g) => g.flatMap((r) => (r === OTHERS ? all.filter((n) => !named.has(n)) : [r])));
}

export const partition: Fault<PartitionSpec> = {
  name: 'partition',
  summary: 'Cuts links so the cluster splits: groups, isolate, halves, ring, bridge or one way (from/to); mode reject (default) or drop.',
  needs: 'network',
  schema: {
    anyOf: [
      groupsSchema,
      { enum: SHAPES },
      {
        type: 'object', additionalProperties: false, minProperties: 1,
        properties: {
          groups: groupsSchema,
          isolate: { $ref: '#/definitions/nodeRefs', description: 'These nodes alone, the rest together.' },
          halves: { const: true, description: 'A random minority and the majority (the seeded generator picks).' },
          ring: { const: true, description: "Jepsen's majorities ring: every node hears a majority, no two the same one." },
          bridge: { const: true, description: 'Two halves, and one node in the middle that hears both.' },
          from: { $ref: '#/definitions/nodeRefs', description: 'One way: calls from these nodes to those of to are cut.' },
          to: { $ref: '#/definitions/nodeRefs', description: 'With from: the nodes those calls go to.' },
          mode: { enum: ['reject', 'drop'], description: 'reject (default): connections reset at once; drop: they hang.', default: 'reject' },
        },
      },
    ],
  },
  lint(v, l) {
    const s = normal(v);
    const forms = FORMS.filter((k) => s[k] !== undefined);
    if (s.to !== undefined && s.from === undefined) l.report([], 'to needs from (a one-way cut)');
    if (forms.length !== 1) {
      l.report([], forms.length ? `one partition form per step, not ${forms.join(' and ')}` : `say how to split: ${FORMS.join(', ')}`);
      return;
    }
    if (s.groups) lintGroups(s.groups, l, Array.isArray(v) ? [] : ['groups']);
    if (s.isolate !== undefined) {
      const refs = list(s.isolate);
      refs.forEach((r, i) => lintEndpoint(l, Array.isArray(s.isolate) ? ['isolate', i] : ['isolate'], r, true));
    }
    if (s.from !== undefined) {
      if (s.to === undefined) l.report([], 'from needs to (a one-way cut)');
      for (const k of ['from', 'to'] as const) {
        const val = s[k];
        if (Array.isArray(val)) val.forEach((r, i) => lintEndpoint(l, [k, i], r));
        else lintEndpoint(l, [k], val);
      }
      const overlap = list(s.from).filter((n) => list(s.to).includes(n));
      if (overlap.length) l.report([], `${overlap.join(', ')} ${overlap.length > 1 ? 'are' : 'is'} in both from and to`);
    }
    if ((s.ring || s.bridge) && l.nodeIds.length < 3) l.report([], `${s.ring ? 'ring' : 'bridge'} needs at least 3 nodes`);
    if (s.halves && l.nodeIds.length < 2) l.report([], 'halves needs at least 2 nodes');
  },
  label(v) {
    const s = normal(v);
    const how = s.groups ? s.groups.map((g) => `[${g.join(', ')}]`).join(' ') : s.isolate !== undefined ? `isolate ${list(s.isolate).join(', ')}`
      : s.from !== undefined ? `${list(s.from).join(', ')} -/-> ${list(s.to).join(', ')}` : SHAPES.find((k) => s[k]) ?? '';
    return `${how}${s.mode ? ` (${s.mode})` : ''}`;
  },
  targets(v, c) {
    const s = normal(v);
    const all = clusterNodes(c);
    let links: Link[];
    if (s.groups) links = linksBetween(resolveGroups(s.groups, all));
    else if (s.isolate !== undefined) {
      const alone: string[] = [];
      for (const ref of list(s.isolate)) alone.push(ref === 'random' ? c.pick(ref, ['running'], alone) : ref);
      links = linksBetween([alone, all.filter((n) => !alone.includes(n))]);
    } else if (s.from !== undefined) links = linksBetween([list(s.from), list(s.to)]).filter((l) => list(s.from).includes(l.from));
    else {
      const order = shuffled(c);
      if (s.ring) links = ringLinks(order);
      else if (s.bridge) {
        const mid = Math.floor(order.length / 2);
        links = linksBetween([order.slice(0, mid), order.slice(mid + 1)]);
      } else links = linksBetween([order.slice(0, Math.floor(order.length / 2)), order.slice(Math.floor(order.length / 2))]);
    }
    return { kind: 'links', links: dedupe(links), effect: { cut: s.mode ?? 'reject' } };
  },
  async inject(d, t) {
    if (t.kind !== 'links') return;
    await checkLinks(d, t.links).cut(t.links, t.effect && 'cut' in t.effect ? t.effect.cut : 'reject');
  },
  async undo(d, t) {
    if (t.kind === 'links') await checkLinks(d, t.links).heal(t.links);
  },
  witness(t, w) {
    const cut = t.kind === 'links' ? t.links : [];
    return witnessCuts(cut, keptAmong(w.driver, cut), w);
  },
};

