// query: SQL through one node (or only its local data), with row expectations.

import type { QuerySpec, RowExpect } from '../../scenario/types.js';
import { VerificationError } from '../errors.js';
import type { ScenarioContext } from '../context.js';
import { pointToRow } from '../points.js';
import { parseCsv } from '../../verifiers/golden.js';
import { parseJsonExact } from '../../verifiers/exact-json.js';
import { checkRows, type Row, type RowChecks } from '../../verifiers/rows.js';
import type { StepImpl } from './step.js';
import { expectUnreachable } from './unreachable.js';

export interface QueryOutcome { node: string; status: number; rows: Row[]; count: number; body: string }

/** Runs one query; parses rows by format. Throws on a status other than `status`. */
export async function runQuery(ctx: ScenarioContext, s: QuerySpec, node: string, step: string, signal: AbortSignal): Promise<QueryOutcome> {
  const db = ctx.db(s.db);
  const format = s.format ?? 'json';
  const read = readOf(ctx, db, s.sql);
  const call = () => ctx.client.call({
    node, url: ctx.url(node), method: 'GET', path: '/api/v3/query_sql', f: 'query', step, signal,
    query: { db, q: s.sql, format, local: s.local ? 'true' : undefined },
    value: { db, sql: s.sql, ...(s.local ? { local: true } : {}), ...(read ? { read } : {}) },
    // Rows are kept only where a checker can tell which points they are.
    record: read ? (r) => {
      if (r.status !== 200) return undefined;
      const rows = rowsOf(r.text, format);
      return { value: { count: rows.length, rows } };
    } : undefined,
  });
  if (s.expect?.unreachable !== undefined) {
    const error = await expectUnreachable(`query via ${node}`, s.expect.unreachable, call, signal);
    return { node, status: 0, rows: [], count: 0, body: error };
  }
  const res = await call();
  const want = s.expect?.status ?? (s.expect?.error ? 400 : 200);
  if (res.status !== want) {
    throw new VerificationError(`query via ${node}: expected status ${want}, got ${res.status}: ${res.text.slice(0, 500)}`, { expected: want, actual: { status: res.status, body: res.json ?? res.text } });
  }
  if (s.expect?.error && !res.text.includes(s.expect.error)) {
    throw new VerificationError(`query via ${node}: the error does not mention "${s.expect.error}"`, { expected: s.expect.error, actual: res.text });
  }
  const rows = res.status < 300 ? rowsOf(res.text, format) : [];
  return { node, status: res.status, rows, count: rows.length, body: res.text };
}

/** Rows of an answer by format, parsed from the text: integers beyond 2^53 must stay exact. */
function rowsOf(text: string, format: string): Row[] {
  if (format === 'json') return parseJsonExact(text || '[]') as Row[];
  if (format === 'jsonl') return text.split('\n').filter((l) => l.trim()).map((l) => parseJsonExact(l) as Row);
  return parseCsv(text);
}

const SELECT_ALL = /^\s*select\s+\*\s+from\s+(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_]*))\s*(.*?);?\s*$/is;

/**
 * Which points a query reads, when its rows are whole points of one table (`SELECT * FROM t`):
 * complete when nothing but ORDER BY follows, so every point of the table must be in it.
 * Other SQL (projections, aggregates) is not something the checkers can read.
 */
export function readOf(ctx: ScenarioContext, db: string, sql: string): { table: string; complete: boolean; tags?: string[] } | undefined {
  const m = SELECT_ALL.exec(sql);
  if (!m) return undefined;
  const table = m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!;
  const rest = m[3]!.trim();
  const tags = ctx.tables.get(`${db}.${table}`)?.tags;
  return { table, complete: rest === '' || /^order\s+by\s+[^;]*$/i.test(rest), ...(tags ? { tags } : {}) };
}

/** Turns a RowExpect (point names, golden path) into plain row checks. */
export async function rowChecks(ctx: ScenarioContext, e: RowExpect | undefined): Promise<RowChecks> {
  if (!e) return {};
  const toRow = (r: Record<string, unknown> | string): Row => {
    if (typeof r !== 'string') return r;
    const p = ctx.point(r);
    return pointToRow(p, ctx.time(p.time));
  };
  const c: RowChecks = { ordered: e.ordered, count: e.count, columns: e.columns, tolerance: e.tolerance };
  if (e.rows) c.rows = e.rows.map(toRow);
  if (e.contains) c.contains = e.contains.map(toRow);
  if (e.excludes) c.excludes = e.excludes.map(toRow);
  if (e.golden) c.golden = { file: e.golden, rows: await ctx.golden(e.golden) };
  return c;
}

export const query: StepImpl<QuerySpec> = {
  verifies: true,
  label: (s) => `query${s.via ? ` via ${s.via}` : ''}${s.local ? ' (local)' : ''}: ${s.sql.length > 70 ? `${s.sql.slice(0, 67)}...` : s.sql}`,
  async run(s, { ctx, path, signal, node: pick }) {
    const node = pick(s.via);
    const out = await runQuery(ctx, s, node, path, signal);
    const checks = await rowChecks(ctx, s.expect);
    try {
      checkRows(out.rows, checks);
    } catch (e) {
      if (e instanceof VerificationError) e.message = `query via ${node}${s.local ? ' (local)' : ''}: ${e.message}`;
      throw e;
    }
    return { node, status: out.status, rows: out.rows, count: out.count };
  },
};
