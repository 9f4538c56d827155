// Seeded fuzz of the HTTP surface against a real two-node cluster: raw requests over TCP
// (mutated targets, bad escapes, odd methods and headers, bad Content-Length, truncation) and
// mutated JSON bodies to every JSON endpoint, internal ones included. Bad input must never get
// a 5xx, exit a node or wedge it. Reproduce a failure with the seed it prints:
//   PHANTOM_FUZZ_SEED=<seed> npx tap reference-server/test/fuzz-http.test.ts
import t from 'tap';
import { fuzzSettings } from './helpers/fuzz-settings.js';
import { TestCluster } from './helpers/cluster.js';
import { rawRequest, type RawReply } from './helpers/raw-http.js';

/** PHANTOM_FUZZ_COUNT is the number of JSON bodies; raw probes are a tenth of it. Stop after the budget, whatever the counts. */
const { seed: SEED, count: JSON_BODIES, budgetMs: BUDGET_MS } = fuzzSettings({ seed: 5, count: 2000, budgetMs: 0 });
const RAW_PROBES = Math.ceil(JSON_BODIES / 10);
const CONCURRENCY = 8;
const REPRO = `PHANTOM_FUZZ_SEED=${SEED} npx tap reference-server/test/fuzz-http.test.ts`;
t.comment(`fuzz seed ${SEED} (reproduce: ${REPRO})`);

/** mulberry32: small, seedable, good enough to pick mutations. */
function rng(seed: number): { int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)]!, chance: (p) => next() < p };
}
const r = rng(SEED);

const c = await TestCluster.start({ ids: ['a', 'b'] });
t.teardown(() => c.teardown());
const ports = { a: c.node('a').port, b: c.node('b').port };

// Fixtures the mutated requests aim at: a database, a table, a shard on each node.
// (Thrown, not asserted: a top-level assertion with no subtest queued yet ends tap's root test.)
const T0 = '1700000000000000000';
async function fixture(what: string, want: number, req: Promise<{ status: number; text: string }>): Promise<void> {
  const res = await req;
  if (res.status !== want) throw new Error(`fixture ${what}: ${res.status} ${res.text}`);
}
await fixture('database', 200, c.request('a', 'POST', '/api/v3/configure/database', { db: 'fz' }));
await fixture('table', 200, c.request('a', 'POST', '/api/v3/configure/table', { db: 'fz', table: 'cpu', tags: ['host'], fields: [{ name: 'usage', type: 'float64' }], replication_factor: 2 }));
await fixture('write', 204, c.write('a', 'fz', `cpu,host=h1 usage=1 ${T0}`));
const shardId = (await c.json('a', 'GET', '/api/v3/cluster/shards?db=fz&table=cpu')).body.shards[0].id as number;
const clusterId = (await c.json('a', 'GET', '/internal/catalog/log?from=1')).body.cluster_id as string;

interface Failure {
  what: string;
  status: number;
  reply: string;
}
const failures: Failure[] = [];
let fiveXx = 0;

function check(what: string, status: number, reply: string, allowNoAnswer: boolean, timedOut = false): void {
  if (status >= 500 || timedOut || (status === 0 && !allowNoAnswer)) {
    if (status >= 500) fiveXx++;
    failures.push({ what, status: timedOut ? -1 : status, reply: reply.slice(0, 300) });
  }
}

async function assertClusterServes(after: string): Promise<void> {
  for (const id of ['a', 'b'] as const) {
    const n = c.node(id);
    if (n.proc!.exitCode !== null || n.proc!.signalCode !== null) {
      throw new Error(`node ${id} exited (${n.proc!.exitCode ?? n.proc!.signalCode}) after ${after}; seed ${SEED}; ${REPRO}\n${n.log.slice(-20).join('\n')}`);
    }
    const health = await fetch(`${n.url}/health`, { signal: AbortSignal.timeout(5000) }).then((res) => res.status, (err: Error) => `error ${err.message}`);
    if (health !== 200) throw new Error(`node ${id} /health is ${health} after ${after}; seed ${SEED}; ${REPRO}`);
  }
}

/** Runs `job` over generated cases with bounded concurrency, stopping once the deadline passes. */
async function runBounded(count: number, deadline: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count && Date.now() < deadline) {
        await job(next++);
        done++;
      }
    }),
  );
  return done;
}

// ---- raw requests -------------------------------------------------------------------------

const PATHS = [
  '/health', '/ping', '/metrics', '/api/v3/query_sql?db=fz&q=SELECT%201', '/api/v3/write_lp?db=fuzz_raw', '/api/v2/write?bucket=fuzz_raw', '/write?db=fuzz_raw',
  '/api/v3/configure/database', '/api/v3/configure/table?db=fuzz_raw&table=t', '/api/v3/cluster/nodes', '/api/v3/cluster/nodes/zz/status',
  `/api/v3/cluster/shards/${shardId}`, `/api/v3/cluster/shards/${shardId}/checksum?local=true`, '/api/v3/cluster/route?db=fz&table=cpu&host=h1&time=1',
  '/internal/catalog/log?from=1', `/internal/shards/${shardId}/digest`, `/internal/shards/${shardId}/rows?bucket=1&limit=10&after_time=0`,
];
const ODD_TARGETS = ['//[', 'http://[/', '//a:99999/', 'http://a:b@/', 'http://a:99999/health', '*', 'example.com:80', 'http://x/%', '/%', '/%%', '/\\\\x', '/..%2f..', '?', '#'];
const INSERTS = ['%', '%z', '%zz', '%00', '%C0%AF', '%ff', '[', ']', '@', ':', '//', '\\', '?', '&&', '=', '#', '..', ';', 'é', '💥', '%E2%82', '{', '|', '^', '`', 'x'.repeat(3000)];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'FOO', 'get', 'CONNECT', 'G-T', ''];

function mutateTarget(): string {
  if (r.chance(0.15)) return r.pick(ODD_TARGETS);
  let p = r.pick(PATHS);
  for (let n = 1 + r.int(3); n > 0; n--) {
    const at = r.int(p.length + 1);
    p = r.chance(0.2) ? p.slice(0, at) + p.slice(at + 1 + r.int(4)) : p.slice(0, at) + r.pick(INSERTS) + p.slice(at);
  }
  return p;
}

function oddHeaders(body: string): string[] {
  const h = ['Host: x'];
  const pool = [
    () => `Content-Length: ${r.pick(['-1', 'nope', '1e3', '99999999999999999999', ' 5', '0x10', String(body.length + 7)])}`,
    () => `Content-Length: ${body.length}\r\nContent-Length: ${body.length + 1}`,
    () => 'Transfer-Encoding: chunked',
    () => `Transfer-Encoding: chunked\r\nContent-Length: ${body.length}`,
    () => 'Content-Encoding: gzip',
    () => `X-Phantom-Catalog-Version: ${r.pick(['nope', '-1', '1e309', '99999999', '2'])}`,
    () => `X-Phantom-Node: ${r.pick(['', 'zz', 'a'.repeat(500), 'b'])}`,
    () => `X-Phantom-Trace-Id: ${r.pick(['', 'é', 'x'.repeat(2000)])}`,
    () => `Authorization: ${r.pick(['Bearer', 'Token ', 'Basic eA==', 'Bearer é'])}`,
    () => 'Host: y',
    () => 'Bad Header: x',
    () => 'X-Folded: a\r\n b',
    () => `X-Big: ${'x'.repeat(20_000 + r.int(80_000))}`,
    () => 'Expect: 100-continue',
    () => 'Connection: keep-alive, Upgrade\r\nUpgrade: websocket',
  ];
  for (let n = r.int(3); n > 0; n--) h.push(r.pick(pool)());
  return h;
}

t.test(`raw requests never get a 5xx or exit a node (seed ${SEED})`, async (t) => {
  const started = Date.now();
  const deadline = started + BUDGET_MS / 3;
  const rawStatuses = new Map<number, number>();
  const bodies = ['', '{"db":"fuzz_raw"}', 'cpu,host=a usage=1', '\x00\xff', 'null', '[['];
  // Generated up front, so the seed alone fixes every request whatever the timing.
  const probes = Array.from({ length: RAW_PROBES }, () => {
    const port = r.chance(0.5) ? ports.a : ports.b;
    if (r.chance(0.1)) {
      // A well-formed request to a body-reading endpoint whose body never fully arrives.
      const body = '{"db":"fuzz_raw","q":"SELECT 1"}'.slice(0, r.int(30));
      const path = r.pick(['/api/v3/configure/database', '/api/v3/query_sql', '/api/v3/write_lp?db=fuzz_raw', '/internal/write', '/internal/scan']);
      return { bytes: `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length + 1 + r.int(100)}\r\n\r\n${body}`, port };
    }
    const target = mutateTarget();
    const body = r.pick(bodies);
    const bytes = `${r.pick(METHODS)} ${target} HTTP/1.1\r\n${oddHeaders(body).join('\r\n')}\r\nConnection: close\r\n\r\n${body}`;
    return { bytes: r.chance(0.15) ? bytes.slice(0, r.int(bytes.length)) : bytes, port };
  });
  const sent = await runBounded(RAW_PROBES, deadline, async (i) => {
    const { bytes, port } = probes[i]!;
    const reply: RawReply = await rawRequest(port, Buffer.from(bytes, 'utf8'), 5000);
    rawStatuses.set(reply.status, (rawStatuses.get(reply.status) ?? 0) + 1);
    // A request cut short or framed so the server waits for more may go unanswered: the socket
    // closing (we half-closed) is then the answer. A 5xx or silence past the timeout never is.
    check(`raw probe ${i}: ${JSON.stringify(bytes.slice(0, 300))}`, reply.status, reply.text, true, reply.timedOut);
    if (i % 50 === 49) await assertClusterServes(`raw probe ${i}`);
  });
  await assertClusterServes('the raw probes');
  t.comment(`raw probes sent: ${sent} in ${Date.now() - started} ms; statuses (0: closed unanswered): ${JSON.stringify(Object.fromEntries(rawStatuses))}`);
  t.ok(sent >= Math.min(RAW_PROBES, 100), `at least 100 raw probes ran (${sent})`);
});

// ---- JSON bodies --------------------------------------------------------------------------

const WEIRD: unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 2 ** 31, '', ' ', 'x', 'é💥', '%zz', '../..', 'constructor', '__proto__', 'toString',
  'SELECT', 'true', '1h', '-5s', '2024-13-45', 'http://[', 'x'.repeat(5000), [], [null], [[]], {}, { toString: 1 }, { valueOf: 1 }, { $n: '1' },
  { $n: 'nope' }, { $n: '99999999999999999999999' }, { a: { b: { c: [1, [2, [3]]] } } },
];
const SQL = ['SELECT * FROM cpu', 'SELECT', 'SELECT * FROM nope', "SELECT 'x' FROM cpu WHERE host = '", 'DROP TABLE cpu', 'SELECT (((((1)))))', ''];

/** Endpoints with a valid body each; mutations start from it. Destructive seeds aim at throwaway names. */
function seeds(): Array<{ method: string; node: 'a' | 'b'; path: string; body: unknown }> {
  const point = ['cpu', { host: 'h1' }, ['usage', 0, 2.5], T0];
  return [
    { method: 'POST', node: 'a', path: '/api/v3/query_sql', body: { db: 'fz', q: 'SELECT * FROM cpu', format: 'json', local: false } },
    { method: 'POST', node: 'b', path: '/api/v3/configure/database', body: { db: 'fz_db' } },
    {
      method: 'POST', node: 'a', path: '/api/v3/configure/table',
      body: { db: 'fz', table: 'fz_t', tags: ['h'], fields: [{ name: 'v', type: 'int64' }], shard_keys: ['h'], num_hash_partitions: 2, replication_factor: 1, consistency: 'one', partition_duration: '1h' },
    },
    { method: 'POST', node: 'b', path: '/api/v3/cluster/shards', body: { db: 'fz', table: 'cpu', shards: [{ name: 's', time_range: ['2031-01-01T00:00:00Z', '2031-01-02T00:00:00Z'], hash_range: [0, 2 ** 32], node_ids: ['a'] }] } },
    { method: 'POST', node: 'a', path: '/api/v3/cluster/nodes', body: { id: 'fz-node', url: 'http://127.0.0.1:1', status: 'Joining' } },
    { method: 'PUT', node: 'a', path: '/api/v3/cluster/nodes/nosuch/status', body: { status: 'Inactive' } },
    { method: 'POST', node: 'b', path: '/internal/catalog/append', body: { cluster_id: 'another-cluster', version: 999999, entries: [{ index: 999999, command: { type: 'create_database', db: 'x' } }] } },
    { method: 'POST', node: 'a', path: '/internal/catalog/propose', body: { kind: 'ensure_schema', db: 'fz', tables: [{ table: 'cpu', columns: [{ name: 'host', kind: 'tag' }] }] } },
    { method: 'POST', node: 'a', path: '/internal/catalog/propose', body: { kind: 'command', command: { type: 'create_database', db: 'fz_prop', if_not_exists: true } } },
    { method: 'POST', node: 'a', path: '/internal/catalog/propose', body: { kind: 'ensure_shards', db: 'fz', tables: [{ table: 'cpu', points: [[{ $n: T0 }, 5]] }] } },
    { method: 'POST', node: 'b', path: '/internal/write', body: { entries: [{ db: 'fz', table: 'cpu', shard: shardId, ver: 1, points: [point] }], sync: false } },
    {
      method: 'POST', node: 'b', path: '/internal/scan',
      body: { scan: { db: 'fz', table: 'cpu', relation: 'cpu', pruning: { tagEquals: { host: ['h1'] }, timeMin: { $n: '0' } }, scanSql: 'SELECT * FROM "cpu"', columns: ['time', 'host', 'usage'], mode: 'raw' }, shards: [shardId] },
    },
  ];
}

/** Every container (object or array) inside `v`, with `v` itself first. */
function containers(v: unknown, out: Array<Record<string, unknown> | unknown[]> = []): Array<Record<string, unknown> | unknown[]> {
  if (v !== null && typeof v === 'object') {
    out.push(v as Record<string, unknown>);
    for (const x of Object.values(v)) containers(x, out);
  }
  return out;
}

function mutateValue(body: unknown): void {
  const all = containers(body);
  const target = r.pick(all);
  const keys = Object.keys(target);
  const key = keys.length > 0 ? r.pick(keys) : '0';
  const t2 = target as Record<string, unknown>;
  switch (r.int(6)) {
    case 0:
      t2[key] = structuredClone(r.pick(WEIRD));
      break;
    case 1:
      if (Array.isArray(target)) target.splice(Number(key), 1);
      else delete t2[key];
      break;
    case 2:
      t2[key] = [t2[key]];
      break;
    case 3:
      t2[key] = typeof t2[key] === 'string' ? r.pick(SQL) : (JSON.stringify(t2[key]) ?? 'undefined');
      break;
    case 4:
      if (Array.isArray(target)) target.push(structuredClone(target[0] ?? null));
      else t2[r.pick(['extra', 'db', 'type', 'kind', '$n', '__proto__'])] = structuredClone(r.pick(WEIRD));
      break;
    default:
      t2[key] = typeof t2[key] === 'number' ? r.pick([-1, 0, 2 ** 31, 1e21, 0.5, NaN]) : { nested: t2[key] };
  }
}

function mutateText(text: string): string {
  const at = r.int(text.length + 1);
  switch (r.int(5)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + r.pick(['"', '{', '[', ',', '}', ']', '\\', '\\u', '\x00', 'é', ':']) + text.slice(at);
    case 2:
      return text.replace(/"(\w+)":/, '"$1":1,"$1":'); // a duplicated key
    case 3:
      return '['.repeat(50 + r.int(100_000)) + text;
    default:
      return r.pick(['null', '[]', '5', '"s"', 'true', '', ' ', '{}', '{"a":', '\ufeff{}']);
  }
}

t.test(`mutated JSON bodies never get a 5xx or exit a node (seed ${SEED})`, async (t) => {
  const started = Date.now();
  const deadline = started + (BUDGET_MS * 2) / 3;
  const statuses = new Map<number, number>();
  const cases = Array.from({ length: JSON_BODIES }, () => {
    const seed = r.pick(seeds());
    const body = structuredClone(seed.body);
    for (let n = r.int(3); n >= 0; n--) mutateValue(body);
    const text = JSON.stringify(body);
    return { seed, text: r.chance(0.25) ? mutateText(text) : text };
  });
  const sent = await runBounded(JSON_BODIES, deadline, async (i) => {
    const { seed, text } = cases[i]!;
    const res = await fetch(`${c.url(seed.node)}${seed.path}`, { method: seed.method, body: text, signal: AbortSignal.timeout(10_000) }).then(
      async (res) => ({ status: res.status, text: await res.text() }),
      (err: Error) => ({ status: 0, text: `request failed: ${err.message}` }),
    );
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    check(`body ${i}: ${seed.method} ${seed.path} ${text.slice(0, 300)}`, res.status, res.text, false);
    if (i % 500 === 499) await assertClusterServes(`JSON body ${i}`);
  });
  await assertClusterServes('the JSON bodies');
  t.comment(`JSON bodies sent: ${sent} in ${Date.now() - started} ms; statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  t.ok(sent >= Math.min(JSON_BODIES, 1000), `at least 1000 JSON bodies ran (${sent})`);
});

t.test(`no 5xx, hang or dropped answer (seed ${SEED})`, async (t) => {
  // A 5xx whose client had already gone still shows in the node's log.
  for (const id of ['a', 'b']) {
    for (const line of c.node(id).log) {
      if (/"msg":"request failed"/.test(line) && /"status":5\d\d/.test(line)) failures.push({ what: `node ${id} logged`, status: 500, reply: line.slice(0, 300) });
    }
  }
  t.comment(`5xx answers: ${fiveXx}; failures: ${failures.length}`);
  t.same(failures.slice(0, 20), [], `seed ${SEED}; reproduce: ${REPRO}`);
});
