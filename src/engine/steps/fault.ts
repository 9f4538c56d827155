// fault: one fault kind of src/faults on its targets (nodes, links or groups;
// `random` from the seeded generator). The injection is one nemesis operation in the
// history (f: the kind, value: the targets), then the fault's witness must confirm
// it took effect within a bounded time, or the step is inconclusive. The nemesis step
// injects through the same path (injectFault), round after round.

import type { Driver } from '../../drivers/driver.js';
import { describeTarget, targetValue, type Target, type Witnessed } from '../../faults/fault.js';
import { FAULTS, faultKind } from '../../faults/index.js';
import type { FaultSpec } from '../../scenario/types.js';
import type { ActiveFault, ScenarioContext } from '../context.js';
import { InconclusiveError, UnsupportedError } from '../errors.js';
import type { StepImpl } from './step.js';

/** How long a witness may look for its proof. */
export const WITNESS_TIMEOUT_MS = 5000;

/** Why a driver cannot run this fault kind, or undefined when it can. */
export function unsupportedFault(kind: string, driver: Pick<Driver, 'name' | 'capabilities'>): string | undefined {
  const f = FAULTS[kind];
  if (!f || driver.capabilities.has(f.needs)) return undefined;
  return `fault "${kind}" needs the "${f.needs}" capability, which the ${driver.name} driver does not have`;
}

/**
 * Injects a resolved fault as one history operation, registers its teardown undo when
 * the fault needs one (the returned entry: remove it once undone), then asks its witness.
 */
export async function injectFault(ctx: ScenarioContext, path: string, kind: string, target: Target, signal: AbortSignal): Promise<{ seen: Witnessed; active?: ActiveFault }> {
  const f = FAULTS[kind]!;
  const value = targetValue(target);
  await ctx.history.op({ f: kind, node: null, step: path, value }, () => f.inject(ctx.driver, target), { onError: () => 'info', okValue: () => value });
  let active: ActiveFault | undefined;
  if (f.teardownUndo && f.undo) {
    active = { action: kind, target: describeTarget(target), undo: () => f.undo!(ctx.driver, target) };
    ctx.activeFaults.push(active);
  }
  const seen = await f.witness(target, { driver: ctx.driver, timeoutMs: WITNESS_TIMEOUT_MS, signal });
  return { seen, ...(active ? { active } : {}) };
}

export const fault: StepImpl<FaultSpec> = {
  verifies: false,
  label(s) {
    const kind = faultKind(s)!;
    return `${kind} ${FAULTS[kind]!.label(s[kind] as never)}`;
  },
  async run(s, { ctx, path, node: pick, signal }) {
    const kind = faultKind(s)!;
    const f = FAULTS[kind]!;
    const unsupported = unsupportedFault(kind, ctx.driver);
    if (unsupported) throw new UnsupportedError(unsupported);
    const target = f.targets(s[kind] as never, { driver: ctx.driver, pick: (ref, states, exclude) => pick(ref, states, exclude) });
    const { seen } = await injectFault(ctx, path, kind, target, signal);
    if (!seen.confirmed) throw new InconclusiveError(`fault not confirmed: ${kind} ${describeTarget(target)}: ${seen.reason}`);
    return { action: kind, target: targetValue(target), ...(target.kind === 'nodes' ? { nodes: target.nodes } : {}), witness: seen.evidence };
  },
};
