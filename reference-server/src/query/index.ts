// SQL layer of the reference server: planning, pushdown, node-side scans, the final stage and
// output formatting.
//
// Flow on the coordinator:
//   const plan = planQuery(sql, db, catalogView, nowNs);        // throws QueryError
//   for (const scan of plan.scans) {
//     // prune shards with scan.pruning (skip all when scan.pruning.empty), then on one live owner
//     // per shard: runScan(sqlite, storage.sourceSelect(...), scan) -> ScanResult
//     // (remote nodes: encodeScanResult / decodeScanResult around the wire)
//   }
//   const result = executeFinal(plan, new Map([[scan.relation, [resultNode1, resultNode2, ...]], ...]));
//   const { contentType, body } = formatResult(result, 'json' | 'jsonl' | 'csv' | 'pretty');
//
// Exported API:
//   class QueryError extends Error { status: number }       400 bad SQL / unknown table or column /
//                                                            unsupported; 404 `database not found: <db>`
//   interface CatalogView { databaseExists(db); tableColumns(db, table): ColumnSchema[] | undefined;
//                           tableNames(db): string[]; shardKeys(db, table): string[] }
//   interface TablePruning { timeMin?: bigint (inclusive); timeMax?: bigint (exclusive);
//                            tagEquals: Record<tag, values[]>; empty?: boolean }
//   interface TableScan { db; table; relation; pruning; scanSql; columns: string[]; mode: 'raw'|'partial'|'distinct' }
//   interface QueryPlan { scans: TableScan[]; finalSql; columns: string[]; types: SqlType[]; now: bigint }
//   planQuery(sql, db, catalog, now: bigint, opts?: { pushdown?: boolean }): QueryPlan
//   interface ScanResult { columns: string[]; rows: unknown[][] }   values null|number|bigint|string
//   runScan(sqlite, sourceSelect, scan): ScanResult          runs `WITH "<relation>" AS (<sourceSelect>) <scanSql>`,
//                                                            refuses statements that are not read-only
//   encodeScanResult(r): unknown / decodeScanResult(j): ScanResult   JSON-safe; bigints as {"$n":"digits"}
//                                                            (same convention as util/json, either side may convert)
//   interface QueryResult { columns: string[]; types: SqlType[]; rows: unknown[][] }
//   executeFinal(plan, inputs: Map<relation, ScanResult[]>): QueryResult   in-memory SQLite; a relation
//                                                            missing from `inputs` is empty
//   formatResult(r, 'json'|'jsonl'|'csv'|'pretty'): { contentType; body }
//   registerSqlFunctions(sqlite, now): void                  user functions (idempotent per connection;
//                                                            runScan and executeFinal call it themselves)
//
// SQL dialect: InfluxDB 3 / DataFusion (PostgreSQL-like), parsed with node-sql-parser's
// 'postgresql' grammar, bound to an IR (binder.ts -> ir.ts), planned (planner.ts) and printed as
// SQLite SQL (sqlgen.ts); user functions in functions.ts, time handling in time.ts. Summary:
// - SELECT [DISTINCT] with expressions and aliases, *, t.*, WHERE (AND/OR/NOT, comparisons, IN
//   lists and subqueries, BETWEEN, LIKE/ILIKE, ~ regex, IS [NOT] NULL/TRUE/FALSE), GROUP BY
//   (expressions, positions, output aliases), HAVING, ORDER BY (NULLS FIRST/LAST, PostgreSQL
//   defaults), LIMIT/OFFSET, INNER/LEFT/RIGHT/FULL/CROSS joins (ON, USING), derived tables,
//   scalar/IN/EXISTS subqueries (correlated too), WITH (non-recursive), UNION [ALL]/EXCEPT/INTERSECT,
//   CASE, CAST/::.
// - Tables: `t` / `iox.t` / `public.iox.t` = default database; `db1.t` = table t of database db1
//   (404 if db1 does not exist); information_schema.tables/columns/views/schemata/df_settings.
//   SHOW TABLES, SHOW COLUMNS FROM|IN t (answered from the CatalogView, no scan). `SELECT *` and
//   SHOW COLUMNS list columns in CatalogView.tableColumns order.
// - Unquoted identifiers are matched lower-cased first (DataFusion), then as written, then
//   case-insensitively if unique. Double-quoted identifiers match exactly.
// - Time: strings compared with timestamps are parsed as RFC3339 ('2024-01-01T00:00:00Z',
//   fractions, offsets, '2024-01-01 00:00:00', '2024-01-01'; no zone = UTC); integers are ns;
//   now(), INTERVAL '…' arithmetic (months/years via calendar arithmetic), TIMESTAMP '…',
//   to_timestamp[_seconds|_millis|_micros|_nanos], from_unixtime, to_unixtime, date_bin(interval,
//   ts[, origin]), date_trunc(unit, ts), date_part/EXTRACT. Constant time expressions are folded
//   to ns integers at plan time.
// - Aggregates: count(*), count(x), count(DISTINCT x), sum, min, max, avg/mean, stddev[_samp|_pop],
//   var[_samp|_pop]/variance, median, approx_median, approx_distinct (exact), bool_and, bool_or,
//   FILTER (WHERE …). Scalar functions: see functions.ts (math, string, regexp, coalesce, …).
// - Rejected with 400 "unsupported SQL: …": window functions, selector_*/first_value/last_value,
//   query parameters, AT TIME ZONE, NATURAL JOIN, recursive CTEs, non-SELECT statements, several
//   statements, EXPLAIN, SHOW other than TABLES/COLUMNS, system tables, DATE casts, arrays.
//
// Distribution: per table reference the WHERE conjuncts (and ON conjuncts of inner joins / the
// null-supplied side of outer joins) that refer only to it are pushed into its scan and removed
// from the final SQL; scans project only referenced columns. A single-table SELECT whose WHERE is
// fully pushed also gets: partial aggregation (count/sum/min/max/avg/bool_and/bool_or without
// DISTINCT: nodes return partial groups, the final stage combines them), de-duplicated partials
// (DISTINCT aggregates with min/max), per-node DISTINCT, or per-node top-N for ORDER BY … LIMIT.
//
// Output naming (DataFusion style): bare column names; aggregates and functions as
// `name(arg,…)` with arguments qualified by the table name or alias (`count(*)`,
// `avg(cpu.usage)`, `count(DISTINCT cpu.host)`); literals as Int64(1)/Float64(1.5)/Utf8("x");
// other expressions a best-effort rendering. Aliases always win.
//
// Errors: parse errors 400 `SQL error: ParserError at line L, column C: <parser message>`;
// unknown table 400 `table 'public.iox.<t>' not found`; unknown column 400 `No field named <c>.
// Valid fields are …`; unsupported constructs 400 `unsupported SQL: <what>`; execution errors
// (e.g. an unparsable timestamp string in a column) 400 `query execution failed: …`.
//
// Output typing: time columns, date_bin/date_trunc results, min/max of time print as
// '2024-01-01T00:00:00[.fff|.ffffff|.fffffffff]'; booleans true/false; uinteger converted from
// SQLite's signed storage with BigInt.asUintN(64, v); integers as exact JSON numbers (may exceed
// 2^53); floats with '.0' when integral. JSON/JSONL omit NULL columns from row objects.
//
// Known differences from DataFusion: integer division by zero yields NULL (not an error);
// uinteger values >= 2^63 compare, sort and aggregate as their signed storage; float sums may
// differ in the last bits between sharded and single-node execution.

export { QueryError } from './errors.js';
export type { CatalogView } from './binder.js';
export { planQuery } from './planner.js';
export type { PlanOptions, QueryPlan, TablePruning, TableScan } from './planner.js';
export { runScan, encodeScanResult, decodeScanResult, executeFinal } from './execute.js';
export type { ScanResult, QueryResult } from './execute.js';
export { formatResult, formatFloat } from './format.js';
export type { OutputFormat } from './format.js';
export { registerSqlFunctions } from './functions.js';
export type { SqlType } from './ir.js';
export { formatTimestamp, parseTimestamp } from './time.js';
