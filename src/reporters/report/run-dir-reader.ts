// Reads a run folder back (journal.json + history.jsonl) to regenerate report.html, also for
// runs made before the report existed. Anything missing or unreadable is a ReportInputError
// naming the file and what is wrong with it.

import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEntry } from '../../engine/history.js';
import { JOURNAL_FORMAT, JOURNAL_VERSION, type Journal } from '../journal.js';
import { RunColumnsBuilder, type ScenarioColumns } from './op-columns.js';

export class ReportInputError extends Error {}

export function readJournal(dir: string): Journal {
  if (!existsSync(dir)) throw new ReportInputError(`${dir}: no such run folder`);
  if (!statSync(dir).isDirectory()) throw new ReportInputError(`${dir}: not a folder (give the run folder, e.g. reports/latest)`);
  const path = join(dir, 'journal.json');
  if (!existsSync(path)) throw new ReportInputError(`${path} is missing: the report needs the run's journal (runs with --reporter without "json" write none)`);
  let doc: unknown;
  try { doc = JSON.parse(readFileSync(path, 'utf8')); } catch (e) {
    throw new ReportInputError(`${path} is not valid JSON (${e instanceof Error ? e.message : String(e)}): the run was cut off or the file was edited`);
  }
  const j = doc as Partial<Journal> | null;
  if (!j || typeof j !== 'object' || j.format !== JOURNAL_FORMAT) throw new ReportInputError(`${path}: not a phantom-test journal (format is not "${JOURNAL_FORMAT}")`);
  if (typeof j.version !== 'number' || j.version > JOURNAL_VERSION) throw new ReportInputError(`${path}: journal version ${String(j.version)} is newer than this phantom-test reads (${JOURNAL_VERSION}); use a newer phantom-test`);
  if (!Array.isArray(j.scenarios)) throw new ReportInputError(`${path}: "scenarios" is missing or not a list`);
  for (const [i, s] of j.scenarios.entries()) {
    if (!s || typeof s.name !== 'string' || !Array.isArray(s.steps) || !Array.isArray(s.setup)) throw new ReportInputError(`${path}: scenarios[${i}] lacks its name, setup or steps`);
    s.nodes ??= [];
  }
  return j as Journal;
}

/** Streams history.jsonl into columns; a line that is not an operation is an error naming it. */
export async function readHistoryColumns(dir: string): Promise<ScenarioColumns[]> {
  const path = join(dir, 'history.jsonl');
  if (!existsSync(path)) throw new ReportInputError(`${path} is missing: the report needs the run's history`);
  const builder = new RunColumnsBuilder();
  let lineNo = 0;
  let rest = '';
  const take = (line: string) => {
    lineNo++;
    if (!line) return;
    let e: HistoryEntry;
    try { e = JSON.parse(line) as HistoryEntry; } catch {
      throw new ReportInputError(`${path}:${lineNo}: not a JSON line: ${line.slice(0, 80)}`);
    }
    if (typeof e.index !== 'number' || typeof e.time_ms !== 'number' || typeof e.type !== 'string' || typeof e.f !== 'string') {
      throw new ReportInputError(`${path}:${lineNo}: not a history operation (needs index, type, f, time_ms)`);
    }
    builder.add(e);
  };
  // Chunks split by hand: much faster than readline for millions of short lines.
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      take(text.slice(from, nl));
      from = nl + 1;
    }
    rest = text.slice(from);
  }
  // A last line without its newline: the run was killed mid-write; keep what parses.
  if (rest) { try { take(rest); } catch { /* cut off */ } }
  return builder.scenarios.map((s) => s.finish());
}
