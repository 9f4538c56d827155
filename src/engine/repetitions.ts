// What a repeated run (--repeat, --seeds) says per scenario: how many repetitions ran,
// which seeds did not pass, and the command that replays each of them.

import { relative } from 'node:path';
import type { TestResult } from './events.js';

export interface RepetitionSummary {
  file: string;
  /** The scenario's name without the seed (matrix values stay: each combination is its own scenario). */
  name: string;
  runs: number;
  failed: number;
  /** failed / runs, 0..1 (skipped repetitions count as runs that did not fail). */
  failure_rate: number;
  failed_seeds: number[];
  /** One command per failed seed. */
  replay: string[];
}

/** `phantom-test run <file> --seed <s>`: the file as the run named it, so the scenario seed derives the same. */
export function replayCommand(file: string, seed: number, driver = 'process'): string {
  const path = relative(process.cwd(), file) || file;
  const quoted = /^[A-Za-z0-9_./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
  return `phantom-test run ${quoted} --seed ${seed}${driver === 'process' ? '' : ` --driver ${driver}`}`;
}

const notPassed = (t: TestResult) => t.verdict !== 'passed' && t.verdict !== 'skipped';

/** Per scenario, in run order; empty when the run did not repeat. */
export function summarizeRepetitions(tests: TestResult[], driver: string): RepetitionSummary[] {
  const groups = new Map<string, { file: string; name: string; tests: TestResult[] }>();
  for (const t of tests) {
    if (t.info.run_seed === undefined) continue;
    const name = t.info.base_name ?? t.info.name;
    const key = `${t.info.file}\0${name}`;
    const g = groups.get(key) ?? groups.set(key, { file: t.info.file, name, tests: [] }).get(key)!;
    g.tests.push(t);
  }
  return [...groups.values()].map((g) => {
    const failedSeeds = g.tests.filter(notPassed).map((t) => t.info.run_seed!);
    return {
      file: g.file, name: g.name, runs: g.tests.length, failed: failedSeeds.length,
      failure_rate: g.tests.length ? failedSeeds.length / g.tests.length : 0,
      failed_seeds: failedSeeds, replay: failedSeeds.map((s) => replayCommand(g.file, s, driver)),
    };
  });
}
