// Sharded execution (rows split over 2-3 "node" databases, runScan on each, JSON round trip,
// executeFinal) must equal a single database holding all rows with no pushdown at all, across
// many query shapes.
import t from 'tap';
import type { ColumnSchema } from '../src/types.js';
import { FakeCluster, type FakeTable } from './helpers/query-cluster.js';
import type { QueryResult } from '../src/query/index.js';

const T0 = 1704067200000000000n; // 2024-01-01T00:00:00Z
const MIN = 60_000_000_000n;

const cpuCols: ColumnSchema[] = [
  { name: 'host', kind: 'tag' },
  { name: 'region', kind: 'tag' },
  { name: 'msg', kind: 'field', type: 'string' },
  { name: 'n', kind: 'field', type: 'integer' },
  { name: 'ok', kind: 'field', type: 'boolean' },
  { name: 'time', kind: 'time' },
  { name: 'u', kind: 'field', type: 'uinteger' },
  { name: 'usage', kind: 'field', type: 'float' },
];
const memCols: ColumnSchema[] = [
  { name: 'host', kind: 'tag' },
  { name: 'pct', kind: 'field', type: 'float' },
  { name: 'time', kind: 'time' },
  { name: 'used', kind: 'field', type: 'integer' },
];
const diskCols: ColumnSchema[] = [
  { name: 'free', kind: 'field', type: 'integer' },
  { name: 'host', kind: 'tag' },
  { name: 'time', kind: 'time' },
];

// Deterministic pseudo-random data.
let seed = 12345;
function rnd(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
const msgs = ['abc', 'abX', 'xyz', 'a_b', 'ABC', 'Ünïcode', '50%', null];
const cpuRows: Record<string, unknown>[] = [];
for (let i = 0; i < 600; i++) {
  const host = `h${Math.floor(rnd() * 5)}`;
  cpuRows.push({
    host,
    region: i % 7 === 0 ? null : rnd() < 0.5 ? 'us' : 'eu',
    msg: msgs[Math.floor(rnd() * msgs.length)],
    n: rnd() < 0.05 ? null : BigInt(Math.floor(rnd() * 1000) - 200),
    ok: rnd() < 0.1 ? null : rnd() < 0.5,
    time: (i < 10 ? -BigInt(i + 1) * MIN * 7n : T0 + BigInt(Math.floor(rnd() * 180)) * MIN + BigInt(i % 3) * 1_000_000n),
    u: BigInt(Math.floor(rnd() * 100000)),
    usage: rnd() < 0.05 ? null : Math.round(rnd() * 10000) / 100,
  });
}
const memRows: Record<string, unknown>[] = [];
for (let i = 0; i < 300; i++) {
  const src = cpuRows[Math.floor(rnd() * cpuRows.length)]!;
  memRows.push({
    host: rnd() < 0.9 ? src.host : 'h9',
    pct: Math.round(rnd() * 1000) / 10,
    time: rnd() < 0.7 ? src.time : T0 + BigInt(Math.floor(rnd() * 180)) * MIN,
    used: BigInt(Math.floor(rnd() * 100)),
  });
}
const diskRows: Record<string, unknown>[] = [];
for (let i = 0; i < 100; i++) {
  const src = cpuRows[Math.floor(rnd() * cpuRows.length)]!;
  diskRows.push({ host: src.host, time: src.time, free: BigInt(Math.floor(rnd() * 5000)) });
}

const tables: FakeTable[] = [
  { db: 'db', name: 'cpu', columns: cpuCols, shardKeys: ['host'], rows: cpuRows },
  { db: 'db', name: 'mem', columns: memCols, rows: memRows },
  { db: 'db2', name: 'disk', columns: diskCols, rows: diskRows },
];

const NOW = T0 + 180n * MIN;

function canon(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return `i:${v}`;
  if (typeof v === 'number') return `f:${Number.isInteger(v) ? v : Number(v.toPrecision(10))}`;
  if (typeof v === 'boolean') return `b:${v}`;
  return `s:${String(v)}`;
}

function rowsOf(r: QueryResult, ordered: boolean): string[] {
  const out = r.rows.map((row) => row.map(canon).join('|'));
  return ordered ? out : out.sort();
}

interface Case {
  sql: string;
  ordered?: boolean;
  /** Minimum expected row count, to make sure the case tests something. */
  minRows?: number;
}

const cases: Case[] = [
  { sql: 'SELECT * FROM cpu', minRows: 600 },
  { sql: 'SELECT host, usage FROM cpu WHERE usage > 10', minRows: 100 },
  { sql: 'SELECT count(*) FROM cpu' },
  { sql: 'SELECT count(*), sum(usage), min(usage), max(usage), avg(usage), count(usage), min(time), max(time), sum(n), avg(n) FROM cpu' },
  { sql: 'SELECT host, count(*), avg(usage) FROM cpu GROUP BY host', minRows: 5 },
  { sql: 'SELECT host, region, count(*) AS c, sum(n) FROM cpu GROUP BY host, region HAVING count(*) > 5 ORDER BY c DESC, host, region', ordered: true, minRows: 5 },
  { sql: "SELECT date_bin(INTERVAL '5 minutes', time) AS bin, count(*) FROM cpu GROUP BY 1 ORDER BY 1", ordered: true, minRows: 30 },
  { sql: "SELECT date_bin(INTERVAL '7 minutes', time, TIMESTAMP '2024-01-01T00:01:00Z') AS b, count(*), max(usage) FROM cpu GROUP BY b", minRows: 20 },
  { sql: "SELECT date_trunc('hour', time) AS h, host, max(usage) FROM cpu GROUP BY h, host ORDER BY h, host", ordered: true, minRows: 10 },
  { sql: "SELECT date_trunc('month', time), date_trunc('week', time), count(*) FROM cpu GROUP BY 1, 2", minRows: 2 },
  { sql: "SELECT * FROM cpu WHERE time >= '2024-01-01T01:00:00Z' AND time < '2024-01-01T02:00:00.5+00:00'", minRows: 100 },
  { sql: "SELECT * FROM cpu WHERE time BETWEEN '2024-01-01 00:10:00' AND '2024-01-01T00:20:00Z' ORDER BY time, host, usage", minRows: 10 },
  { sql: "SELECT * FROM cpu WHERE time > '2024-01-01T03:00:00+02:00'", minRows: 100 },
  { sql: 'SELECT host, time, usage FROM cpu ORDER BY usage DESC NULLS LAST, time, host LIMIT 7', ordered: true, minRows: 7 },
  { sql: 'SELECT host, time, usage FROM cpu ORDER BY usage LIMIT 7', ordered: false, minRows: 7 },
  { sql: 'SELECT host, time, n FROM cpu ORDER BY time DESC, host, n LIMIT 5 OFFSET 3', ordered: true, minRows: 5 },
  { sql: 'SELECT host, n FROM cpu WHERE n > 0 LIMIT 1000', minRows: 100 },
  { sql: 'SELECT DISTINCT host FROM cpu', minRows: 5 },
  { sql: 'SELECT DISTINCT host, region FROM cpu ORDER BY host, region', ordered: true, minRows: 10 },
  { sql: 'SELECT DISTINCT upper(host) AS h FROM cpu WHERE usage > 50', minRows: 5 },
  { sql: 'SELECT count(DISTINCT host), count(DISTINCT region) FROM cpu' },
  { sql: 'SELECT region, count(DISTINCT host), min(usage), max(time) FROM cpu GROUP BY region', minRows: 3 },
  { sql: 'SELECT region, count(DISTINCT host), count(*) FROM cpu GROUP BY region', minRows: 3 },
  { sql: "SELECT * FROM cpu WHERE host IN ('h1', 'h3') AND msg LIKE 'ab%'", minRows: 10 },
  { sql: "SELECT host, msg FROM cpu WHERE msg ILIKE '%X%' OR msg IS NULL", minRows: 10 },
  { sql: "SELECT host, msg FROM cpu WHERE msg NOT LIKE '%b_'", minRows: 10 },
  { sql: "SELECT host, msg FROM cpu WHERE msg LIKE 'a\\_b' OR msg LIKE '50\\%'", minRows: 10 },
  { sql: "SELECT host, msg FROM cpu WHERE msg ~ '^a.c$' OR msg ~* 'xyZ'", minRows: 10 },
  { sql: 'SELECT c.host, c.usage, m.used FROM cpu c JOIN mem m ON c.host = m.host AND c.time = m.time', minRows: 50 },
  { sql: "SELECT c.host, c.time, m.used FROM cpu c LEFT JOIN mem m ON c.host = m.host AND c.time = m.time AND m.used > 50 WHERE c.region = 'us'", minRows: 100 },
  { sql: 'SELECT m.host, count(c.usage), count(*) FROM mem m LEFT JOIN cpu c ON m.host = c.host AND m.time = c.time GROUP BY m.host', minRows: 5 },
  { sql: 'SELECT m.host, m.time, c.n FROM mem m LEFT JOIN cpu c ON m.host = c.host AND m.time = c.time WHERE c.n IS NULL', minRows: 10 },
  { sql: 'SELECT c.host, m.host, m.used FROM cpu c RIGHT JOIN mem m ON c.host = m.host AND c.time = m.time WHERE m.used < 30', minRows: 10 },
  { sql: 'SELECT c.host, m.host FROM cpu c FULL JOIN mem m ON c.host = m.host AND c.time = m.time', minRows: 600 },
  { sql: "SELECT host, avg(usage) FROM cpu WHERE time > now() - interval '1 hour' GROUP BY host", minRows: 5 },
  { sql: "SELECT host, usage FROM cpu WHERE time >= now() - INTERVAL '2 hours 30 minutes' AND time < now() - interval '1' hour", minRows: 50 },
  { sql: 'SELECT host, usage FROM cpu WHERE usage > (SELECT avg(usage) FROM cpu)', minRows: 100 },
  { sql: 'SELECT host, time FROM cpu WHERE host IN (SELECT host FROM mem WHERE used > 90)', minRows: 50 },
  { sql: 'SELECT host, time FROM cpu WHERE host NOT IN (SELECT host FROM mem WHERE used > 97)', minRows: 1 },
  { sql: 'SELECT * FROM (SELECT host, count(*) AS c FROM cpu GROUP BY host) s WHERE c > 3', minRows: 5 },
  { sql: 'SELECT s.h, s.m FROM (SELECT host AS h, max(usage) AS m FROM cpu WHERE ok GROUP BY host) AS s ORDER BY s.m DESC LIMIT 3', ordered: true, minRows: 3 },
  { sql: 'SELECT host FROM cpu UNION ALL SELECT host FROM mem', minRows: 900 },
  { sql: 'SELECT host FROM cpu UNION SELECT host FROM mem ORDER BY 1', ordered: true, minRows: 6 },
  { sql: 'SELECT host, time FROM cpu EXCEPT SELECT host, time FROM mem', minRows: 100 },
  { sql: 'SELECT ok, count(*) FROM cpu GROUP BY ok', minRows: 3 },
  { sql: 'SELECT host, sum(CASE WHEN ok THEN 1 ELSE 0 END) AS oks FROM cpu GROUP BY host', minRows: 5 },
  { sql: 'SELECT count(*) FILTER (WHERE usage > 10), sum(n) FILTER (WHERE ok) FROM cpu' },
  { sql: 'SELECT host, avg(usage) FILTER (WHERE region = \'us\') FROM cpu GROUP BY host', minRows: 5 },
  { sql: 'SELECT * FROM db2.disk', minRows: 100 },
  { sql: 'SELECT c.host, d.free FROM cpu c JOIN db2.disk d ON c.host = d.host AND c.time = d.time', minRows: 100 },
  { sql: 'SELECT host, stddev(usage), var_pop(usage), median(usage), median(n) FROM cpu GROUP BY host', minRows: 5 },
  { sql: "SELECT upper(host), length(msg), round(usage, 1), coalesce(msg, 'none'), concat(host, '-', region), abs(n) FROM cpu", minRows: 600 },
  { sql: 'SELECT host, count(*) FROM cpu WHERE false GROUP BY host' },
  { sql: 'SELECT count(*), max(usage) FROM cpu WHERE time > 10 AND time < 5' },
  { sql: "SELECT time, usage FROM cpu WHERE host = 'h1' ORDER BY time, usage LIMIT 3", ordered: true, minRows: 3 },
  { sql: 'SELECT extract(hour FROM time) AS hr, date_part(\'minute\', time) AS mi, count(*) FROM cpu GROUP BY hr, mi', minRows: 50 },
  { sql: 'SELECT host, max(time) - min(time) FROM cpu GROUP BY host', minRows: 5 },
  { sql: "SELECT * FROM cpu WHERE time = '2024-01-01T00:03:00Z' OR time = '2024-01-01T00:03:00.001Z'" },
  { sql: 'SELECT host, usage FROM cpu WHERE usage BETWEEN 5 AND 15 AND NOT ok', minRows: 5 },
  { sql: 'SELECT host, count(*) FROM cpu GROUP BY host HAVING avg(usage) > 10 ORDER BY count(*) DESC, host LIMIT 2', ordered: true, minRows: 2 },
  { sql: 'WITH x AS (SELECT host, usage FROM cpu WHERE usage > 5) SELECT host, count(*) FROM x GROUP BY host', minRows: 5 },
  { sql: 'SELECT host, time FROM mem m WHERE EXISTS (SELECT 1 FROM cpu c WHERE c.host = m.host AND c.usage > 95)', minRows: 10 },
  { sql: "SELECT * FROM cpu WHERE region = 'eu' OR host = 'h2'", minRows: 100 },
  { sql: "SELECT host, min(usage) FROM cpu WHERE region = 'eu' OR region = 'us' GROUP BY host", minRows: 5 },
  { sql: 'SELECT count(*), min(time) FROM cpu WHERE time < 0' },
  { sql: "SELECT date_bin(INTERVAL '1 hour', time) AS b, count(*) FROM cpu WHERE time < 0 GROUP BY b", minRows: 1 },
  { sql: 'SELECT host, u, u + 1 FROM cpu WHERE u > 50000', minRows: 100 },
  { sql: 'SELECT host, bool_and(ok), bool_or(ok), sum(u) FROM cpu GROUP BY host', minRows: 5 },
  { sql: 'SELECT count(1), count(msg), count(region) FROM cpu' },
  { sql: 'SELECT host AS h, count(*) FROM cpu GROUP BY h', minRows: 5 },
  { sql: 'SELECT n % 3 AS k, sum(usage) FROM cpu GROUP BY n % 3', minRows: 3 },
  { sql: 'SELECT cpu.host, count(*) FROM cpu, mem WHERE cpu.host = mem.host AND cpu.time = mem.time GROUP BY cpu.host', minRows: 3 },
  { sql: 'SELECT region, avg(n), sum(n) / count(n) FROM cpu GROUP BY region', minRows: 3 },
  { sql: 'SELECT a.host, b.host FROM cpu a CROSS JOIN db2.disk b WHERE a.usage > 99 AND b.free < 100', minRows: 1 },
  { sql: 'SELECT * FROM cpu c JOIN mem m USING (host, time)', minRows: 50 },
  { sql: "SELECT host FROM cpu WHERE host = 'h1' AND host = 'h2'" },
  { sql: "SELECT count(*) FROM cpu WHERE host IN ('h1', 'h2') AND host = 'h2' AND time >= '2024-01-01T01:00:00Z'" },
  { sql: 'SELECT min(time), max(time), count(*) FROM cpu GROUP BY region, host', minRows: 10 },
  { sql: "SELECT host, to_timestamp('2024-01-01T00:30:00Z') AS t0, time FROM cpu WHERE time < to_timestamp(1704069000)", minRows: 50 },
  { sql: "SELECT host, time FROM cpu WHERE time >= to_timestamp_millis(1704069000000) AND time < to_timestamp_seconds(1704070800)", minRows: 10 },
  { sql: 'SELECT CAST(usage AS BIGINT), usage::int, CAST(n AS DOUBLE), CAST(time AS VARCHAR), n::text FROM cpu', minRows: 600 },
  { sql: 'SELECT host, count(*) AS c FROM cpu GROUP BY host ORDER BY c DESC, host', ordered: true, minRows: 5 },
  { sql: 'SELECT host, first, last FROM (SELECT host, min(time) AS first, max(time) AS last FROM cpu GROUP BY host) q ORDER BY host', ordered: true, minRows: 5 },
  { sql: 'SELECT greatest(n, 0), least(usage, 50.0), nullif(host, \'h1\') FROM cpu', minRows: 600 },
  { sql: 'SELECT "host", "usage" FROM "cpu" WHERE "usage" > 90', minRows: 10 },
  { sql: 'SELECT HOST, Usage FROM CPU WHERE USAGE > 90', minRows: 10 },
  { sql: 'SELECT host, usage FROM iox.cpu WHERE usage > 90', minRows: 10 },
  { sql: 'SELECT host, usage FROM public.iox.cpu WHERE usage > 90', minRows: 10 },
  { sql: "SELECT host, count(*) FROM cpu WHERE msg IS NOT NULL AND (usage < 10 OR usage > 90) GROUP BY host", minRows: 5 },
  { sql: 'SELECT * FROM cpu ORDER BY time, host, usage, n LIMIT 10', ordered: true, minRows: 10 },
  { sql: 'SELECT host, usage FROM cpu WHERE usage IS NOT NULL ORDER BY usage DESC LIMIT 1', minRows: 1 },
];

const shardings: Array<{ name: string; nodes: number; place: (r: Record<string, unknown>, t: number, i: number) => number }> = [
  { name: '3 nodes round-robin', nodes: 3, place: (_r, _t, i) => i },
  { name: '2 nodes by host', nodes: 2, place: (r) => (String(r.host).charCodeAt(1) % 2) },
  { name: '3 nodes by time (skewed)', nodes: 3, place: (r) => (Number(((r.time as bigint) / MIN) % 5n + 5n) % 5 === 0 ? 0 : 2) },
];

for (const s of shardings) {
  t.test(`sharded execution equals single-node reference: ${s.name}`, async (t) => {
    const cluster = new FakeCluster(tables, s.nodes, s.place);
    t.teardown(() => cluster.close());
    for (const c of cases) {
      const ref = cluster.reference(c.sql, 'db', NOW);
      const got = cluster.query(c.sql, 'db', NOW);
      t.same(got.columns, ref.columns, `columns: ${c.sql}`);
      t.same(got.types, ref.types, `types: ${c.sql}`);
      t.same(rowsOf(got, !!c.ordered), rowsOf(ref, !!c.ordered), c.sql);
      if (c.minRows) t.ok(ref.rows.length >= c.minRows, `has >= ${c.minRows} rows (${ref.rows.length}): ${c.sql}`);
    }
  });
}

t.test('aggregate pushdown ships partial groups, not rows', async (t) => {
  const cluster = new FakeCluster(tables, 3, (_r, _t, i) => i);
  t.teardown(() => cluster.close());
  const plan = cluster.plan('SELECT host, count(*), avg(usage) FROM cpu GROUP BY host', 'db', NOW);
  t.equal(plan.scans.length, 1);
  t.equal(plan.scans[0]!.mode, 'partial');
  t.match(plan.scans[0]!.scanSql, /GROUP BY/);
  const p2 = cluster.plan('SELECT count(DISTINCT host) FROM cpu', 'db', NOW);
  t.equal(p2.scans[0]!.mode, 'distinct');
  const p3 = cluster.plan('SELECT host, median(usage) FROM cpu GROUP BY host', 'db', NOW);
  t.equal(p3.scans[0]!.mode, 'raw');
  t.same(p3.scans[0]!.columns, [':host', ':usage'], 'only the columns needed, under their relation names');
  const p4 = cluster.plan('SELECT host FROM cpu ORDER BY time DESC LIMIT 3', 'db', NOW);
  t.match(p4.scans[0]!.scanSql, /ORDER BY .* LIMIT 3$/);
  const p5 = cluster.plan('SELECT c.host FROM cpu c JOIN mem m ON c.host = m.host WHERE c.usage > 5 AND m.used < 3', 'db', NOW);
  t.match(p5.scans[0]!.scanSql, /usage/);
  t.match(p5.scans[1]!.scanSql, /used/);
  t.notMatch(p5.finalSql, /usage|used/);
});
