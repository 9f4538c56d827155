// parallel: branches run at the same time; each branch runs its steps in order.
// A failing branch does not cancel the others (their history still tells a story);
// the step fails with the first failure.

import type { Step } from '../../scenario/types.js';
import { VerificationError } from '../errors.js';
import { ParallelGroup } from '../parallel-group.js';
import type { StepImpl } from './step.js';

export const parallel: StepImpl<Array<Step | Step[]>> = {
  verifies: false,
  render: false,
  label: (branches) => `parallel (${branches.length} branches)`,
  async run(branches, r) {
    // A workload's final phase waits until its sibling branches are quiet (parallel-group.ts).
    const group = new ParallelGroup(branches.length);
    r.ctx.parallelGroups.set(r.path, group);
    const results = await Promise.all(branches.map(async (b, i) => {
      const steps = Array.isArray(b) ? b : [b];
      const out = [];
      try {
        for (const [j, step] of steps.entries()) {
          const res = await r.runChild(step, `${r.path}.${i}.${j}`, r.depth + 1, [...r.docPath, 'parallel', i, ...(Array.isArray(b) ? [j] : [])]);
          out.push(res);
          if (res.status !== 'passed') break;
        }
      } finally {
        group.markQuiet(i);
      }
      return out;
    })).finally(() => r.ctx.parallelGroups.delete(r.path));
    r.children.push(...results.flat());
    const bad = results.flat().find((x) => x.status !== 'passed' && !(x.status === 'skipped' && !x.error));
    if (bad) {
      const err = new VerificationError(`branch step ${bad.path} (${bad.label}) ${bad.status}: ${bad.error?.message ?? ''}`, { diff: bad.error?.diff });
      (err as Error & { childType?: string }).childType = bad.error?.type;
      throw err;
    }
    return { branches: results.map((b) => b.map((x) => x.output)) };
  },
};
