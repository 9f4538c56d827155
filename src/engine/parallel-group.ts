// What the branches of one parallel step tell each other: a branch is quiet once it will
// change nothing more (its steps ended, or its workload stopped starting operations). A
// workload's final phase waits for its sibling branches to be quiet, so a nemesis beside it
// has healed the cluster before the final reads. Every workload marks its own branch quiet
// before it waits, so two workloads side by side never wait for each other.

export class ParallelGroup {
  private readonly quiet: Array<{ done: boolean; promise: Promise<void>; resolve: () => void }>;

  constructor(branches: number) {
    this.quiet = Array.from({ length: branches }, () => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => { resolve = r; });
      const entry = { done: false, promise, resolve: () => { entry.done = true; resolve(); } };
      return entry;
    });
  }

  markQuiet(branch: number): void {
    this.quiet[branch]?.resolve();
  }

  /** Resolves when every branch but `branch` is quiet. */
  othersQuiet(branch: number): Promise<void> {
    return Promise.all(this.quiet.filter((_, i) => i !== branch).map((q) => q.promise)).then(() => undefined);
  }

  /** Branches other than `branch` still running, for progress lines. */
  busy(branch: number): number[] {
    return this.quiet.flatMap((q, i) => (i !== branch && !q.done ? [i] : []));
  }
}

/**
 * The parallel groups a step at `path` is inside, innermost first, with its branch in each:
 * step "3.1.0" is in branch 1 of the parallel step "3"; "3.1.2.0.0" also in branch 0 of "3.1.2".
 */
export function enclosingGroups(groups: ReadonlyMap<string, ParallelGroup>, path: string): Array<{ group: ParallelGroup; branch: number }> {
  const parts = path.split('.');
  const out: Array<{ group: ParallelGroup; branch: number }> = [];
  for (let i = 1; i < parts.length; i++) {
    const g = groups.get(parts.slice(0, i).join('.'));
    if (g) out.push({ group: g, branch: Number(parts[i]) });
  }
  return out.reverse();
}
