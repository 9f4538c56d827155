// The faults a nemesis draws from its menu: for each kind, the fault-step value that
// aims it at the nodes a round chose (so the fault's own file resolves, injects and
// witnesses it), the node states it can act on, and the fault kind that undoes it when
// its hold ends (start after kill or stop, resume after pause, heal after a cut or a
// shape, the real clock after a skew, disk_free after disk_full). restart and reset_peer
// are over at once: nothing to undo.

import type { NodeState } from '../../drivers/driver.js';
import { REAL_CLOCK } from '../../drivers/process/clock.js';
import type { Target } from '../../faults/fault.js';
import type { NemesisFaultOptions } from '../../scenario/types.js';

/** Options every kind takes; the others belong to the kinds that list them. */
export const COMMON_OPTIONS = ['weight', 'targets'] as const;

export interface Undo {
  /** The fault kind whose inject and witness undo this one. */
  kind: string;
  /** The target the undo acts on, from the injected one. */
  target(t: Target): Target;
  /** Nodes still needing the undo (a node killed again, or already started, is left). */
  needs?: NodeState[];
}

export interface MenuKind {
  /** The fault-step value for these nodes, of the cluster's `all` (a fault of src/faults resolves it). */
  spec(nodes: string[], o: NemesisFaultOptions, all: string[]): unknown;
  /** States a targeted node must be in for the fault to act (links need none). */
  eligible?: NodeState[];
  undo?: Undo;
  /** Options of this kind beyond weight and targets. */
  options: Array<keyof NemesisFaultOptions>;
  /** Fewest nodes the cluster needs for this kind to mean anything. */
  minNodes?: number;
}

const nodes = (ns: string[]) => ns;
const start: Undo = { kind: 'start', target: (t) => t, needs: ['stopped'] };
const heal: Undo = { kind: 'heal', target: (t) => ({ kind: 'links', links: t.kind === 'links' ? t.links : [], effect: { heal: true } }) };

export const MENU: Readonly<Record<string, MenuKind>> = {
  kill: { spec: nodes, eligible: ['running', 'paused'], undo: start, options: [] },
  stop: { spec: nodes, eligible: ['running', 'paused'], undo: start, options: [] },
  restart: { spec: nodes, eligible: ['running'], options: [] },
  pause: { spec: nodes, eligible: ['running'], undo: { kind: 'resume', target: (t) => t, needs: ['paused'] }, options: [] },
  partition: {
    // isolate (default): the chosen nodes alone, the rest together; with every node
    // chosen, each is alone. halves, ring and bridge draw their own split.
    spec: (ns, o, all) => {
      const mode = o.mode ?? 'reject';
      const shape = o.shape ?? 'isolate';
      if (shape !== 'isolate') return { [shape]: true, mode };
      return ns.length >= all.length ? { groups: all.map((n) => [n]), mode } : { isolate: ns, mode };
    },
    undo: heal, options: ['mode', 'shape'], minNodes: 2,
  },
  latency: { spec: (ns, o) => ({ node: ns, delay: o.delay ?? '100ms', ...(o.jitter !== undefined ? { jitter: o.jitter } : {}) }), undo: heal, options: ['delay', 'jitter'], minNodes: 2 },
  bandwidth: { spec: (ns, o) => ({ node: ns, bytes_per_second: o.bytes_per_second ?? 10_000 }), undo: heal, options: ['bytes_per_second'], minNodes: 2 },
  reset_peer: { spec: (ns) => ({ node: ns }), options: [], minNodes: 2 },
  clock: {
    spec: (ns, o) => ({ node: ns, offset: o.offset ?? '+30s', ...(o.drift !== undefined ? { drift: o.drift } : {}) }),
    eligible: ['running'],
    undo: { kind: 'clock', target: (t) => ({ ...t, clock: REAL_CLOCK }) as unknown as Target, needs: ['running'] },
    options: ['offset', 'drift'],
  },
  disk_full: { spec: nodes, eligible: ['running'], undo: { kind: 'disk_free', target: (t) => t, needs: ['running'] }, options: [] },
};

/**
 * Membership operations on the menu: they act through the cluster plane (move-shard.ts), not
 * a fault of src/faults, and their targets come from the catalog when the round starts.
 * Their "undo" is awaiting their end, so a move still running is awaited before the next
 * round (heal_between) or at the end.
 */
export const MEMBERSHIP: Readonly<Record<string, { options: Array<keyof NemesisFaultOptions>; required: Array<keyof NemesisFaultOptions> }>> = {
  move_shard: { options: ['table', 'timeout'], required: ['table'] },
  rebalance: { options: ['timeout'], required: [] },
};

/** Every kind a menu may list. */
export const menuKinds = (): string[] => [...Object.keys(MENU), ...Object.keys(MEMBERSHIP)];

/** Fault kinds that only undo another: the nemesis runs them itself, they are not on a menu. */
export const UNDO_KINDS: Readonly<Record<string, string>> = {
  start: 'kill or stop', resume: 'pause', heal: 'partition, latency or bandwidth', disk_free: 'disk_full',
};

/** A menu entry as written: a kind, or {kind: options}. */
export function menuEntry(item: string | Record<string, NemesisFaultOptions>): { kind: string; options: NemesisFaultOptions } {
  if (typeof item === 'string') return { kind: item, options: {} };
  const [kind, options] = Object.entries(item)[0]!;
  return { kind, options: options ?? {} };
}
