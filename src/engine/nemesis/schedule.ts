// A nemesis schedule, drawn before the first round from the nemesis' own stream of the
// scenario's seeded generator: round after round a fault of the menu (by weight), its
// nodes (random: one; minority; majority; all, of the cluster, drawn from `nodes` when
// given), how long it is held and the pause after
// it, until the rounds fill `duration`. Drawn up front and from node ids alone, the same
// seed gives the same schedule whatever the cluster does meanwhile; a replay runs the
// recorded one instead (replay.ts).

import type { Driver } from '../../drivers/driver.js';
import type { Target } from '../../faults/fault.js';
import { FAULTS } from '../../faults/index.js';
import { durationMs, timerMs } from '../../scenario/duration.js';
import type { DurationRange, NemesisSpec, NemesisTargets } from '../../scenario/types.js';
import type { NemesisFaultOptions } from '../../scenario/types.js';
import type { Rng } from '../rng.js';
import { MEMBERSHIP, MENU, menuEntry } from './menu.js';
import { DEFAULT_MOVE_TIMEOUT, type ShardMove } from './move-shard.js';
import type { RebalancePlan } from './rebalance.js';

/** Targets read from the cluster when the round starts, not drawn up front. */
export type StateTarget = 'leader' | { primary: string };

export function isStateTarget(t: NemesisTargets | undefined): t is StateTarget {
  return t === 'leader' || (typeof t === 'object' && t !== null);
}

export function stateTargetLabel(t: StateTarget): string {
  return t === 'leader' ? 'the catalog leader' : `the primary of a shard of ${t.primary}`;
}

export const DEFAULT_INTERVAL = '5s';
/** More rounds than this is a typo in interval or duration, not a chaos run. */
export const MAX_ROUNDS = 10_000;

/** One round as drawn: when it starts (ms after the nemesis began), what, on which targets. */
export interface PlannedRound {
  round: number;
  at_ms: number;
  hold_ms: number;
  interval_ms: number;
  fault: string;
  /** The nodes drawn (empty for a partition shape that draws its own split). */
  nodes: string[];
  /** The fault's resolved target (what inject, witness and undo act on). */
  target: Target;
  /** Human form of the target. */
  targets: string;
  /** Planned only: the nodes are read from the cluster when the round starts (the executed round has them). */
  resolve?: StateTarget;
  /** Executed: what the round's nodes were read as (the leader, a primary). */
  resolved_from?: StateTarget;
  /** move_shard: the table (planned), then the move as made (executed: a replay makes it again). */
  move?: { table: string } | ShardMove;
  /** rebalance: empty (planned), then the node it evened the copies toward (executed). */
  rebalance?: Partial<RebalancePlan>;
  /** Executed: why a state-dependent round could not act (a replay records the same). */
  unresolved?: string;
}

/** The bounds of a fixed or ranged duration, in ms (lint has checked them). */
export function rangeMs(r: DurationRange | undefined, fallback: DurationRange): { min: number; max: number } {
  const v = r ?? fallback;
  if (typeof v === 'string') { const ms = durationMs(v, 0, 'interval'); return { min: ms, max: ms }; }
  return { min: durationMs(v.min, 0, 'interval'), max: durationMs(v.max, 0, 'interval') };
}

/** How many nodes a target choice takes of n (the state-dependent ones: one). */
export function targetCount(t: NemesisTargets, n: number): number {
  if (t === 'all') return n;
  if (t === 'majority') return Math.floor(n / 2) + 1;
  if (t === 'minority') return Math.max(1, Math.floor((n - 1) / 2));
  return 1;
}

/** The most rounds a spec can draw (every hold and interval at its minimum). */
export function maxRounds(spec: NemesisSpec): number {
  const hold = rangeMs(spec.hold, spec.interval ?? DEFAULT_INTERVAL);
  const interval = rangeMs(spec.interval, DEFAULT_INTERVAL);
  return Math.ceil(durationMs(spec.duration, 0) / (hold.min + interval.min));
}

/**
 * How long the step may run: its rounds, and per round the slowest inject and undo
 * (witnesses, a node start), on top of the scenario's step timeout.
 */
export function nemesisDeadlineMs(spec: NemesisSpec, defaultMs: number): number {
  // A move_shard round may await its migration up to its own timeout (plus the reads before it).
  const moves = spec.faults.map(menuEntry).filter((e) => MEMBERSHIP[e.kind]).map((e) => durationMs(e.options.timeout ?? DEFAULT_MOVE_TIMEOUT, 0) + 10_000);
  const perRound = Math.max(2 * (5_000 + 30_000), ...moves);
  const rounds = Math.min(maxRounds(spec), MAX_ROUNDS);
  return timerMs(durationMs(spec.duration, 0) + rangeMs(spec.hold, spec.interval ?? DEFAULT_INTERVAL).max + rounds * perRound + defaultMs);
}

function drawMs(rng: Rng, r: { min: number; max: number }): number {
  return Math.round(r.min + rng.float() * (r.max - r.min));
}

/** `count` distinct ids of `ids` (sorted first, so the seed decides, not the driver's order). */
function drawNodes(rng: Rng, ids: string[], count: number): string[] {
  const left = [...ids].sort();
  const out: string[] = [];
  while (out.length < count && left.length) out.push(left.splice(rng.int(left.length), 1)[0]!);
  return out.sort();
}

/** A fault kind aimed at `nodes` of `all`: the target it acts on and its human form. */
export function aim(kind: string, nodes: string[], options: NemesisFaultOptions, all: string[], driver: Driver, pick: (ref: string, states: string[], exclude: string[]) => string): { target: Target; targets: string } {
  const spec1 = MENU[kind]!.spec(nodes, options, all);
  return { target: FAULTS[kind]!.targets(spec1 as never, { driver, pick: pick as never }), targets: FAULTS[kind]!.label(spec1 as never) };
}

/** The whole schedule, from the spec, the cluster's node ids and the nemesis' generator. */
export function planSchedule(spec: NemesisSpec, nodeIds: string[], rng: Rng, driver: Driver): PlannedRound[] {
  const menu = spec.faults.map(menuEntry).map((e) => ({ ...e, weight: e.options.weight ?? 1 }));
  const total = menu.reduce((s, e) => s + e.weight, 0);
  const hold = rangeMs(spec.hold, spec.interval ?? DEFAULT_INTERVAL);
  const interval = rangeMs(spec.interval, DEFAULT_INTERVAL);
  const end = durationMs(spec.duration, 0);
  const all = [...nodeIds].sort();
  const pool = spec.nodes ? all.filter((n) => spec.nodes!.includes(n)) : all;
  const pick = (ref: string, states: string[], exclude: string[]) => {
    if (ref !== 'random') return ref;
    const candidates = driver.nodes().filter((n) => states.includes(n.state) && !exclude.includes(n.id)).map((n) => n.id).sort();
    return rng.pick(candidates);
  };
  const rounds: PlannedRound[] = [];
  for (let at = 0; at < end && rounds.length < MAX_ROUNDS;) {
    let x = rng.float() * total;
    const entry = menu.find((e) => (x -= e.weight) < 0) ?? menu[menu.length - 1]!;
    const t = entry.options.targets ?? spec.targets ?? 'random';
    const shaped = (entry.options.shape ?? 'isolate') !== 'isolate';
    // Membership kinds and state-dependent targets draw no nodes now: the round reads them.
    const later = MEMBERSHIP[entry.kind] !== undefined || (isStateTarget(t) && !shaped);
    const chosen = later ? [] : drawNodes(rng, pool, targetCount(t, all.length));
    const aimed = later ? { target: { kind: 'nodes', nodes: [] } as Target, targets: '' } : aim(entry.kind, chosen, entry.options, all, driver, pick);
    const round = { round: rounds.length + 1, at_ms: Math.round(at), hold_ms: drawMs(rng, hold), interval_ms: drawMs(rng, interval) };
    if (entry.kind === 'move_shard') {
      rounds.push({ ...round, fault: entry.kind, nodes: [], ...aimed, targets: `a copy of a shard of ${entry.options.table}`, move: { table: entry.options.table! } });
    } else if (entry.kind === 'rebalance') {
      rounds.push({ ...round, fault: entry.kind, nodes: [], ...aimed, targets: 'toward the least loaded Active node', rebalance: {} });
    } else if (later) {
      rounds.push({ ...round, fault: entry.kind, nodes: [], ...aimed, targets: stateTargetLabel(t as StateTarget), resolve: t as StateTarget });
    } else {
      rounds.push({ ...round, fault: entry.kind, nodes: shaped ? [] : chosen, ...aimed });
    }
    at += round.hold_ms + round.interval_ms;
  }
  return rounds;
}
