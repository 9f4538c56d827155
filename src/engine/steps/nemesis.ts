// nemesis: a seeded schedule of faults beside a workload (in `parallel`). Each round
// injects a fault of the menu on the nodes drawn for it, through the fault step's own
// path (history operation f=<kind>, teardown undo, witness), holds it, undoes it with
// the fault kind that undoes it (witnessed too), and pauses. At the end every fault
// still in force is undone, so the steps after it see a healthy cluster. The schedule
// as executed is the step's output (the journal) and one console line per round; a
// replay runs the recorded schedule instead of drawing one. A round aimed at the catalog
// leader or a shard's primary reads its node from the cluster when it starts, and a
// move_shard round draws its move from the catalog then (prepare.ts): the journal keeps
// the nodes and the move as made, which a replay makes again.

import { durationMs, formatMs } from '../../scenario/duration.js';
import type { NemesisSpec } from '../../scenario/types.js';
import type { Target } from '../../faults/fault.js';
import type { ActiveFault, ScenarioContext } from '../context.js';
import { InconclusiveError, InfraError, UnsupportedError, errorMessage } from '../errors.js';
import { sleep } from '../sleep.js';
import { MEMBERSHIP, MENU, menuEntry } from '../nemesis/menu.js';
import { DEFAULT_MOVE_TIMEOUT, moveOp, type ShardMove } from '../nemesis/move-shard.js';
import { rebalanceOp, type RebalancePlan } from '../nemesis/rebalance.js';
import { hasEnded, runTracked, type OpEnd, type Tracked } from '../nemesis/tracked-op.js';
import { prepareRound } from '../nemesis/prepare.js';
import { planSchedule, type PlannedRound } from '../nemesis/schedule.js';
import { injectFault, unsupportedFault } from './fault.js';
import type { StepImpl } from './step.js';

/** info: the round could not act (no leader reachable, a move refused): recorded, and the nemesis goes on. */
type Outcome = 'ok' | 'not confirmed' | 'skipped' | 'failed' | 'info';

/** A round as it ran: the plan, when it really started, and how inject and undo went. */
export interface ExecutedRound extends PlannedRound {
  started_ms: number;
  outcome: Outcome;
  /** The witness's evidence, or why the round was skipped, failed or not confirmed. */
  detail: string;
  undo?: { fault: string; at_ms: number; outcome: Outcome | 'not needed'; detail: string };
}

export interface NemesisOutput {
  /** Seed of the nemesis' own stream (derived from the scenario's seed and the step path). */
  seed: number;
  /** true when the rounds came from a recorded run (phantom-test replay), not drawn. */
  replayed: boolean;
  rounds: ExecutedRound[];
  /** Every fault was undone at the end. */
  healed: boolean;
}

/** A fault injected and not undone yet, or a membership operation not awaited yet. */
interface InForce { round: ExecutedRound; active?: ActiveFault; op?: { tracked: Tracked; ended: Promise<OpEnd | { refused: string }> } }

/** Its "undo": the operation reached an end state (whichever); past its timeout it is not confirmed. */
async function awaitOp(f: InForce, op: NonNullable<InForce['op']>, t0: number): Promise<void> {
  const end = await op.ended;
  const at = Math.round(performance.now() - t0);
  const fault = f.round.fault === 'move_shard' ? 'await_migration' : `await_${f.round.fault}`;
  if ('refused' in end) f.round.undo = { fault, at_ms: at, outcome: 'failed', detail: end.refused };
  else if (hasEnded(op.tracked, end)) f.round.undo = { fault, at_ms: at, outcome: 'ok', detail: `${end.id} ${end.state}${end.error ? `: ${end.error}` : ''}` };
  else f.round.undo = { fault, at_ms: at, outcome: 'not confirmed', detail: `${end.id} still ${end.state} when its timeout passed` };
}

const menuKinds = (s: NemesisSpec) => [...new Set(s.faults.map((f) => menuEntry(f).kind))];

/** Undoes one round's fault (when its kind has an undo) and records how that went. */
async function undo(ctx: ScenarioContext, path: string, f: InForce, t0: number, signal: AbortSignal): Promise<void> {
  if (f.op) return awaitOp(f, f.op, t0);
  const u = MENU[f.round.fault]!.undo;
  if (!u) return;
  let target: Target = u.target(f.round.target);
  if (u.needs && target.kind === 'nodes') target = { ...target, nodes: target.nodes.filter((n) => u.needs!.includes(ctx.driver.node(n).state)) };
  const at = Math.round(performance.now() - t0);
  if (target.kind === 'nodes' && target.nodes.length === 0) {
    f.round.undo = { fault: u.kind, at_ms: at, outcome: 'not needed', detail: 'no target node needs it any more' };
  } else {
    try {
      const { seen } = await injectFault(ctx, path, u.kind, target, signal);
      f.round.undo = { fault: u.kind, at_ms: at, outcome: seen.confirmed ? 'ok' : 'not confirmed', detail: seen.confirmed ? seen.evidence : seen.reason };
    } catch (e) {
      if (signal.aborted) throw e;
      f.round.undo = { fault: u.kind, at_ms: at, outcome: 'failed', detail: errorMessage(e) };
    }
  }
  const i = f.active ? ctx.activeFaults.indexOf(f.active) : -1;
  if (i >= 0) ctx.activeFaults.splice(i, 1);
}

/** Why a round cannot act on its nodes now (a node it needs running is down), or undefined. */
function ineligible(ctx: ScenarioContext, p: PlannedRound): string | undefined {
  const states = MENU[p.fault]?.eligible;
  if (!states || p.target.kind !== 'nodes') return undefined;
  const bad = p.target.nodes.filter((n) => !states.includes(ctx.driver.node(n).state));
  return bad.length ? `${bad.map((n) => `${n} is ${ctx.driver.node(n).state}`).join(', ')} (${p.fault} needs ${states.join(' or ')})` : undefined;
}

function line(path: string, r: ExecutedRound, of: number): string {
  const undone = !r.undo ? '' : r.undo.fault.startsWith('await_') ? `; ${r.undo.fault.slice(6)} ${r.undo.outcome === 'ok' ? r.undo.detail : `${r.undo.outcome}: ${r.undo.detail}`}`
    : `; ${r.undo.fault} ${r.undo.outcome}${r.undo.outcome === 'ok' ? '' : `: ${r.undo.detail}`}`;
  const what = r.outcome === 'ok' ? `held ${formatMs(r.hold_ms)}` : `${r.outcome}: ${r.detail}`;
  return `  nemesis ${path} round ${r.round}/${of} at ${formatMs(r.started_ms)}: ${r.fault} ${r.targets}, ${what}${undone}`;
}

export const nemesis: StepImpl<NemesisSpec> = {
  verifies: false,
  label: (s) => `nemesis of ${menuKinds(s).join(', ')} for ${s.duration}`,
  async run(spec, { ctx, path, signal, log }) {
    for (const kind of menuKinds(spec)) {
      const why = unsupportedFault(kind, ctx.driver);
      if (why) throw new UnsupportedError(why);
    }
    const rng = ctx.rng.derive(`nemesis ${path}`);
    const recorded = ctx.recordedSchedules.get(path);
    const known = new Set(ctx.driver.nodes().map((n) => n.id));
    for (const p of recorded ?? []) {
      const missing = (p.target.kind === 'nodes' ? p.target.nodes : p.target.kind === 'links' ? p.target.links.flatMap((l) => [l.from, l.to]) : p.target.groups.flatMap((g) => g.nodes)).filter((n) => n !== 'client' && !known.has(n));
      if (missing.length) throw new InfraError(`the recorded schedule's round ${p.round} targets ${missing.join(', ')}, which this cluster does not have`);
    }
    const started = ctx.driver.nodes().filter((n) => n.state !== 'pending').map((n) => n.id);
    const plan = recorded ?? planSchedule(spec, started, rng, ctx.driver);
    const healBetween = spec.heal_between ?? true;
    const out: NemesisOutput = { seed: rng.seed, replayed: recorded !== undefined, rounds: [], healed: false };
    const inForce: InForce[] = [];
    const t0 = performance.now();
    const until = (ms: number) => sleep(Math.max(0, t0 + ms - performance.now()), signal);
    let failure: unknown;
    try {
      for (const p of plan) {
        await until(p.at_ms);
        const round: ExecutedRound = { ...p, started_ms: Math.round(performance.now() - t0), outcome: 'ok', detail: '' };
        out.rounds.push(round);
        await prepareRound(ctx, spec, path, round, signal);
        const why = round.unresolved ?? ineligible(ctx, round);
        if (round.unresolved) {
          // Recorded as an info operation of its kind, naming why; the nemesis goes on.
          Object.assign(round, { outcome: 'info', detail: round.unresolved });
          await ctx.history.op({ f: p.fault, node: null, step: path, value: { targets: round.targets } }, () => Promise.reject(new Error(round.unresolved)), { onError: () => 'info' }).catch(() => undefined);
        } else if (why) {
          Object.assign(round, { outcome: 'skipped', detail: why });
        } else if (MEMBERSHIP[p.fault]) {
          const tracked = p.fault === 'move_shard' ? moveOp(round.move as ShardMove) : rebalanceOp(round.rebalance as RebalancePlan);
          const options = spec.faults.map(menuEntry).find((e) => e.kind === p.fault)?.options ?? {};
          const running = runTracked({ ctx, step: path, signal }, ctx.history, tracked, durationMs(options.timeout ?? DEFAULT_MOVE_TIMEOUT, 0));
          const a = await running.accepted;
          if ('refused' in a) Object.assign(round, { outcome: 'info', detail: a.refused });
          else {
            round.detail = `${a.id}: ${round.targets}`;
            inForce.push({ round, op: { tracked, ended: running.ended } });
          }
          if (healBetween) {
            await until(round.started_ms + p.hold_ms);
            for (const f of inForce.splice(0)) await undo(ctx, path, f, t0, signal);
          }
        } else {
          try {
            const { seen, active } = await injectFault(ctx, path, p.fault, round.target, signal);
            Object.assign(round, seen.confirmed ? { detail: seen.evidence } : { outcome: 'not confirmed', detail: seen.reason });
            inForce.push({ round, ...(active ? { active } : {}) });
          } catch (e) {
            if (signal.aborted) throw e;
            Object.assign(round, { outcome: 'failed', detail: errorMessage(e) });
            failure = e;
            // It may have acted on some of its targets: the undo below acts only where needed.
            inForce.push({ round });
          }
          if (healBetween && !failure) {
            // Held its full time even when the round started late (a slow node start before it).
            await until(round.started_ms + p.hold_ms);
            for (const f of inForce.splice(0)) await undo(ctx, path, f, t0, signal);
          }
        }
        log(line(path, round, plan.length));
        if (failure) break;
      }
      // Every fault still in force is undone (a failed round, or heal_between: false).
      for (const f of inForce.splice(0).reverse()) {
        await undo(ctx, path, f, t0, signal);
        if (!healBetween || failure) log(line(path, f.round, plan.length));
      }
      out.healed = out.rounds.every((r) => !r.undo || r.undo.outcome === 'ok' || r.undo.outcome === 'not needed');
      // The nemesis spans its duration: the last pause is quiet time for the workload too.
      if (!failure) await until(durationMs(spec.duration, 0));
    } catch (e) {
      // Aborted (Ctrl-C, the step's timeout, a crashed node): teardown undoes what must be.
      throw withOutput(e, out);
    }
    if (failure) throw withOutput(new InfraError(`nemesis round ${out.rounds.length} (${out.rounds.at(-1)!.fault} ${out.rounds.at(-1)!.targets}) failed: ${errorMessage(failure)}`), out);
    const unconfirmed = out.rounds.filter((r) => r.outcome === 'not confirmed' || r.undo?.outcome === 'not confirmed' || r.undo?.outcome === 'failed');
    if (unconfirmed.length) {
      const r = unconfirmed[0]!;
      const which = r.outcome === 'not confirmed' ? `${r.fault} ${r.targets}: ${r.detail}` : `${r.undo!.fault} ${r.targets} (undoing ${r.fault}): ${r.undo!.detail}`;
      throw withOutput(new InconclusiveError(`fault not confirmed: nemesis round ${r.round}, ${which}${unconfirmed.length > 1 ? ` (and ${unconfirmed.length - 1} more round(s))` : ''}`), out);
    }
    return out;
  },
};

/** The schedule so far goes into the journal even when the step fails (the executor reads stepOutput). */
function withOutput(e: unknown, out: NemesisOutput): unknown {
  if (e instanceof Error) Object.assign(e, { stepOutput: out });
  return e;
}
