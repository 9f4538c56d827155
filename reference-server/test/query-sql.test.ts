// SQL layer unit tests: exact answers, naming, typing and formatting, errors, pruning, the scan
// executor and the wire encoding.
import t from 'tap';
import Database from 'better-sqlite3';
import type { ColumnSchema } from '../src/types.js';
import { FakeCluster } from './helpers/query-cluster.js';
import {
  QueryError, decodeScanResult, encodeScanResult, executeFinal, formatResult, formatTimestamp, parseTimestamp,
  planQuery, runScan, type QueryResult, type TableScan,
} from '../src/query/index.js';
import { parseInterval } from '../src/query/time.js';

const T0 = 1704067200000000000n; // 2024-01-01T00:00:00Z
const H = 3_600_000_000_000n;

const cols: ColumnSchema[] = [
  { name: 'host', kind: 'tag' },
  { name: 'region', kind: 'tag' },
  { name: 'time', kind: 'time' },
  { name: 'usage', kind: 'field', type: 'float' },
  { name: 'n', kind: 'field', type: 'integer' },
  { name: 'ok', kind: 'field', type: 'boolean' },
  { name: 'msg', kind: 'field', type: 'string' },
  { name: 'u', kind: 'field', type: 'uinteger' },
];
const msgs = ['abc', 'ABC', 'a_c', 'a%c', null];
const rows: Record<string, unknown>[] = [];
for (let i = 0; i < 10; i++) {
  rows.push({
    host: `h${i % 3}`,
    region: i % 2 ? 'us' : null,
    time: T0 + BigInt(i - 3) * H + (i === 4 ? 123n : 0n),
    usage: i === 5 ? null : i * 1.5,
    n: BigInt(i),
    ok: i % 4 === 0,
    msg: msgs[i % 5],
    u: i === 9 ? 18446744073709551615n : BigInt(i),
  });
}
const memCols: ColumnSchema[] = [
  { name: 'host', kind: 'tag' },
  { name: 'time', kind: 'time' },
  { name: 'used', kind: 'field', type: 'integer' },
];
const memRows = [
  { host: 'h0', time: T0, used: 10n },
  { host: 'h1', time: T0 + H, used: 20n },
  { host: 'h7', time: T0, used: 30n },
];
const otherCols: ColumnSchema[] = [
  { name: 'host', kind: 'tag' },
  { name: 'time', kind: 'time' },
  { name: 'v', kind: 'field', type: 'float' },
];

const cluster = new FakeCluster(
  [
    { db: 'db', name: 'cpu', columns: cols, shardKeys: ['host'], rows },
    { db: 'db', name: 'mem', columns: memCols, rows: memRows },
    { db: 'other', name: 'm', columns: otherCols, rows: [{ host: 'h0', time: T0, v: 1.25 }] },
  ],
  3,
  (_r, _t, i) => i * 7,
);
t.teardown(() => cluster.close());
const NOW = T0 + 24n * H;

function q(sql: string): QueryResult {
  return cluster.query(sql, 'db', NOW);
}
function json(sql: string): unknown {
  return JSON.parse(formatResult(q(sql), 'json').body);
}
function errOf(fn: () => unknown): QueryError {
  try {
    fn();
  } catch (e) {
    if (e instanceof QueryError) return e;
    throw e;
  }
  throw new Error('expected a QueryError');
}
function planErr(sql: string, db = 'db'): QueryError {
  return errOf(() => cluster.plan(sql, db, NOW));
}

t.test('time parsing and formatting', async (t) => {
  t.equal(parseTimestamp('2024-01-01T00:00:00Z'), T0);
  t.equal(parseTimestamp('2024-01-01 00:00:00'), T0);
  t.equal(parseTimestamp('2024-01-01'), T0);
  t.equal(parseTimestamp('2024-01-01T02:00:00+02:00'), T0);
  t.equal(parseTimestamp('2023-12-31T18:30:00-0530'), T0);
  t.equal(parseTimestamp('2024-01-01T00:00:00.5Z'), T0 + 500_000_000n);
  t.equal(parseTimestamp('2024-01-01T00:00:00.123456789Z'), T0 + 123_456_789n);
  t.equal(parseTimestamp('1969-12-31T23:59:59.999999999Z'), -1n);
  t.equal(parseTimestamp('2024-02-30T00:00:00Z'), undefined);
  t.equal(parseTimestamp('2024-13-01'), undefined);
  t.equal(parseTimestamp('yesterday'), undefined);
  t.equal(formatTimestamp(0n), '1970-01-01T00:00:00');
  t.equal(formatTimestamp(T0), '2024-01-01T00:00:00');
  t.equal(formatTimestamp(T0 + 1_000_000n), '2024-01-01T00:00:00.001');
  t.equal(formatTimestamp(T0 + 1_000n), '2024-01-01T00:00:00.000001');
  t.equal(formatTimestamp(T0 + 1n), '2024-01-01T00:00:00.000000001');
  t.equal(formatTimestamp(T0 + 120_000_000n), '2024-01-01T00:00:00.120');
  t.equal(formatTimestamp(-1n), '1969-12-31T23:59:59.999999999');
  t.equal(formatTimestamp(951782400000000000n), '2000-02-29T00:00:00');
  t.same(parseInterval('1 hour'), { months: 0, days: 0, ns: H });
  t.same(parseInterval('5 minutes'), { months: 0, days: 0, ns: 300_000_000_000n });
  t.same(parseInterval('2 days 3 hours'), { months: 0, days: 2, ns: 3n * H });
  t.same(parseInterval('1.5 hours'), { months: 0, days: 0, ns: 5400_000_000_000n });
  t.same(parseInterval('1', 'HOUR'), { months: 0, days: 0, ns: H });
  t.same(parseInterval('1 year 2 months'), { months: 14, days: 0, ns: 0n });
  t.same(parseInterval('100 ms'), { months: 0, days: 0, ns: 100_000_000n });
  t.throws(() => parseInterval('3 fortnights'));
});

t.test('exact answers', async (t) => {
  t.same(json("SELECT * FROM cpu WHERE host = 'h0' ORDER BY time LIMIT 2"), [
    { host: 'h0', time: '2023-12-31T21:00:00', usage: 0, n: 0, ok: true, msg: 'abc', u: 0 },
    { host: 'h0', region: 'us', time: '2024-01-01T00:00:00', usage: 4.5, n: 3, ok: false, msg: 'a%c', u: 3 },
  ]);
  t.same(json('SELECT count(*), count(usage), sum(n), min(time), max(time), avg(n) FROM cpu'), [
    { 'count(*)': 10, 'count(cpu.usage)': 9, 'sum(cpu.n)': 45, 'min(cpu.time)': '2023-12-31T21:00:00', 'max(cpu.time)': '2024-01-01T06:00:00', 'avg(cpu.n)': 4.5 },
  ]);
  t.same(json('SELECT host, count(*) AS c, sum(usage) AS s FROM cpu GROUP BY host ORDER BY host'), [
    { host: 'h0', c: 4, s: 27 },
    { host: 'h1', c: 3, s: 18 },
    { host: 'h2', c: 3, s: 15 },
  ]);
  // NULLs sort last ascending and first descending (PostgreSQL/DataFusion defaults).
  t.same(q('SELECT n FROM cpu ORDER BY usage LIMIT 2').rows, [[0n], [1n]]);
  t.same(q('SELECT n FROM cpu ORDER BY usage DESC LIMIT 2').rows, [[5n], [9n]]);
  t.same(q('SELECT n FROM cpu ORDER BY usage ASC NULLS FIRST LIMIT 1').rows, [[5n]]);
  // LIKE is case-sensitive, ILIKE is not; backslash escapes.
  t.same(q("SELECT n FROM cpu WHERE msg LIKE 'a%' ORDER BY n").rows, [[0n], [2n], [3n], [5n], [7n], [8n]]);
  t.same(q("SELECT n FROM cpu WHERE msg ILIKE 'abc' ORDER BY n").rows, [[0n], [1n], [5n], [6n]]);
  t.same(q("SELECT n FROM cpu WHERE msg LIKE 'a\\%c' ORDER BY n").rows, [[3n], [8n]]);
  t.same(q("SELECT n FROM cpu WHERE msg LIKE 'a_c' ORDER BY n").rows, [[0n], [2n], [3n], [5n], [7n], [8n]]);
  t.same(q('SELECT 7 / 2, 7.0 / 2, -7 % 3').rows, [[3n, 3.5, -1n]]);
  // date_bin floors, also before the origin.
  t.same(json("SELECT date_bin(INTERVAL '1 day', time) AS d, count(*) AS c FROM cpu GROUP BY d ORDER BY d"), [
    { d: '2023-12-31T00:00:00', c: 3 },
    { d: '2024-01-01T00:00:00', c: 7 },
  ]);
  t.same(json("SELECT date_bin(INTERVAL '1 hour', TIMESTAMP '1969-12-31T23:30:00Z') AS d"), [{ d: '1969-12-31T23:00:00' }]);
  t.same(json("SELECT date_trunc('month', TIMESTAMP '2024-02-29T12:00:00Z') AS m, date_trunc('year', TIMESTAMP '2024-02-29T12:00:00Z') AS y, date_trunc('week', TIMESTAMP '2024-01-03T12:00:00Z') AS w"), [
    { m: '2024-02-01T00:00:00', y: '2024-01-01T00:00:00', w: '2024-01-01T00:00:00' },
  ]);
  t.same(json("SELECT extract(hour FROM time) AS h, date_part('dow', time) AS d FROM cpu WHERE n = 4"), [{ h: 1, d: 1 }]);
  t.same(json("SELECT time FROM cpu WHERE time > '2024-01-01T00:59:59Z' AND time < '2024-01-01T01:00:01Z'"), [{ time: '2024-01-01T01:00:00.000000123' }]);
  t.same(json("SELECT n FROM cpu WHERE time >= now() - INTERVAL '1 day' AND time < '2024-01-01T01:00:00Z' ORDER BY n"), [{ n: 3 }]);
  t.same(json("SELECT TIMESTAMP '2024-01-31T00:00:00Z' + INTERVAL '1 month' AS t"), [{ t: '2024-02-29T00:00:00' }]);
  t.same(json("SELECT n FROM cpu WHERE time = to_timestamp(1704067200)"), [{ n: 3 }]);
  // Empty input: global aggregates give one row, grouped ones none.
  t.same(json("SELECT count(*) AS c, max(usage) AS m FROM cpu WHERE host = 'nope'"), [{ c: 0 }]);
  t.same(json("SELECT host, count(*) FROM cpu WHERE host = 'nope' GROUP BY host"), []);
  t.same(json('SELECT count(*) AS c FROM cpu WHERE time > 10 AND time < 5'), [{ c: 0 }]);
  // Booleans and DISTINCT.
  t.same(json('SELECT ok, count(*) AS c FROM cpu GROUP BY ok ORDER BY ok'), [{ ok: false, c: 7 }, { ok: true, c: 3 }]);
  t.same(json('SELECT DISTINCT region FROM cpu ORDER BY region'), [{ region: 'us' }, {}]);
  t.same(json('SELECT count(DISTINCT host) AS h, count(DISTINCT region) AS r FROM cpu'), [{ h: 3, r: 1 }]);
  // Joins, subqueries, other databases, set operations.
  t.same(json('SELECT c.n, m.used FROM cpu c JOIN mem m ON c.host = m.host AND c.time = m.time ORDER BY c.n'), [{ n: 3, used: 10 }]);
  t.same(json('SELECT m.host, c.n FROM mem m LEFT JOIN cpu c ON c.host = m.host AND c.time = m.time ORDER BY m.host'), [
    { host: 'h0', n: 3 }, { host: 'h1' }, { host: 'h7' },
  ]);
  t.same(json('SELECT n FROM cpu WHERE usage > (SELECT avg(usage) FROM cpu) ORDER BY n'), [{ n: 6 }, { n: 7 }, { n: 8 }, { n: 9 }]);
  t.same(json('SELECT host, v FROM other.m'), [{ host: 'h0', v: 1.25 }]);
  t.same(json('SELECT c.n FROM cpu c JOIN other.m o ON c.host = o.host AND c.time = o.time'), [{ n: 3 }]);
  t.same(json('SELECT host FROM mem EXCEPT SELECT host FROM cpu'), [{ host: 'h7' }]);
  t.same(json("SELECT 'x' AS a UNION ALL SELECT 'y' ORDER BY a DESC"), [{ a: 'y' }, { a: 'x' }]);
  t.same(json('WITH w AS (SELECT host, n FROM cpu WHERE n > 7) SELECT host, n FROM w ORDER BY n'), [{ host: 'h2', n: 8 }, { host: 'h0', n: 9 }]);
  // uinteger: stored signed, compared, sorted and aggregated as unsigned.
  t.same(json('SELECT max(u) AS mx, min(u) AS mn FROM cpu'), [{ mx: 18446744073709551615, mn: 0 }]);
  t.equal(formatResult(q('SELECT max(u) AS mx FROM cpu'), 'json').body, '[{"mx":18446744073709551615}]');
  t.same(q('SELECT u FROM cpu ORDER BY u DESC LIMIT 2').rows, [[18446744073709551615n], [8n]]);
  t.same(q('SELECT n FROM cpu WHERE u > 8').rows, [[9n]]);
  t.same(q('SELECT n FROM cpu WHERE u = 18446744073709551615').rows, [[9n]]);
  t.same(q('SELECT count(*) FROM cpu WHERE u < 9223372036854775808').rows, [[9n]]);
  t.same(q('SELECT host, max(u) FROM cpu GROUP BY host ORDER BY host').rows, [['h0', 18446744073709551615n], ['h1', 7n], ['h2', 8n]]);
  // Functions.
  t.same(json("SELECT upper(host) AS a, length(msg) AS b, coalesce(msg, '-') AS c, concat(host, '/', region) AS d, round(usage) AS e FROM cpu WHERE n = 1"), [
    { a: 'H1', b: 3, c: 'ABC', d: 'h1/us', e: 2 },
  ]);
  t.same(json("SELECT CASE WHEN usage > 5 THEN 'hi' ELSE 'lo' END AS k, count(*) AS c FROM cpu GROUP BY 1 ORDER BY 1"), [{ k: 'hi', c: 5 }, { k: 'lo', c: 5 }]);
  t.same(json('SELECT CAST(time AS VARCHAR) AS s, time::bigint AS i FROM cpu WHERE n = 3'), [{ s: '2024-01-01T00:00:00', i: 1704067200000000000 }]);
});

t.test('column naming', async (t) => {
  t.same(q('SELECT host, count(*), avg(usage), count(DISTINCT region), min(c.time) FROM cpu c GROUP BY host').columns,
    ['host', 'count(*)', 'avg(c.usage)', 'count(DISTINCT c.region)', 'min(c.time)']);
  t.same(q('SELECT avg(cpu.usage), sum(n) AS total, usage * 2, 1 FROM cpu GROUP BY usage').columns,
    ['avg(cpu.usage)', 'total', 'cpu.usage * Int64(2)', 'Int64(1)']);
  t.same(q("SELECT date_trunc('hour', time) FROM cpu").columns, ['date_trunc(Utf8("hour"),cpu.time)']);
  t.same(q('SELECT * FROM mem').columns, ['host', 'time', 'used']);
  t.same(q('SELECT m.*, 1 AS one FROM mem m').columns, ['host', 'time', 'used', 'one']);
});

t.test('output formats', async (t) => {
  const r = q("SELECT host, time, usage, ok, msg FROM cpu WHERE n IN (0, 5) ORDER BY n");
  t.same(formatResult(r, 'json'), {
    contentType: 'application/json',
    body: '[{"host":"h0","time":"2023-12-31T21:00:00","usage":0.0,"ok":true,"msg":"abc"},{"host":"h2","time":"2024-01-01T02:00:00","ok":false,"msg":"abc"}]',
  });
  t.same(formatResult(r, 'jsonl'), {
    contentType: 'application/jsonl',
    body: '{"host":"h0","time":"2023-12-31T21:00:00","usage":0.0,"ok":true,"msg":"abc"}\n{"host":"h2","time":"2024-01-01T02:00:00","ok":false,"msg":"abc"}\n',
  });
  t.same(formatResult(r, 'csv'), {
    contentType: 'text/csv',
    body: 'host,time,usage,ok,msg\nh0,2023-12-31T21:00:00,0.0,true,abc\nh2,2024-01-01T02:00:00,,false,abc\n',
  });
  t.same(formatResult(r, 'pretty'), {
    contentType: 'text/plain; charset=utf-8',
    body: [
      '+------+---------------------+-------+-------+-----+',
      '| host | time                | usage | ok    | msg |',
      '+------+---------------------+-------+-------+-----+',
      '| h0   | 2023-12-31T21:00:00 | 0.0   | true  | abc |',
      '| h2   | 2024-01-01T02:00:00 |       | false | abc |',
      '+------+---------------------+-------+-------+-----+',
      '',
    ].join('\n'),
  });
  t.equal(formatResult(q("SELECT 'a,b' AS x, 'q\"' AS y"), 'csv').body, 'x,y\n"a,b","q"""\n');
  t.equal(formatResult(q("SELECT host FROM cpu WHERE host = 'none'"), 'json').body, '[]');
  t.equal(formatResult(q("SELECT host FROM cpu WHERE host = 'none'"), 'jsonl').body, '');
  t.equal(formatResult(q('SELECT 9007199254740993 AS big, 1.5e300 AS f'), 'json').body, '[{"big":9007199254740993,"f":1.5e300}]');
});

t.test('SHOW TABLES, SHOW COLUMNS, information_schema', async (t) => {
  const tables = q('SHOW TABLES');
  t.same(tables.columns, ['table_catalog', 'table_schema', 'table_name', 'table_type']);
  t.same(tables.rows.filter((r) => r[1] === 'iox'), [['public', 'iox', 'cpu', 'BASE TABLE'], ['public', 'iox', 'mem', 'BASE TABLE']]);
  t.ok(tables.rows.some((r) => r[1] === 'information_schema' && r[2] === 'columns' && r[3] === 'VIEW'));
  t.equal(cluster.plan('SHOW TABLES', 'db', NOW).scans.length, 0);
  const c = q('SHOW COLUMNS FROM mem;');
  t.same(c.columns, ['table_catalog', 'table_schema', 'table_name', 'column_name', 'data_type', 'is_nullable']);
  t.same(c.rows, [
    ['public', 'iox', 'mem', 'host', 'Dictionary(Int32, Utf8)', 'YES'],
    ['public', 'iox', 'mem', 'time', 'Timestamp(Nanosecond, None)', 'NO'],
    ['public', 'iox', 'mem', 'used', 'Int64', 'YES'],
  ]);
  t.same(q('show columns in "mem"').rows.length, 3);
  t.same(q("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'cpu' AND column_name IN ('u', 'ok') ORDER BY 1").rows,
    [['ok', 'Boolean'], ['u', 'UInt64']]);
  t.equal(planErr('SHOW COLUMNS FROM nope').status, 400);
  t.equal(planErr('SHOW DATABASES').status, 400);
});

t.test('errors', async (t) => {
  const e404 = planErr('SELECT 1', 'nodb');
  t.equal(e404.status, 404);
  t.equal(e404.message, 'database not found: nodb');
  t.equal(planErr('SELECT * FROM nodb.cpu').status, 404);
  const noTable = planErr('SELECT * FROM nope');
  t.equal(noTable.status, 400);
  t.match(noTable.message, /nope/);
  t.match(planErr('SELECT nope FROM cpu').message, /No field named nope/);
  const parse = planErr('SELEC 1');
  t.equal(parse.status, 400);
  t.match(parse.message, /line 1, column 7/);
  for (const sql of [
    'SELECT row_number() OVER (ORDER BY time) FROM cpu',
    'SELECT selector_last(usage, time) FROM cpu',
    'INSERT INTO cpu (host) VALUES (1)',
    'DELETE FROM cpu',
    'SELECT 1; SELECT 2',
    'SELECT * FROM cpu WHERE time > $1',
    "SELECT date_bin(INTERVAL '1 month', time) FROM cpu",
    'SELECT * FROM system.queries',
    'EXPLAIN SELECT 1',
    "SELECT time AT TIME ZONE 'UTC' FROM cpu",
  ]) {
    const e = planErr(sql);
    t.equal(e.status, 400, sql);
    t.match(e.message, /unsupported/, `${sql}: ${e.message}`);
  }
  t.match(planErr('SELECT host, usage FROM cpu GROUP BY host').message, /GROUP BY/);
  t.match(planErr('SELECT host FROM cpu c JOIN mem m ON c.time = m.time').message, /ambiguous/);
  t.match(planErr("SELECT * FROM cpu WHERE time > 'last tuesday'").message, /timestamp/);
  t.match(planErr('SELECT nosuchfn(1)').message, /Invalid function/);
  t.match(planErr('SELECT count(*) FROM cpu WHERE count(*) > 1').message, /aggregate/);
  t.equal(errOf(() => q("SELECT iox_ts_parse(msg) FROM cpu")).status, 400);
});

t.test('pruning', async (t) => {
  const pr = (sql: string, i = 0) => cluster.plan(sql, 'db', NOW).scans[i]!.pruning;
  t.same(pr("SELECT * FROM cpu WHERE time >= '2024-01-01T00:00:00Z' AND time < '2024-01-02T00:00:00Z'"),
    { timeMin: T0, timeMax: T0 + 24n * H, tagEquals: {} });
  t.same(pr(`SELECT * FROM cpu WHERE time > ${T0} AND time <= ${T0 + H}`), { timeMin: T0 + 1n, timeMax: T0 + H + 1n, tagEquals: {} });
  t.same(pr("SELECT * FROM cpu WHERE time BETWEEN '2024-01-01' AND '2024-01-01T01:00:00Z'"), { timeMin: T0, timeMax: T0 + H + 1n, tagEquals: {} });
  t.same(pr("SELECT * FROM cpu WHERE '2024-01-01T00:00:00Z' = time"), { timeMin: T0, timeMax: T0 + 1n, tagEquals: {} });
  t.same(pr("SELECT * FROM cpu WHERE time > now() - interval '1 hour'"), { timeMin: NOW - H + 1n, tagEquals: {} });
  t.same(pr("SELECT * FROM cpu WHERE host = 'a' AND region IN ('x', 'y')"), { tagEquals: { host: ['a'], region: ['x', 'y'] } });
  t.same(pr("SELECT * FROM cpu WHERE host = 'a' OR host = 'b'"), { tagEquals: { host: ['a', 'b'] } });
  t.same(pr("SELECT * FROM cpu WHERE (host = 'a' AND time >= 10) OR (host = 'b' AND time >= 20)"), { timeMin: 10n, tagEquals: { host: ['a', 'b'] } });
  t.same(pr("SELECT * FROM cpu WHERE host = 'a' OR usage > 1"), { tagEquals: {} });
  t.same(pr("SELECT * FROM cpu WHERE host IN ('a', 'b') AND host = 'b'"), { tagEquals: { host: ['b'] } });
  t.same(pr("SELECT * FROM cpu WHERE host = 'a' AND host = 'b'"), { tagEquals: {}, empty: true });
  t.same(pr('SELECT * FROM cpu WHERE time >= 10 AND time < 5'), { timeMin: 10n, timeMax: 5n, tagEquals: {}, empty: true });
  t.same(pr('SELECT * FROM cpu WHERE false'), { tagEquals: {}, empty: true });
  t.same(pr("SELECT * FROM cpu WHERE NOT host = 'a'"), { tagEquals: {} });
  t.same(pr("SELECT host, count(*) FROM cpu WHERE host = 'h1' GROUP BY host"), { tagEquals: { host: ['h1'] } });
  // Joins: a LEFT JOIN's null-supplied side gets no pruning from WHERE, its ON conjuncts do.
  const j = "SELECT * FROM cpu c LEFT JOIN mem m ON c.host = m.host AND m.host = 'h1' WHERE c.host = 'h0' AND m.used > 5";
  t.same(pr(j, 0), { tagEquals: { host: ['h0'] } });
  t.same(pr(j, 1), { tagEquals: { host: ['h1'] } });
  t.same(pr("SELECT * FROM cpu c JOIN mem m ON c.host = m.host WHERE m.host = 'h1' AND c.time > 0", 1), { tagEquals: { host: ['h1'] } });
  // Subqueries are planned too.
  const sub = cluster.plan("SELECT * FROM cpu WHERE host IN (SELECT host FROM mem WHERE host = 'h7')", 'db', NOW);
  t.equal(sub.scans.length, 2);
  t.same(sub.scans.find((s) => s.table === 'mem')!.pruning, { tagEquals: { host: ['h7'] } });
  t.same(sub.scans.find((s) => s.table === 'cpu')!.pruning, { tagEquals: {} });
});

t.test('scan executor and wire encoding', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  db.exec("CREATE TABLE src (host TEXT, time INTEGER, v REAL); INSERT INTO src VALUES ('a', 9223372036854775807, 1.5), ('b', -5, NULL)");
  const scan: TableScan = {
    db: 'd', table: 't', relation: '__scan0', pruning: { tagEquals: {} },
    scanSql: 'SELECT "host", "time", "v", 1e999 AS inf FROM "__scan0"', columns: ['host', 'time', 'v', 'inf'], mode: 'raw',
  };
  const r = runScan(db, 'SELECT * FROM src', scan);
  t.same(r.columns, ['host', 'time', 'v', 'inf']);
  t.same(r.rows, [['a', 9223372036854775807n, 1.5, Infinity], ['b', -5n, null, Infinity]]);
  const wire = JSON.parse(JSON.stringify(encodeScanResult(r)));
  t.same(decodeScanResult(wire), r);
  // Refuses statements that write.
  for (const bad of ['DELETE FROM src', 'INSERT INTO src VALUES (1, 2, 3)', 'DROP TABLE src']) {
    const e = errOf(() => runScan(db, 'SELECT * FROM src', { ...scan, scanSql: bad }));
    t.equal(e.status, 400, bad);
  }
  t.equal(db.prepare('SELECT count(*) AS c FROM src').get() !== undefined, true);
  t.equal((db.prepare('SELECT count(*) AS c FROM src').get() as { c: number }).c, 2);
  // A relation nobody answered for is empty in the final stage.
  const plan = planQuery('SELECT count(*) AS c, max(v) AS m FROM t', 'd', {
    databaseExists: () => true,
    tableColumns: () => [{ name: 'time', kind: 'time' }, { name: 'v', kind: 'field', type: 'float' }],
    tableNames: () => ['t'],
    shardKeys: () => [],
  }, 0n);
  t.same(executeFinal(plan, new Map()).rows, [[0n, null]]);
  t.throws(() => decodeScanResult({ columns: ['a'], rows: [[1, 2]] }));
});
