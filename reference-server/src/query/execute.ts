// Execution: the node-side scan (runScan), the wire encoding of scan results, and the final stage
// (executeFinal) that loads the gathered rows into an in-memory SQLite and runs the final SQL.

import Database from 'better-sqlite3';
import { QueryError } from './errors.js';
import { ensureSqlFunctions, registerSqlFunctions } from './functions.js';
import { ResultMeter, UNLIMITED, timeLimitError, type QueryLimits } from './limits.js';
import type { SqlType } from './ir.js';
import type { QueryPlan, TableScan } from './planner.js';
import { quoteIdent } from './sqlgen.js';

/** Rows of one scan on one node. Values: null | number | bigint | string. */
export interface ScanResult {
  columns: string[];
  rows: unknown[][];
}

/** Result of a query. Values are typed by `types`: see formatResult. */
export interface QueryResult {
  columns: string[];
  /**
   * Output types. Values per type: timestamp -> bigint ns; integer -> bigint (or number);
   * uinteger -> bigint (already converted back from SQLite's signed storage); float -> number;
   * boolean -> boolean; string -> string; any -> whatever SQLite returned.
   */
  types: SqlType[];
  rows: unknown[][];
}

function isSqliteError(e: unknown): e is Error {
  return e instanceof Error && (e.name === 'SqliteError' || (e as { code?: unknown }).code !== undefined);
}

/** Execution bounds of one stage: limits, and the Date.now() past which it gives up. */
export interface StageBounds {
  limits: QueryLimits;
  deadline: number;
}

const NO_BOUNDS: StageBounds = { limits: UNLIMITED, deadline: Number.POSITIVE_INFINITY };

/**
 * Reads every row of `stmt`, metering rows and bytes and checking the deadline every 256 rows.
 * (A single step that runs long, e.g. count(*) over a huge join, is stopped by the executor
 * process being killed: better-sqlite3 has no interrupt.)
 */
function readRows(stmt: Database.Statement, bounds: StageBounds, stage: string): unknown[][] {
  const meter = new ResultMeter(bounds.limits, stage);
  const rows: unknown[][] = [];
  for (const r of stmt.iterate() as Iterable<unknown[]>) {
    for (let i = 0; i < r.length; i++) {
      const v = r[i];
      if (Buffer.isBuffer(v)) r[i] = v.toString('utf8');
    }
    meter.add(r);
    rows.push(r);
    if ((rows.length & 255) === 0 && Date.now() > bounds.deadline) throw timeLimitError(bounds.limits, stage);
  }
  return rows;
}

/**
 * Run a scan on this node. `sourceSelect` is the storage's SELECT producing the relation's rows;
 * it is bound as `WITH "<relation>" AS (<sourceSelect>)`. Only read-only statements are run.
 */
export function runScan(sqlite: Database.Database, sourceSelect: string, scan: TableScan, bounds: StageBounds = NO_BOUNDS): ScanResult {
  ensureSqlFunctions(sqlite, bounds.limits);
  const sql = `WITH ${quoteIdent(scan.relation)} AS (${sourceSelect}) ${scan.scanSql}`;
  let stmt: Database.Statement;
  try {
    stmt = sqlite.prepare(sql);
  } catch (e) {
    if (isSqliteError(e)) throw new QueryError(400, `scan of ${scan.db}.${scan.table} failed: ${e.message}`);
    throw e;
  }
  if (!stmt.readonly) throw new QueryError(400, 'refusing to run a scan statement that is not read-only');
  if (!stmt.reader) throw new QueryError(400, 'scan statement returns no rows');
  try {
    stmt.safeIntegers(true);
    stmt.raw(true);
    const columns = stmt.columns().map((c) => c.name);
    return { columns, rows: readRows(stmt, bounds, `the scan of ${scan.db}.${scan.table}`) };
  } catch (e) {
    if (e instanceof QueryError) throw e;
    if (e instanceof Error) throw new QueryError(400, `scan of ${scan.db}.${scan.table} failed: ${e.message}`);
    throw e;
  }
}

/**
 * JSON-safe form of a scan result: {columns, rows} with bigints as {"$n":"digits"} (the same
 * convention as util/json's stringifyWithBigInt, so either side may do the conversion) and
 * non-finite floats as {"$f":"Infinity"|"-Infinity"|"NaN"}.
 */
export function encodeScanResult(r: ScanResult): unknown {
  return {
    columns: r.columns,
    rows: r.rows.map((row) =>
      row.map((v) => {
        if (typeof v === 'bigint') return { $n: v.toString() };
        if (typeof v === 'number' && !Number.isFinite(v)) return { $f: String(v) };
        return v;
      }),
    ),
  };
}

export function decodeScanResult(j: unknown): ScanResult {
  const o = j as { columns?: unknown; rows?: unknown };
  if (!o || !Array.isArray(o.columns) || !Array.isArray(o.rows) || !o.columns.every((c) => typeof c === 'string')) {
    throw new QueryError(500, 'malformed scan result');
  }
  const rows = (o.rows as unknown[]).map((row) => {
    if (!Array.isArray(row) || row.length !== (o.columns as string[]).length) throw new QueryError(500, 'malformed scan result row');
    return row.map((v) => {
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return v;
      if (typeof v === 'boolean') return v ? 1n : 0n;
      if (typeof v === 'object') {
        const t = v as Record<string, unknown>;
        if (typeof t.$n === 'string') return BigInt(t.$n);
        if (typeof t.$f === 'string') return Number(t.$f);
      }
      throw new QueryError(500, 'malformed scan result value');
    });
  });
  return { columns: o.columns as string[], rows };
}

function convertOut(v: unknown, t: SqlType): unknown {
  if (v === null || v === undefined) return null;
  switch (t) {
    case 'boolean':
      if (typeof v === 'bigint') return v !== 0n;
      if (typeof v === 'number') return v !== 0;
      return v;
    case 'uinteger':
      return typeof v === 'bigint' ? BigInt.asUintN(64, v) : v;
    case 'timestamp':
      if (typeof v === 'number') return BigInt(Math.trunc(v));
      return v;
    case 'float':
      return typeof v === 'bigint' ? Number(v) : v;
    default:
      return v;
  }
}

/**
 * Final stage: load every scan's gathered results (one ScanResult per node scanned; none when
 * pruning left nothing) into an in-memory SQLite and run the plan's final SQL.
 */
export function executeFinal(plan: QueryPlan, inputs: Map<string, ScanResult[]>, bounds: StageBounds = NO_BOUNDS): QueryResult {
  // The gathered rows of all scans together count as one stage's output: they all sit in memory.
  const gathered = new ResultMeter(bounds.limits, 'the scans of this query together');
  for (const rs of inputs.values()) for (const r of rs) for (const row of r.rows) gathered.add(row);
  const db = new Database(':memory:');
  try {
    registerSqlFunctions(db, plan.now, bounds.limits);
    for (const scan of plan.scans) {
      const cols = scan.columns;
      db.exec(`CREATE TABLE ${quoteIdent(scan.relation)} (${cols.map(quoteIdent).join(', ')})`);
      const results = inputs.get(scan.relation) ?? [];
      if (results.length === 0 || results.every((r) => r.rows.length === 0)) continue;
      const ins = db.prepare(`INSERT INTO ${quoteIdent(scan.relation)} VALUES (${cols.map(() => '?').join(', ')})`);
      const load = db.transaction((rs: ScanResult[]) => {
        for (const r of rs) {
          const idx = cols.map((c) => r.columns.indexOf(c));
          if (idx.some((i) => i < 0)) {
            throw new QueryError(500, `scan result for ${scan.relation} lacks columns ${cols.filter((_, k) => idx[k]! < 0).join(', ')}`);
          }
          const identity = idx.every((i, k) => i === k) && r.columns.length === cols.length;
          for (const row of r.rows) ins.run(identity ? row : idx.map((i) => row[i]));
        }
      });
      load(results);
    }
    const stmt = db.prepare(plan.finalSql);
    stmt.safeIntegers(true);
    stmt.raw(true);
    const raw = readRows(stmt, bounds, 'the final stage');
    const rows = raw.map((r) => r.map((v, i) => convertOut(v, plan.types[i] ?? 'any')));
    return { columns: plan.columns, types: plan.types, rows };
  } catch (e) {
    if (e instanceof QueryError) throw e;
    // SQLite errors and errors thrown by user functions (e.g. an unparsable timestamp string).
    if (e instanceof Error) throw new QueryError(400, `query execution failed: ${e.message}`);
    throw e;
  } finally {
    db.close();
  }
}
