// The fault kinds by name: a scenario's `fault: {<name>: ...}`. A new kind is one
// file (see fault.ts) and one line here; the schema, lint, docs and the run's
// capability check all follow from this list (test/faults-registry.test.ts holds
// them to it).
import type { Fault } from './fault.js';
import { kill } from './kill.js';
import { pause } from './pause.js';
import { restart } from './restart.js';
import { resume } from './resume.js';
import { start } from './start.js';
import { stop } from './stop.js';
import { clock } from './clock.js';
import { disk_full } from './disk-full.js';
import { disk_free } from './disk-free.js';
import { partition } from './partition.js';
import { heal } from './heal.js';
import { latency } from './latency.js';
import { bandwidth } from './bandwidth.js';
import { reset_peer } from './reset-peer.js';

export const FAULTS: Readonly<Record<string, Fault<never>>> = {
  kill, stop, start, restart, pause, resume,
  clock, disk_full, disk_free,
  partition, heal, latency, bandwidth, reset_peer,
} as Record<string, Fault<never>>;

export type { Fault };

/** The fault kind a step's `fault:` value names (the schema and lint allow exactly one). */
export function faultKind(spec: Record<string, unknown>): string | undefined {
  return Object.keys(spec).find((k) => Object.hasOwn(FAULTS, k));
}
