// One workload operation against one node, recorded in the history with what the
// checkers need (docs/history.md): a write carries its point, a read its rows and the
// `read` marker. An operation never throws for what the node did (refused, timed out,
// 5xx): that is its outcome; only the step's own end (timeout, Ctrl-C) stops it.

import type { ScenarioContext } from '../context.js';
import type { HttpResult } from '../client.js';
import { pointToLine } from '../points.js';
import { parseJsonExact } from '../../verifiers/exact-json.js';
import type { Row } from '../../verifiers/rows.js';
import { readOf } from '../steps/query.js';
import { partialWrite, writeValue } from '../steps/write.js';
import type { Outcome } from './tally.js';

export interface Target {
  ctx: ScenarioContext;
  db: string;
  table: string;
  /** The tag the writes vary: the table's first shard key or tag, else `key`. */
  tag: string;
  fieldTypes: Record<string, string>;
  consistency?: string;
  local?: boolean;
  step: string;
  signal: AbortSignal;
  timeoutMs: number;
}

export interface OpResult {
  outcome: Outcome;
  ms: number;
  /** Rows a successful read returned. */
  rows?: Row[];
  error?: string;
}

/** Writes one point: `key` is the tag's value, `value` the integer field. */
export function writePoint(t: Target, node: string, key: string, time: bigint, value: number): Promise<OpResult> {
  const body = pointToLine({ table: t.table, tags: { [t.tag]: key }, fields: { value }, time: 0 }, time, t.fieldTypes);
  return perform(t, (outcome) => t.ctx.client.call({
    node, url: t.ctx.url(node), method: 'POST', path: '/api/v3/write_lp', f: 'write', step: t.step, signal: t.signal,
    query: { db: t.db, precision: 'ns', consistency: t.consistency },
    body, value: writeValue(t.ctx, t.db, body, 1, 'ns', t.consistency),
    record: (r) => partialWrite(r, undefined), timeoutMs: t.timeoutMs, outcome,
  }));
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads the whole table through `node`; `final` marks a read of the final phase. */
export async function readTable(t: Target, node: string, opts: { final?: boolean; local?: boolean } = {}): Promise<OpResult> {
  const sql = `SELECT * FROM ${PLAIN_NAME.test(t.table) ? t.table : `"${t.table.replace(/"/g, '""')}"`} ORDER BY time`;
  const read = readOf(t.ctx, t.db, sql)!;
  const local = opts.local ?? false;
  let rows: Row[] | undefined;
  const res = await perform(t, (outcome) => t.ctx.client.call({
    node, url: t.ctx.url(node), method: 'GET', path: '/api/v3/query_sql', f: 'query', step: t.step, signal: t.signal,
    query: { db: t.db, q: sql, format: 'json', local: local ? 'true' : undefined },
    value: { db: t.db, sql, ...(local ? { local: true } : {}), read: { ...read, ...(opts.final ? { final: true } : {}) } },
    record: (r) => {
      if (r.status !== 200) return undefined;
      rows = parseJsonExact(r.text || '[]') as Row[];
      return { value: { count: rows.length, rows } };
    },
    timeoutMs: t.timeoutMs, outcome,
  }));
  return { ...res, ...(rows ? { rows } : {}) };
}

/** Runs a call and reports its outcome as the history recorded it; rethrows only the step's end. */
async function perform(t: Target, call: (outcome: (o: Outcome) => void) => Promise<HttpResult>): Promise<OpResult> {
  let outcome: Outcome = 'info';
  const t0 = performance.now();
  try {
    const r = await call((o) => { outcome = o; });
    return { outcome, ms: performance.now() - t0, ...(r.status >= 400 ? { error: `status ${r.status}: ${r.text.slice(0, 200)}` } : {}) };
  } catch (e) {
    if (t.signal.aborted) throw e;
    return { outcome, ms: performance.now() - t0, error: e instanceof Error ? e.message : String(e) };
  }
}
