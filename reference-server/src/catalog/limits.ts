// Schema limits and name rules: what a table may hold so that every node's store can always
// apply it. They are checked before a write reaches the catalog or any WAL (write/schema-check)
// and again by the catalog leader before it commits a schema change (two writers racing past
// the first check); committed entries are never re-checked, so a catalog written under other
// limits still opens.
//
// Columns: InfluxDB 3 Core's defaults, 500 columns per table counting `time` (499 tags and
// fields) of which at most 250 tags. The store keeps a tag in one SQLite column and a field in
// two (value and write version) beside 3 key columns, so the widest table needs
// 3 + 2 × 499 = 1001 SQLite columns: safely below SQLITE_MAX_COLUMN (2000), which also bounds
// the upsert statement, the query layer's SELECT lists and repair exports.
//
// Names: the store's series identity joins measurement, tag keys and tag values with NUL
// bytes, so none of them (nor a field key) may contain one; `time` is the timestamp column.
import type { ColumnSchema } from '../types.js';

/** User columns (tags + fields) per table; with `time` that makes InfluxDB 3 Core's 500. */
export const MAX_TABLE_COLUMNS = 499;
export const MAX_TABLE_TAGS = 250;

/** Why a table with `columns` (time included or not) is too wide, or undefined if it fits. */
export function tableLimitProblem(table: string, columns: readonly ColumnSchema[]): string | undefined {
  let user = 0;
  let tags = 0;
  for (const c of columns) {
    if (c.kind === 'time') continue;
    user++;
    if (c.kind === 'tag') tags++;
  }
  return columnLimitProblem(table, user, tags);
}

/** The same check from counts: `user` tags + fields, of which `tags` tags. */
export function columnLimitProblem(table: string, user: number, tags: number): string | undefined {
  if (user > MAX_TABLE_COLUMNS) {
    return `update to schema of table '${table}' would exceed number of columns per table limit of ${MAX_TABLE_COLUMNS} columns (${user} needed)`;
  }
  if (tags > MAX_TABLE_TAGS) {
    return `update to schema of table '${table}' would exceed number of tag columns per table limit of ${MAX_TABLE_TAGS} tags (${tags} needed)`;
  }
  return undefined;
}

/** Why `name` cannot be a measurement, tag key, tag value or field key, or undefined. */
export function nameProblem(what: 'measurement' | 'tag key' | 'tag value' | 'field key', name: string): string | undefined {
  if (name.includes('\u0000')) return `invalid ${what} ${JSON.stringify(name)}: NUL characters are not allowed`;
  return undefined;
}
