// Aggregates are computed where the data lives: each node ships partial groups, not rows, and
// the coordinator combines them into the same answer a single node would give. (The timing of
// the 1,000,000-row case is in bench/reference-cluster.mjs.)
import t from 'tap';
import Database from 'better-sqlite3';
import type { ColumnSchema } from '../src/types.js';
import { decodeScanResult, encodeScanResult, executeFinal, planQuery, runScan, type CatalogView, type ScanResult } from '../src/query/index.js';

const ROWS = 30_000;
const NODES = 3;
const HOSTS = 50;
const columns: ColumnSchema[] = [
  { name: 'time', kind: 'time' },
  { name: 'host', kind: 'tag' },
  { name: 'usage', kind: 'field', type: 'float' },
];
const catalog: CatalogView = {
  databaseExists: (db) => db === 'bench',
  tableColumns: (db, table) => (db === 'bench' && table === 'cpu' ? columns : undefined),
  tableNames: () => ['cpu'],
  shardKeys: () => ['host'],
};

t.test('GROUP BY with count and avg ships at most one partial row per group per node', async (t) => {
  const nodes = Array.from({ length: NODES }, () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE cpu_data (time INTEGER NOT NULL, host TEXT, usage REAL)');
    return db;
  });
  t.teardown(() => nodes.forEach((n) => n.close()));
  nodes.forEach((db, k) => {
    const ins = db.prepare('INSERT INTO cpu_data VALUES (?, ?, ?)');
    db.transaction(() => {
      for (let i = k; i < ROWS; i += NODES) ins.run(BigInt(i) * 1_000_000_000n, `host${i % HOSTS}`, (i % 1000) / 10);
    })();
  });
  const plan = planQuery('SELECT host, count(*), avg(usage) FROM cpu GROUP BY host ORDER BY host', 'bench', catalog, 0n);
  t.equal(plan.scans.length, 1);
  t.equal(plan.scans[0]!.mode, 'partial', 'the aggregate is pushed down');
  let shipped = 0;
  const inputs = new Map<string, ScanResult[]>();
  inputs.set(
    plan.scans[0]!.relation,
    nodes.map((n) => {
      const r = runScan(n, 'SELECT time AS ":time", host AS ":host", usage AS ":usage" FROM cpu_data', plan.scans[0]!); // as ShardStore.sourceSelect names them
      shipped += r.rows.length;
      return decodeScanResult(JSON.parse(JSON.stringify(encodeScanResult(r))));
    }),
  );
  t.ok(shipped <= HOSTS * NODES, `${shipped} partial rows shipped for ${ROWS} rows`);
  const result = executeFinal(plan, inputs);
  t.equal(result.rows.length, HOSTS);
  t.same(result.columns, ['host', 'count(*)', 'avg(cpu.usage)']);
  const h0 = result.rows.find((r) => r[0] === 'host0')!;
  t.equal(h0[1], BigInt(ROWS / HOSTS));
  t.ok(Math.abs((h0[2] as number) - 47.5) < 1e-9, `avg(usage) of host0 is 47.5 (${h0[2]})`);
});
