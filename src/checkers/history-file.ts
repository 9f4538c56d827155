// Reads a saved run's history.jsonl (and its sidecars) back, streaming, and runs
// checkers per scenario: what `phantom-test check <run-dir>` does. A missing, truncated or
// corrupt file is a CheckInputError naming the file and line.

import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEntry } from '../engine/history.js';
import { CheckSession, type CheckResult, type Checker } from './checker.js';

export class CheckInputError extends Error {}

const TYPES = new Set(['invoke', 'ok', 'fail', 'info']);

/** One history line as an entry, its sidecar merged into its value. */
export function readEntry(line: string, where: string, dir: string): HistoryEntry {
  let e: HistoryEntry & { sidecar?: { file?: unknown } };
  try { e = JSON.parse(line) as typeof e; } catch {
    throw new CheckInputError(`${where}: not a JSON line (the file is corrupt): ${line.slice(0, 80)}`);
  }
  if (!e || typeof e.index !== 'number' || typeof e.time_ms !== 'number' || !TYPES.has(e.type) || typeof e.f !== 'string' || typeof e.scenario !== 'string') {
    throw new CheckInputError(`${where}: not a history operation (needs index, type invoke|ok|fail|info, f, scenario, time_ms)`);
  }
  if (e.sidecar) {
    const file = String(e.sidecar.file ?? '');
    const path = join(dir, file);
    if (!/^history\/[^/]+\.json$/.test(file) || !existsSync(path)) throw new CheckInputError(`${where}: its sidecar ${path} is missing`);
    let moved: unknown;
    try { moved = JSON.parse(readFileSync(path, 'utf8')); } catch (err) {
      throw new CheckInputError(`${path} (sidecar of ${where}) is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    e.value = { ...(e.value as object), ...(moved as object) };
    delete e.sidecar;
  }
  return e;
}

/** Streams a run folder's history into `take`, entry by entry, in order. */
export async function forEachEntry(dir: string, take: (e: HistoryEntry) => void): Promise<void> {
  if (!existsSync(dir)) throw new CheckInputError(`${dir}: no such run folder`);
  if (!statSync(dir).isDirectory()) throw new CheckInputError(`${dir}: not a folder (give the run folder, e.g. reports/latest)`);
  const path = join(dir, 'history.jsonl');
  if (!existsSync(path)) throw new CheckInputError(`${path} is missing: the checkers read the run's history`);
  let lineNo = 0;
  let rest = '';
  // Chunks split by hand: much faster than readline for millions of short lines.
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      lineNo++;
      const line = text.slice(from, nl);
      from = nl + 1;
      if (line) take(readEntry(line, `${path}:${lineNo}`, dir));
    }
    rest = text.slice(from);
  }
  if (rest) throw new CheckInputError(`${path}:${lineNo + 1}: truncated (the last line has no end: the run was cut off mid-write)`);
}

export interface ScenarioVerdict { scenario: string; checkers: string[]; results: CheckResult[]; operations: number }

/**
 * Runs the checkers each scenario asks for (`pick` returns them; [] skips the scenario),
 * one pass over the history, a session per scenario.
 */
export async function checkRun(dir: string, pick: (scenario: string) => Checker[]): Promise<ScenarioVerdict[]> {
  const sessions = new Map<string, { session: CheckSession | null; checkers: Checker[]; operations: number }>();
  await forEachEntry(dir, (e) => {
    let s = sessions.get(e.scenario);
    if (!s) {
      const checkers = pick(e.scenario);
      sessions.set(e.scenario, s = { session: checkers.length ? new CheckSession(checkers) : null, checkers, operations: 0 });
    }
    s.operations++;
    s.session?.add(e);
  });
  return [...sessions].map(([scenario, s]) => ({ scenario, checkers: s.checkers.map((c) => c.name), results: s.session?.end() ?? [], operations: s.operations }));
}
