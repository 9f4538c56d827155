// fault: a lifecycle fault on one or more nodes (named, or `random` from the seeded
// generator). Each injection is an operation in the history, like any other.

import { FAULTS } from '../../faults/index.js';
import { FAULT_ACTIONS, type FaultSpec } from '../../scenario/types.js';
import type { StepImpl } from './step.js';

export const fault: StepImpl<FaultSpec> = {
  verifies: false,
  label(s) {
    const a = FAULT_ACTIONS.find((x) => s[x] !== undefined)!;
    const t = s[a]!;
    return `${a} ${Array.isArray(t) ? t.join(', ') : t}`;
  },
  async run(s, { ctx, path, node: pick }) {
    const action = FAULT_ACTIONS.find((x) => s[x] !== undefined)!;
    const f = FAULTS[action];
    const refs = s[action]!;
    const targets: string[] = [];
    for (const ref of Array.isArray(refs) ? refs : [refs]) {
      // Picked one at a time so `[random, random]` hits two different nodes.
      const id = ref === 'random' ? pick(ref, f.eligible, targets) : pick(ref);
      targets.push(id);
    }
    await Promise.all(targets.map((node) => ctx.history.op({ f: action, node, step: path }, () => f.inject(ctx.driver, node), { onError: () => 'info' })));
    for (const node of targets) {
      if (f.teardownUndo && f.undo) ctx.activeFaults.push({ action, node, undo: () => f.undo!(ctx.driver, node) });
    }
    return { action, nodes: targets };
  },
};
