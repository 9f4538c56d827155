// Reads a saved run's history back (history.bin where valid, else history.jsonl; sidecars), streaming, and runs
// checkers per scenario: what `phantom-test check <run-dir>` does. A missing, truncated or
// corrupt file is a CheckInputError naming the file and line (or byte offset).

import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEntry } from '../engine/history.js';
import { CheckSession, type CheckResult, type Checker } from './checker.js';
import { readBinHistory, type Covered } from './history-bin.js';
import { LineScanner, type CheckEntry } from './history-lines.js';
import { CheckInputError } from './input-error.js';
import { withSidecar } from './sidecar.js';

export { CheckInputError };
export { readJsonFile } from './sidecar.js';

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
    e.value = withSidecar(e.value, String(e.sidecar.file ?? ''), where, dir);
    delete e.sidecar;
  }
  return e;
}

const NEWLINE = 0x0a;

/**
 * Streams a run folder's history into `take`, entry by entry, in order: from history.bin
 * (the runner's compact copy) as far as it is valid for history.jsonl, the rest from the jsonl.
 */
export async function forEachEntry(dir: string, take: (e: CheckEntry) => void): Promise<void> {
  if (!existsSync(dir)) throw new CheckInputError(`${dir}: no such run folder`);
  if (!statSync(dir).isDirectory()) throw new CheckInputError(`${dir}: not a folder (give the run folder, e.g. reports/latest)`);
  const path = join(dir, 'history.jsonl');
  if (!existsSync(path)) throw new CheckInputError(`${path} is missing: the checkers read the run's history`);
  const covered = await readBinHistory(dir, path, take);
  await readJsonlFrom(dir, path, covered, take);
}

/** history.jsonl's lines after the first `skip.bytes` bytes (`skip.lines` lines), numbered as in the file. */
async function readJsonlFrom(dir: string, path: string, skip: Covered, take: (e: CheckEntry) => void): Promise<void> {
  const scanner = new LineScanner();
  const file = await open(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(1 << 22);
    let have = 0;
    let lineNo = skip.lines;
    let at = skip.bytes;
    for (;;) {
      if (have === buf.length) { const bigger = Buffer.allocUnsafe(buf.length * 2); buf.copy(bigger, 0, 0, have); buf = bigger; }
      const { bytesRead } = await file.read(buf, have, buf.length - have, at);
      if (bytesRead === 0) break;
      at += bytesRead;
      const end = have + bytesRead;
      let from = 0;
      // Lines read from the bytes: no decoding of whole chunks, no JSON.parse of what the scanner reads.
      for (let nl = buf.indexOf(NEWLINE, from); nl >= 0 && nl < end; nl = buf.indexOf(NEWLINE, from)) {
        lineNo++;
        if (nl > from) take(scanner.scan(buf, from, nl, path, lineNo) ?? readEntry(buf.toString('utf8', from, nl), `${path}:${lineNo}`, dir));
        from = nl + 1;
      }
      buf.copy(buf, 0, from, end);
      have = end - from;
    }
    if (have > 0) throw new CheckInputError(`${path}:${lineNo + 1}: truncated (the last line has no end: the run was cut off mid-write)`);
  } finally {
    await file.close();
  }
}

interface ScenarioSession { session: CheckSession | null; checkers: Checker[]; operations: number }

export interface ScenarioVerdict { scenario: string; checkers: string[]; results: CheckResult[]; operations: number }

/**
 * Runs the checkers each scenario asks for (`pick` returns them; [] skips the scenario),
 * one pass over the history, a session per scenario.
 */
export async function checkRun(dir: string, pick: (scenario: string) => Checker[]): Promise<ScenarioVerdict[]> {
  const sessions = new Map<string, ScenarioSession>();
  // The scenario of the line before: a run's lines come in long stretches of one scenario.
  let last: { scenario: string; s: ScenarioSession } | undefined;
  await forEachEntry(dir, (e) => {
    let s = last?.scenario === e.scenario ? last.s : sessions.get(e.scenario);
    if (!s) {
      const checkers = pick(e.scenario);
      sessions.set(e.scenario, s = { session: checkers.length ? new CheckSession(checkers) : null, checkers, operations: 0 });
    }
    if (last?.s !== s) last = { scenario: e.scenario, s };
    s.operations++;
    s.session?.add(e);
  });
  return [...sessions].map(([scenario, s]) => ({ scenario, checkers: s.checkers.map((c) => c.name), results: s.session?.end() ?? [], operations: s.operations }));
}
