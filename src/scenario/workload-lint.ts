// What the schema cannot say about a workload step: its table must be declared (a
// workload against a table that does not exist writes nothing checkable), it must be
// bounded (duration, ops or both), weights go with mix, and the `value` field it
// writes must be a number the table can store.

import type { DurationUse } from './duration.js';
import type { JsonPath } from './positions.js';
import type { TableSpec, WorkloadSpec } from './types.js';

export interface WorkloadLintContext {
  report: (path: JsonPath, message: string) => void;
  checkNode: (path: JsonPath, ref: unknown, opts: { random?: boolean }) => void;
  checkDuration: (path: JsonPath, v: unknown, use: DurationUse) => bigint | undefined;
  checkTime: (path: JsonPath, expr: unknown) => bigint | undefined;
  needDb: (path: JsonPath, db: string | undefined) => void;
  tableKey: (db: string | undefined, table: string) => string | undefined;
  tables: Map<string, TableSpec>;
  hint: (word: string, known: string[]) => string;
}

/** Field types the workload's integer `value` can be written as. */
const NUMERIC = ['integer', 'float', 'uinteger'];

export function lintWorkload(w: WorkloadSpec, wp: JsonPath, c: WorkloadLintContext): void {
  c.needDb(wp, w.db);
  if (typeof w.table === 'string') {
    const key = c.tableKey(w.db, w.table);
    const t = key ? c.tables.get(key) : undefined;
    if (key && !t) {
      const known = [...c.tables.keys()].filter((k) => k.startsWith(`${key.split('.')[0]}.`)).map((k) => k.slice(k.indexOf('.') + 1));
      c.report([...wp, 'table'], `table "${key}" is not declared under databases${c.hint(w.table, known)}`);
    }
    const valueType = t?.fields?.value;
    if (valueType !== undefined && !NUMERIC.includes(valueType)) {
      c.report([...wp, 'table'], `the workload writes an integer field "value", but table "${key}" declares it ${valueType}`);
    }
  }
  if (w.duration === undefined && w.ops === undefined) c.report(wp, 'a workload needs an end: give "duration", "ops" or both');
  if (w.duration !== undefined) c.checkDuration([...wp, 'duration'], w.duration, 'timeout');
  if (w.op_timeout !== undefined) c.checkDuration([...wp, 'op_timeout'], w.op_timeout, 'timeout');
  if (w.final_timeout !== undefined) c.checkDuration([...wp, 'final_timeout'], w.final_timeout, 'timeout');
  if (w.start !== undefined) c.checkTime([...wp, 'start'], w.start);
  if (w.kind === 'mix') {
    const sum = Object.values(w.weights ?? {}).reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0);
    if (!w.weights) c.report(wp, 'kind mix needs "weights", e.g. {set: 3, read: 1}');
    else if (!(sum > 0)) c.report([...wp, 'weights'], 'at least one weight must be above 0');
  } else if (w.weights !== undefined) c.report([...wp, 'weights'], `weights apply to kind mix, not ${w.kind}`);
  const reads = w.kind === 'read' || (w.kind === 'mix' && (w.weights?.read ?? 0) > 0);
  if (w.local !== undefined && !reads) c.report([...wp, 'local'], `local applies to reads, and this ${w.kind} workload does none`);
  (w.nodes ?? []).forEach((n, i) => c.checkNode([...wp, 'nodes', i], n, { random: false }));
}
