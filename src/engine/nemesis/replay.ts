// What `phantom-test replay <run-dir>` needs from a recorded run's journal.json: the run's
// seed, driver and scenario files, each scenario's own seed, and the schedule every
// nemesis step executed (by step path), so the rerun makes the same random choices and
// runs the same rounds on the same targets instead of drawing them again.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlannedRound } from './schedule.js';

/** A run dir that cannot be replayed: the message names what is missing or broken. */
export class ReplayInputError extends Error {}

export interface ReplayScenario {
  seed: number;
  schedules: Map<string, PlannedRound[]>;
}

export interface RecordedRun {
  run_id: string;
  seed: number;
  driver: string;
  argv: string[];
  files: string[];
  /** By scenario file, as the journal names it. */
  scenarios: Map<string, ReplayScenario>;
}

interface JournalStep { path?: string; kind?: string; output?: { rounds?: unknown }; children?: JournalStep[] }

function schedulesOf(steps: JournalStep[], into: Map<string, PlannedRound[]>): void {
  for (const s of steps) {
    if (s.kind === 'nemesis' && typeof s.path === 'string' && Array.isArray(s.output?.rounds)) {
      into.set(s.path, (s.output.rounds as PlannedRound[]).map((r) => ({
        round: r.round, at_ms: r.at_ms, hold_ms: r.hold_ms, interval_ms: r.interval_ms, fault: r.fault, nodes: r.nodes, target: r.target, targets: r.targets,
        // State-dependent rounds replay what they read (the leader's node, the move made, or why they could not act).
        ...(r.resolve !== undefined ? { resolve: r.resolve } : {}),
        ...(r.resolved_from !== undefined ? { resolved_from: r.resolved_from } : {}),
        ...(r.move !== undefined ? { move: r.move } : {}),
        ...(r.rebalance !== undefined ? { rebalance: r.rebalance } : {}),
        ...(r.unresolved !== undefined ? { unresolved: r.unresolved } : {}),
      })));
    }
    schedulesOf(s.children ?? [], into);
  }
}

export function readRecordedRun(dir: string): RecordedRun {
  if (!existsSync(dir)) throw new ReplayInputError(`${dir}: no such run folder`);
  const path = join(dir, 'journal.json');
  if (!existsSync(path)) throw new ReplayInputError(`${path} is missing: replay needs the run's journal (run with the json reporter, the default)`);
  let j: Record<string, unknown>;
  try { j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>; } catch (e) {
    throw new ReplayInputError(`${path} is not valid JSON (${(e as Error).message})`);
  }
  const need = (key: string, ok: (v: unknown) => boolean, what: string) => {
    if (!ok(j[key])) throw new ReplayInputError(`${path}: "${key}" is missing or not ${what}`);
    return j[key];
  };
  const seed = need('seed', (v) => Number.isSafeInteger(v), 'an integer') as number;
  const driver = need('driver', (v) => typeof v === 'string', 'a string') as string;
  const files = need('files', (v) => Array.isArray(v) && v.length > 0 && v.every((f) => typeof f === 'string'), 'a list of scenario files') as string[];
  const argv = Array.isArray(j.argv) ? (j.argv as unknown[]).map(String) : [];
  const scenarios = new Map<string, ReplayScenario>();
  for (const s of (Array.isArray(j.scenarios) ? j.scenarios : []) as Array<{ file?: unknown; seed?: unknown; steps?: JournalStep[] }>) {
    if (typeof s.file !== 'string' || !Number.isSafeInteger(s.seed)) continue;
    const schedules = new Map<string, PlannedRound[]>();
    schedulesOf(s.steps ?? [], schedules);
    scenarios.set(s.file, { seed: s.seed as number, schedules });
  }
  return { run_id: String(j.run_id ?? ''), seed, driver, argv, files, scenarios };
}
