// Query limits on real nodes: a heavy or malformed query gets a clear 400 naming the limit, within
// the time limit, while /health on every node keeps answering and the node keeps serving queries.
import t from 'tap';
import { TestCluster, waitFor } from './helpers/cluster.js';
import { parseConfig, ConfigError } from '../src/config.js';

// Long enough that the scans feeding the row-limit test finish on a loaded machine, and that a
// node whose event loop the query blocked could not answer /health within HEALTH_MS.
const TIMEOUT_MS = 4000;
const HEALTH_MS = 2000;
const c = await TestCluster.start({
  ids: ['a', 'b'],
  extraArgs: ['--query-timeout', `${TIMEOUT_MS}ms`, '--query-max-rows', '50000', '--query-max-string-length', '100000'],
});
t.teardown(async () => {
  if (!t.passing()) for (const id of ['a', 'b']) t.comment(`node ${id} log tail:\n${c.node(id).log.slice(-15).join('\n')}`);
  await c.teardown();
});

t.before(async () => {
  const must = (what: string, status: number, want: number) => {
    if (status !== want) throw new Error(`${what}: ${status}`);
  };
  must('create db', (await c.json('a', 'POST', '/api/v3/configure/database', { db: 'q' })).status, 200);
  // One shard, RF=1: scans of `big` from one of the nodes are remote scans on the other.
  must('create table', (await c.json('a', 'POST', '/api/v3/configure/table', { db: 'q', table: 'big', tags: ['host'], fields: [{ name: 'v', type: 'int64' }], replication_factor: 1 })).status, 200);
  const lines = Array.from({ length: 3000 }, (_, i) => `big,host=${i % 7 === 0 ? 'a'.repeat(40) + '!' : `h${i % 50}`} v=${i}i ${i + 1}`);
  must('write', (await c.write('a', 'q', lines)).status, 204);
  const shards = (await c.json('a', 'GET', '/api/v3/cluster/shards?db=q&table=big')).body;
  owner = shards.shards[0].node_ids[0];
  // Executor processes start on first use; start them now so the timings below measure the limits.
  await Promise.all(['a', 'b', 'a', 'b'].map((id) => c.query(id, 'q', 'SELECT count(*) FROM big')));
  other = owner === 'a' ? 'b' : 'a';
});
let owner = 'b';
let other = 'a';

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; r: T }> {
  const t0 = performance.now();
  const r = await f();
  return { ms: performance.now() - t0, r };
}

/** Runs `sql` on node `via` while polling /health on both nodes; returns the answer and the slowest /health. */
async function heavy(via: string, sql: string): Promise<{ status: number; error: string; ms: number; slowestHealthMs: number }> {
  let done = false;
  let slowest = 0;
  const poll = (async () => {
    while (!done) {
      for (const id of ['a', 'b']) {
        const h = await timed(() => fetch(`${c.url(id)}/health`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status));
        if (h.r !== 200) slowest = Number.POSITIVE_INFINITY;
        slowest = Math.max(slowest, h.ms);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const q = await timed(() => c.query(via, 'q', sql));
  done = true;
  await poll;
  return { status: q.r.status, error: String(q.r.body?.error ?? ''), ms: q.ms, slowestHealthMs: slowest };
}

t.test('a long final stage is stopped at the time limit; /health stays prompt', async (t) => {
  const r = await heavy('a', 'SELECT count(*) FROM big x, big y, big z');
  t.equal(r.status, 400);
  t.match(r.error, /query exceeded the time limit of 4000 ms during the final stage \(--query-timeout\)/);
  t.ok(r.ms < TIMEOUT_MS + 5000, `answered in ${Math.round(r.ms)} ms`);
  t.ok(r.slowestHealthMs < HEALTH_MS, `slowest /health during the query: ${Math.round(r.slowestHealthMs)} ms`);
  const after = await c.query('a', 'q', 'SELECT count(*) AS n FROM big');
  t.same(after.body, [{ n: 3000 }], 'the node keeps serving queries');
});

t.test('a scan a peer runs for us is bounded by the time limit too', async (t) => {
  // The regex is pushed into the scan on node b and backtracks exponentially on 'aaa…!'.
  const r = await heavy(other, "SELECT count(*) FROM big WHERE host ~ '^(a+)+$'");
  t.equal(r.status, 400);
  t.match(r.error, new RegExp(`remote scan on node ${owner} failed`));
  t.match(r.error, /: query exceeded the time limit of \d+ ms during a shard scan/);
  t.ok(r.slowestHealthMs < HEALTH_MS, `slowest /health during the query: ${Math.round(r.slowestHealthMs)} ms`);
});

t.test('rows and bytes: a stage producing too much gets 400 naming the limit', async (t) => {
  const r = await c.query('a', 'q', 'SELECT x.v, y.v FROM big x, big y');
  t.equal(r.status, 400);
  t.match(r.body.error, /the final stage produced more than the limit of 50000 rows \(--query-max-rows\)/);
});

t.test('string functions cannot build huge strings', async (t) => {
  const cases: Array<[string, string]> = [
    ["SELECT lpad('x', 2147483647)", 'lpad'],
    ["SELECT rpad('x', 2147483647, 'ab')", 'rpad'],
    ["SELECT repeat('ab', 1000000000)", 'repeat'],
    ["SELECT replace(replace(repeat('a', 1000), 'a', repeat('b', 1000)), 'b', repeat('c', 1000))", 'replace'],
    ["SELECT regexp_replace(repeat('a', 1000), 'a', repeat('b', 1000), 'g')", 'regexp_replace'],
    ["SELECT concat(repeat('a', 60000), repeat('b', 60000))", 'concat'],
    [`SELECT ${"'xxxxxxxxxx'" + " || 'xxxxxxxxxx'".repeat(1)} AS ok`, ''],
  ];
  // Each || doubles: 10 chars doubled 14 times is past 100,000.
  let doubling = "SELECT 'xxxxxxxxxx' AS s";
  for (let i = 0; i < 14; i++) doubling = `SELECT s || s AS s FROM (${doubling}) d${i}`;
  cases.push([`SELECT length(s) FROM (${doubling}) d`, '\\|\\|']);
  for (const [sql, fn] of cases) {
    const r = await timed(() => c.query('a', 'q', sql));
    if (!fn) {
      t.equal(r.r.status, 200, sql);
      continue;
    }
    t.equal(r.r.status, 400, sql.slice(0, 60));
    t.match(r.r.body.error, new RegExp(`^${fn} would build a string longer than the limit of 100000 characters \\(--query-max-string-length\\)`));
    t.ok(r.ms < 3000, `${fn}: ${Math.round(r.ms)} ms (building the string would take far longer)`);
  }
});

t.test('malformed nested brackets get a positioned 400 at once', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['SELECT ' + '('.repeat(40) + '1 +', /^SQL error: ParserError at line 1, column 47: '\(' is never closed$/],
    ['SELECT ' + '('.repeat(30) + '1 +' + ')'.repeat(30) + ' FROM big', /^SQL error: ParserError at line 1, column \d+: the parser gave up/],
    ['SELECT * FROM big WHERE ' + '('.repeat(25) + 'v = ' + ')'.repeat(25), /^SQL error: ParserError at line 1, column \d+: the parser gave up/],
    ['SELECT 1 + )', /^SQL error: ParserError at line 1, column 12: '\)' closes nothing$/],
    ['SELECT ' + '('.repeat(100) + '1' + ')'.repeat(100), /^SQL error: ParserError at line 1, column 72: brackets nested deeper than 64 levels$/],
  ];
  for (const [sql, want] of cases) {
    const r = await timed(() => c.query('a', 'q', sql));
    t.equal(r.r.status, 400, sql.slice(0, 50));
    t.match(r.r.body.error, want);
    t.ok(r.ms < 3000, `answered in ${Math.round(r.ms)} ms (the unguarded parser takes 12-28 s)`);
  }
  // Valid deep nesting still parses.
  const ok = await c.query('a', 'q', 'SELECT ' + '('.repeat(30) + '1' + ')'.repeat(30) + ' AS one');
  t.same(ok.body, [{ one: 1 }]);
});

t.test('the limits are flags with PHANTOM_* variables', async (t) => {
  const base = ['--node-id', 'n', '--data-dir', '/tmp/x'];
  const cfg = parseConfig([...base, '--query-timeout', '2s'], { PHANTOM_QUERY_MAX_ROWS: '7', PHANTOM_QUERY_MAX_BYTES: '9', PHANTOM_QUERY_MAX_STRING_LENGTH: '11' });
  t.same(cfg !== 'help' && cfg.queryLimits, { timeoutMs: 2000, maxRows: 7, maxBytes: 9, maxStringLength: 11 });
  const error = (argv: string[], env: Record<string, string>) => {
    try {
      parseConfig([...base, ...argv], env);
    } catch (e) {
      return e instanceof ConfigError ? e.message : `not a ConfigError: ${e}`;
    }
    return 'accepted';
  };
  t.match(error(['--query-timeout', 'banana'], {}), /--query-timeout 'banana' is not a duration/);
  t.match(error(['--query-max-rows=0'], {}), /--query-max-rows must be a positive integer/);
  t.match(error([], { PHANTOM_QUERY_MAX_BYTES: '1.5' }), /--query-max-bytes must be a positive integer/);
});

t.test('both nodes are still up', async (t) => {
  for (const id of ['a', 'b']) {
    t.equal(c.node(id).proc!.exitCode, null, `node ${id} did not exit`);
    await waitFor(async () => (await fetch(`${c.url(id)}/health`)).status === 200, 2000);
  }
});
