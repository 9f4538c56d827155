// Query result expectations: exact rows (ordered or not), contains, excludes,
// count, columns, golden files, float tolerance. A failure carries a diff.

import { VerificationError } from '../engine/errors.js';
import { lineDiff } from './diff.js';
import { rowMatches, rowsEqual, showRow, type CompareOptions } from './values.js';

export type Row = Record<string, unknown>;

export interface RowChecks {
  rows?: Row[];
  ordered?: boolean;
  contains?: Row[];
  excludes?: Row[];
  count?: number;
  columns?: string[];
  /** Rows loaded from a golden file, compared like `rows`. */
  golden?: { file: string; rows: Row[] };
  tolerance?: number;
}

export function checkRows(actual: Row[], c: RowChecks): void {
  const opts: CompareOptions = { tolerance: c.tolerance };
  if (c.count !== undefined && actual.length !== c.count) {
    throw new VerificationError(`expected ${c.count} row(s), got ${actual.length}`, {
      expected: c.count, actual: actual.length, diff: actual.length ? actual.slice(0, 20).map(showRow).join('\n') : undefined,
    });
  }
  if (c.columns) {
    const seen = columnsOf(actual);
    const missing = c.columns.filter((col) => !seen.includes(col));
    if (missing.length || (actual.length > 0 && seen.length !== c.columns.length)) {
      throw new VerificationError(`expected columns [${c.columns.join(', ')}], got [${seen.join(', ')}]`, { expected: c.columns, actual: seen });
    }
  }
  if (c.rows) compareExact(c.rows, actual, c.ordered ?? true, opts, 'the expected rows');
  if (c.golden) compareExact(c.golden.rows, actual, true, opts, `golden file ${c.golden.file}`);
  for (const want of c.contains ?? []) {
    if (!actual.some((r) => rowMatches(want, r, opts))) {
      throw new VerificationError(`no row matches ${showRow(want)}`, { expected: want, actual, diff: actual.slice(0, 20).map(showRow).join('\n') || '(no rows)' });
    }
  }
  for (const bad of c.excludes ?? []) {
    const hit = actual.find((r) => rowMatches(bad, r, opts));
    if (hit) throw new VerificationError(`a row matches ${showRow(bad)}, which must be absent: ${showRow(hit)}`, { expected: { absent: bad }, actual: hit });
  }
}

function compareExact(expected: Row[], actual: Row[], ordered: boolean, opts: CompareOptions, what: string): void {
  if (ordered) {
    const ok = expected.length === actual.length && expected.every((e, i) => rowsEqual(e, actual[i]!, opts));
    if (ok) return;
    const diff = lineDiff(expected.map(showRow), actual.map(showRow), (i, j) => rowsEqual(expected[i]!, actual[j]!, opts));
    throw new VerificationError(`rows differ from ${what} (${expected.length} expected, ${actual.length} returned)`, { expected, actual, diff });
  }
  const { missing, extra: left } = unmatchedRows(expected, actual, opts);
  if (missing.length === 0 && left.length === 0) return;
  const diff = ['--- expected (any order)', '+++ actual', ...missing.map((r) => `- ${showRow(r)}`), ...left.map((r) => `+ ${showRow(r)}`)].join('\n');
  throw new VerificationError(`rows differ from ${what}: ${missing.length} missing, ${left.length} unexpected`, { expected, actual, diff });
}

/** Matches each expected row to a distinct actual row, in any order: what is left on each side. */
export function unmatchedRows(expected: Row[], actual: Row[], opts: CompareOptions = {}): { missing: Row[]; extra: Row[] } {
  const extra = [...actual];
  const missing: Row[] = [];
  for (const e of expected) {
    const i = extra.findIndex((a) => rowsEqual(e, a, opts));
    if (i >= 0) extra.splice(i, 1);
    else missing.push(e);
  }
  return { missing, extra };
}

/** Whether two row sets are the same, in order or as multisets. */
export function sameRows(a: Row[], b: Row[], ordered: boolean, opts: CompareOptions = {}): boolean {
  if (a.length !== b.length) return false;
  if (ordered) return a.every((r, i) => rowsEqual(r, b[i]!, opts));
  const { missing, extra } = unmatchedRows(a, b, opts);
  return missing.length === 0 && extra.length === 0;
}

export function columnsOf(rows: Row[]): string[] {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return cols;
}
