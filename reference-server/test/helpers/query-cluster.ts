// Test support: an in-process imitation of the cluster's query path (several SQLite "node"
// databases, runScan on each, the JSON round trip, executeFinal), used by the query tests and the
// benchmark script. Not used by the server.

import Database from 'better-sqlite3';
import type { ColumnSchema } from '../../src/types.js';
import type { CatalogView } from '../../src/query/binder.js';
import { decodeScanResult, encodeScanResult, executeFinal, runScan, type QueryResult, type ScanResult } from '../../src/query/execute.js';
import { planQuery, type PlanOptions, type QueryPlan, type TablePruning } from '../../src/query/planner.js';
import { quoteIdent, quoteString } from '../../src/query/sqlgen.js';
import { relationColumn } from '../../src/query/relation-column.js';

export interface FakeTable {
  db: string;
  name: string;
  columns: ColumnSchema[];
  shardKeys?: string[];
  /** Rows as objects: time bigint, tags string, float number, integer/uinteger bigint, string, boolean. */
  rows: Record<string, unknown>[];
}

function storageValue(v: unknown, c: ColumnSchema): unknown {
  if (v === undefined || v === null) return null;
  if (c.kind === 'field' && c.type === 'boolean') return v ? 1n : 0n;
  if (c.kind === 'field' && c.type === 'uinteger') return BigInt.asIntN(64, BigInt(v as bigint));
  if (c.kind === 'field' && c.type === 'float') return Number(v);
  return v;
}

export function sqlType(c: ColumnSchema): string {
  if (c.kind === 'time') return 'INTEGER NOT NULL';
  if (c.kind === 'tag') return 'TEXT';
  switch (c.type) {
    case 'float': return 'REAL';
    case 'string': return 'TEXT';
    default: return 'INTEGER';
  }
}

export function storageTableName(db: string, table: string): string {
  return `data_${db}_${table}`;
}

/** Create and fill a storage table shaped like the relation the real storage exposes. */
export function loadTable(sqlite: Database.Database, db: string, table: string, columns: ColumnSchema[], rows: Record<string, unknown>[]): void {
  const name = storageTableName(db, table);
  sqlite.exec(`CREATE TABLE IF NOT EXISTS ${quoteIdent(name)} (${columns.map((c) => `${quoteIdent(c.name)} ${sqlType(c)}`).join(', ')})`);
  const ins = sqlite.prepare(`INSERT INTO ${quoteIdent(name)} VALUES (${columns.map(() => '?').join(', ')})`);
  sqlite.transaction(() => {
    for (const r of rows) ins.run(columns.map((c) => storageValue(r[c.name], c)));
  })();
}

/** The storage's SELECT for a table (columns named as ShardStore.sourceSelect names them), optionally restricted like perfect shard pruning would. */
export function sourceSelect(db: string, table: string, columns: ColumnSchema[], pruning?: TablePruning): string {
  let sql = `SELECT ${columns.map((c) => `${quoteIdent(c.name)} AS ${quoteIdent(relationColumn(c.name))}`).join(', ')} FROM ${quoteIdent(storageTableName(db, table))}`;
  if (pruning) {
    const conds: string[] = [];
    if (pruning.empty) conds.push('0');
    if (pruning.timeMin !== undefined) conds.push(`"time" >= ${pruning.timeMin}`);
    if (pruning.timeMax !== undefined) conds.push(`"time" < ${pruning.timeMax}`);
    for (const [tag, vals] of Object.entries(pruning.tagEquals)) {
      conds.push(`${quoteIdent(tag)} IN (${vals.map(quoteString).join(', ')})`);
    }
    if (conds.length) sql += ' WHERE ' + conds.join(' AND ');
  }
  return sql;
}

export class FakeCluster {
  readonly nodes: Database.Database[];
  readonly all: Database.Database;

  /** `place(row, tableIndex, rowIndex)` picks the node of a row. */
  constructor(readonly tables: FakeTable[], nodeCount: number, place: (row: Record<string, unknown>, t: number, i: number) => number) {
    this.nodes = Array.from({ length: nodeCount }, () => new Database(':memory:'));
    this.all = new Database(':memory:');
    tables.forEach((t, ti) => {
      const parts: Record<string, unknown>[][] = this.nodes.map(() => []);
      t.rows.forEach((r, i) => parts[place(r, ti, i) % nodeCount]!.push(r));
      this.nodes.forEach((n, k) => loadTable(n, t.db, t.name, t.columns, parts[k]!));
      loadTable(this.all, t.db, t.name, t.columns, t.rows);
    });
  }

  catalog(): CatalogView {
    const dbs = new Set(this.tables.map((t) => t.db));
    return {
      databaseExists: (db) => dbs.has(db),
      tableColumns: (db, table) => this.tables.find((t) => t.db === db && t.name === table)?.columns,
      tableNames: (db) => this.tables.filter((t) => t.db === db).map((t) => t.name).sort(),
      shardKeys: (db, table) => this.tables.find((t) => t.db === db && t.name === table)?.shardKeys ?? [],
    };
  }

  plan(sql: string, db: string, now: bigint, opts?: PlanOptions): QueryPlan {
    return planQuery(sql, db, this.catalog(), now, opts);
  }

  /** Distributed execution: every node scanned (sources restricted by pruning), results JSON round-tripped. */
  query(sql: string, db: string, now = 1_700_000_000_000_000_000n): QueryResult {
    const plan = this.plan(sql, db, now);
    const inputs = new Map<string, ScanResult[]>();
    for (const scan of plan.scans) {
      const t = this.tables.find((x) => x.db === scan.db && x.name === scan.table)!;
      const results: ScanResult[] = [];
      if (!scan.pruning.empty) {
        for (const n of this.nodes) {
          const r = runScan(n, sourceSelect(scan.db, scan.table, t.columns, scan.pruning), scan);
          results.push(decodeScanResult(JSON.parse(JSON.stringify(encodeScanResult(r)))));
        }
      }
      inputs.set(scan.relation, results);
    }
    return executeFinal(plan, inputs);
  }

  /** Reference: one database holding all rows, no pushdown, the final stage does everything. */
  reference(sql: string, db: string, now = 1_700_000_000_000_000_000n): QueryResult {
    const plan = this.plan(sql, db, now, { pushdown: false });
    const inputs = new Map<string, ScanResult[]>();
    for (const scan of plan.scans) {
      const t = this.tables.find((x) => x.db === scan.db && x.name === scan.table)!;
      inputs.set(scan.relation, [runScan(this.all, sourceSelect(scan.db, scan.table, t.columns), scan)]);
    }
    return executeFinal(plan, inputs);
  }

  close(): void {
    for (const n of this.nodes) n.close();
    this.all.close();
  }
}
