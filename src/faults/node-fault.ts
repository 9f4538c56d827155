// The shape shared by faults on whole nodes (kill, stop, start, restart, pause,
// resume): the value is a node reference or a list of them, `random` picks among
// the nodes whose state the fault can act on, and inject, undo and the witness run
// on every targeted node at once.

import type { Capability, Driver, NodeInfo, NodeState } from '../drivers/driver.js';
import type { Fault, Target, WitnessContext, Witnessed } from './fault.js';

export type NodeRefs = string | string[];

export interface NodeFaultSpec {
  name: string;
  summary: string;
  /** States a node may be in to be targeted (what `random` picks among). */
  eligible: NodeState[];
  needs?: Capability;
  inject(d: Driver, node: string): Promise<void>;
  undo?(d: Driver, node: string): Promise<void>;
  teardownUndo?: boolean;
  witness(n: NodeInfo, w: WitnessContext): Promise<Witnessed>;
}

const refs = (v: NodeRefs) => (Array.isArray(v) ? v : [v]);
const nodesOf = (t: Target) => (t.kind === 'nodes' ? t.nodes : []);

export function nodeFault(o: NodeFaultSpec): Fault<NodeRefs> {
  return {
    name: o.name,
    summary: o.summary,
    needs: o.needs ?? 'processes',
    schema: { $ref: '#/definitions/nodeRefs' },
    label: (v) => refs(v).join(', '),
    lint(v, l) {
      if (Array.isArray(v)) v.forEach((r, i) => l.node([i], r));
      else l.node([], v);
    },
    targets(v, c) {
      const nodes: string[] = [];
      // Picked one at a time so `[random, random]` hits two different nodes.
      for (const ref of refs(v)) nodes.push(ref === 'random' ? c.pick(ref, o.eligible, nodes) : c.pick(ref, [], []));
      return { kind: 'nodes', nodes };
    },
    inject: async (d, t) => { await Promise.all(nodesOf(t).map((n) => o.inject(d, n))); },
    ...(o.undo ? { undo: async (d: Driver, t: Target) => { await Promise.all(nodesOf(t).map((n) => o.undo!(d, n))); } } : {}),
    ...(o.teardownUndo ? { teardownUndo: true } : {}),
    async witness(t, w) {
      const seen = await Promise.all(nodesOf(t).map((n) => o.witness(w.driver.node(n), w)));
      const missing = seen.filter((s): s is Extract<Witnessed, { confirmed: false }> => !s.confirmed);
      if (missing.length) return { confirmed: false, reason: missing.map((m) => m.reason).join('; ') };
      return { confirmed: true, evidence: seen.map((s, i) => `${nodesOf(t)[i]}: ${(s as { evidence: string }).evidence}`).join('; ') };
    },
  };
}
