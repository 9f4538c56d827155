// A fault, Toxiproxy style: one file owns everything about a fault kind: the JSON
// Schema of its value in a scenario, its lint, how its value resolves to a Target
// (nodes, directed links, or named groups; `random` through the seeded generator),
// inject, undo, the driver capability it needs, and a witness that proves it took
// effect. Adding a fault kind is one file plus one line in index.ts: the scenario
// schema's fault definition is assembled from these (faults/schema.ts).

import type { Capability, Driver, NodeState } from '../drivers/driver.js';
import type { JsonPath } from '../scenario/positions.js';

/** A directed link: traffic from `from` to `to` (a grudge, in Jepsen's words). */
export interface Link { from: string; to: string }

/** What a link fault does to its links (fixed when its targets resolve). */
export type LinkEffect =
  | { cut: 'drop' | 'reject' }
  | { shape: { latencyMs?: number; jitterMs?: number; bytesPerSecond?: number } }
  | { reset: true }
  | { heal: true };

/** What a fault acts on, resolved from its scenario value before it is injected. */
export type Target =
  | { kind: 'nodes'; nodes: string[] }
  | { kind: 'links'; links: Link[]; effect?: LinkEffect }
  | { kind: 'groups'; groups: Array<{ name: string; nodes: string[] }> };

/** What lint hands a fault to check its value with; paths are relative to that value. */
export interface FaultLint {
  report(path: JsonPath, message: string): void;
  /** An id the topology declares (with a "did you mean"), or `random` unless random is false. */
  node(path: JsonPath, ref: unknown, opts?: { random?: boolean }): void;
  nodeIds: readonly string[];
}

/** What target resolution may use: node references resolve like any step's. */
export interface TargetContext {
  /**
   * An id as given, or for `random` a seeded pick among nodes in one of `states`
   * other than `exclude` (so `[random, random]` names two nodes).
   */
  pick(ref: string, states: NodeState[], exclude: string[]): string;
  driver: Driver;
}

export interface WitnessContext {
  driver: Driver;
  /** How long the witness may look; it must give its verdict by then. */
  timeoutMs: number;
  signal: AbortSignal;
}

/** Proof the fault took effect, or why it could not be had. */
export type Witnessed = { confirmed: true; evidence: string } | { confirmed: false; reason: string };

export interface Fault<S = unknown> {
  name: string;
  /** One line: the schema's description and the docs' summary. */
  summary: string;
  /** The driver capability inject and undo use. */
  needs: Capability;
  /** JSON Schema of the value under `fault: {<name>: ...}`; may $ref the scenario schema's definitions. */
  schema: Record<string, unknown>;
  /** Checks the schema cannot express (unknown nodes, overlapping groups). */
  lint(spec: S, l: FaultLint): void;
  /** A short description of the value, for step labels. */
  label(spec: S): string;
  targets(spec: S, c: TargetContext): Target;
  inject(driver: Driver, target: Target): Promise<void>;
  undo?(driver: Driver, target: Target): Promise<void>;
  /** The engine undoes it before stopping the cluster (a paused node must be resumed). */
  teardownUndo?: boolean;
  witness(target: Target, w: WitnessContext): Promise<Witnessed>;
}

/** The target as it goes into the history (a nemesis operation's value) and reports. */
export function describeTarget(t: Target): string {
  if (t.kind === 'nodes') return t.nodes.join(', ');
  if (t.kind === 'links') return t.links.map((l) => `${l.from}->${l.to}`).join(', ');
  return t.groups.map((g) => `${g.name}: [${g.nodes.join(', ')}]`).join(' | ');
}

/** The value of a nemesis operation in history.jsonl: which nodes, links or groups. */
export function targetValue(t: Target): unknown {
  if (t.kind === 'nodes') return t.nodes;
  if (t.kind === 'links') return t.links.map((l) => [l.from, l.to]);
  return Object.fromEntries(t.groups.map((g) => [g.name, g.nodes]));
}

/** Every directed link between different groups: a complete grudge, for a partition. */
export function linksBetween(groups: string[][]): Link[] {
  const out: Link[] = [];
  for (const [i, a] of groups.entries()) {
    for (const [j, b] of groups.entries()) {
      if (i === j) continue;
      for (const from of a) for (const to of b) out.push({ from, to });
    }
  }
  return out;
}
