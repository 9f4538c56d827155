// clock: skews the wall clock of running nodes (`offset: +30s`, `-2h`) or makes it drift
// (`drift: x1.5`: from now on it runs 1.5 times as fast), through the driver's `clock`
// capability (libfaketime on the process driver); `offset: 0` or the undo puts it back.
// Only the wall clock moves: timers keep real time. Witnessed: the node's HTTP Date
// header shows the skew.

import type { ClockSetting, Driver } from '../drivers/driver.js';
import { clockWitness, expectedOffsetMs, parseClockSpec, REAL_CLOCK } from '../drivers/process/clock.js';
import { InfraError } from '../engine/errors.js';
import type { Fault, Target } from './fault.js';
import type { NodeRefs } from './node-fault.js';

export interface ClockSpec {
  node: NodeRefs;
  offset?: string | number;
  drift?: string;
}

/** How far the Date header may be from the expected skew, beyond its one-second granularity. */
const TOLERANCE_MS = 500;

/** The nodes, and the clock to give them. */
type ClockTarget = Extract<Target, { kind: 'nodes' }> & { clock: ClockSetting };

const refs = (v: NodeRefs) => (Array.isArray(v) ? v : [v]);
const nodesOf = (t: Target) => (t.kind === 'nodes' ? t.nodes : []);
const specText = (s: ClockSpec) => [String(s.offset ?? 0), ...(s.drift !== undefined ? [s.drift] : [])].join(' ');

/** The setting a linted spec stands for. */
function settingOf(s: ClockSpec): ClockSetting {
  const r = parseClockSpec(specText(s));
  if (!r.ok) throw new Error(r.reason); // lint has rejected it already
  return r.setting;
}

async function set(d: Driver, nodes: string[], setting: ClockSetting): Promise<void> {
  if (!d.setClock) throw new InfraError(`the ${d.name} driver declares the clock capability but cannot set a clock`);
  await Promise.all(nodes.map((n) => d.setClock!(n, setting)));
}

export const clock: Fault<ClockSpec> = {
  name: 'clock',
  summary: "Skews a node's wall clock (offset: +30s, -2h; 0 puts it back) or makes it drift (drift: x1.5).",
  needs: 'clock',
  schema: {
    type: 'object',
    required: ['node'],
    additionalProperties: false,
    properties: {
      node: { $ref: '#/definitions/nodeRefs', description: 'The node(s) whose clock changes.' },
      // anyOf, not a union type: the schema compiles in ajv's strict mode (test/schema.test.ts).
      offset: { description: 'Ahead (+) or behind (-) real time: +30s, -2h, +250ms, 0.', anyOf: [{ type: 'string' }, { type: 'number' }], examples: ['+30s', '-2h', 0] },
      drift: { description: 'From now on the clock runs this many times as fast: x1.5, x0.5.', type: 'string' },
    },
  },
  lint(s, l) {
    if (s === null || typeof s !== 'object') return; // the schema says what is wrong
    if (Array.isArray(s.node)) s.node.forEach((r, i) => l.node(['node', i], r));
    else l.node(['node'], s.node);
    if (s.offset === undefined && s.drift === undefined) { l.report([], 'give an offset (+30s, -2h, or 0 to reset) or a drift (x1.5)'); return; }
    if (typeof s.offset === 'number' && s.offset !== 0) { l.report(['offset'], `offset ${s.offset} needs a sign and a unit: e.g. +${s.offset}s`); return; }
    const offset = parseClockSpec(String(s.offset ?? 0));
    if (!offset.ok) { l.report(['offset'], offset.reason); return; }
    if (s.drift !== undefined) {
      const drift = parseClockSpec(`0 ${s.drift}`);
      if (!drift.ok) l.report(['drift'], drift.reason);
    }
  },
  label: (s) => `${refs(s.node).join(', ')} ${specText(s)}`,
  targets(s, c) {
    const nodes: string[] = [];
    for (const ref of refs(s.node)) nodes.push(ref === 'random' ? c.pick(ref, ['running'], nodes) : c.pick(ref, [], []));
    // inject is handed only the target, so the setting travels with it.
    const target: ClockTarget = { kind: 'nodes', nodes, clock: settingOf(s) };
    return target;
  },
  inject: (d, t) => set(d, nodesOf(t), (t as Partial<ClockTarget>).clock ?? REAL_CLOCK),
  undo: (d, t) => set(d, nodesOf(t), REAL_CLOCK),
  async witness(t, w) {
    const seen = await Promise.all(nodesOf(t).map(async (id) => {
      const { setting, since } = w.driver.clockOf?.(id) ?? { setting: REAL_CLOCK, since: 0 };
      const r = await clockWitness(w.driver.node(id).url, (at) => expectedOffsetMs(setting, since, at), TOLERANCE_MS, { timeoutMs: w.timeoutMs, signal: w.signal });
      return { id, ...r };
    }));
    const missing = seen.filter((s) => !s.ok);
    if (missing.length) return { confirmed: false, reason: missing.map((m) => `${m.id}: ${m.message}`).join('; ') };
    return { confirmed: true, evidence: seen.map((s) => `${s.id}: ${s.message}`).join('; ') };
  },
};
