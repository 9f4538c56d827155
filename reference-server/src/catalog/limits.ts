// Schema limits and name rules: what a table may hold so that every node's store can always
// apply it. They are checked before a write reaches the catalog or any WAL (write/schema-check)
// and again by the catalog leader before it commits a schema change (two writers racing past
// the first check); committed entries are never re-checked, so a catalog written under other
// limits still opens.
//
// Columns: InfluxDB 3 Core's default, 500 columns per table counting `time` (499 tags and
// fields). Core also caps tags at 250; that is not enforced here, as nothing in this server
// needs it and the line-protocol conformance corpus expects a 255-tag line to be accepted.
// The store keeps a tag in one SQLite column and a field in
// two (value and write version) beside 3 key columns, so the widest table needs
// 3 + 2 × 499 = 1001 SQLite columns: safely below SQLITE_MAX_COLUMN (2000), which also bounds
// the upsert statement, the query layer's SELECT lists and repair exports.
//
// Names: measurements, tag keys and field keys become SQL identifiers in the store and the
// query layer, and SQLite ends SQL text at a NUL byte, so none of them may contain one
// (InfluxDB 3 accepts them; a table or column with one could never be queried here). Tag
// values are bound as parameters and may. `time` is the timestamp column.
import type { ColumnSchema } from '../types.js';

/** User columns (tags + fields) per table; with `time` that makes InfluxDB 3 Core's 500. */
export const MAX_TABLE_COLUMNS = 499;

/** Why a table with `columns` (time included or not) is too wide, or undefined if it fits. */
export function tableLimitProblem(table: string, columns: readonly ColumnSchema[]): string | undefined {
  return columnLimitProblem(table, columns.filter((c) => c.kind !== 'time').length);
}

/** The same check from a count of tags + fields. */
export function columnLimitProblem(table: string, user: number): string | undefined {
  if (user <= MAX_TABLE_COLUMNS) return undefined;
  return `update to schema of table '${table}' would exceed number of columns per table limit of ${MAX_TABLE_COLUMNS} columns (${user} needed)`;
}

/** Why `name` cannot be a measurement, tag key or field key, or undefined. */
export function nameProblem(what: 'measurement' | 'tag key' | 'field key', name: string): string | undefined {
  if (name.includes('\u0000')) return `invalid ${what} ${JSON.stringify(name)}: NUL characters are not allowed`;
  return undefined;
}
