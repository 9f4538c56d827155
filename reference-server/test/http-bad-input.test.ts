// Bad input never kills a node or gets a 5xx: odd request targets (before authentication),
// malformed escapes, non-object and nested JSON, wrong-typed fields, garbled peer bodies.
import t from 'tap';
import { TestCluster } from './helpers/cluster.js';
import { rawGet, rawRequest } from './helpers/raw-http.js';

const TOKEN = 'fuzz-token-123';
const c = await TestCluster.start({ ids: ['solo'], token: TOKEN });
t.teardown(() => c.teardown());
const port = c.node('solo').port;

const errorOf = (text: string): string => JSON.parse(text).error;

async function assertAlive(t: Tap.Test): Promise<void> {
  t.equal(c.node('solo').proc!.exitCode, null, 'the node is still running');
  t.equal((await c.request('solo', 'GET', '/health')).status, 200, '/health still answers 200');
}

t.test('request targets URL parsing rejects are 4xx, and the node keeps serving', async (t) => {
  for (const target of ['//[', 'http://[/', '//a:99999/', 'http://a:b@/', 'http://a:99999/health', '*']) {
    const r = await rawGet(port, target);
    t.ok(r.status >= 400 && r.status < 500, `${target}: ${r.status} ${r.body}`);
    t.match(JSON.parse(r.body).error, /\S/, `${target}: the error says why`);
  }
  t.match(JSON.parse((await rawGet(port, 'http://[/')).body).error, /invalid request target 'http:\/\/\[\/'/);
  await assertAlive(t);
});

t.test('requests the HTTP parser refuses get a 400 with a reason', async (t) => {
  const r = await rawRequest(port, 'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n');
  t.equal(r.status, 400);
  t.match(JSON.parse(r.body).error, /malformed HTTP request/);
  await assertAlive(t);
});

t.test('a client that hangs up mid-body is not a server error', async (t) => {
  const r = await rawRequest(port, `POST /api/v3/configure/database HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\n{"db"`);
  t.ok(r.status === 0 || r.status === 400, `answered ${r.status}`);
  const logged = () => c.node('solo').log.filter((l) => /"msg":"request failed"/.test(l));
  t.equal(await c.metric('solo', 'phantom_http_requests_total', { path: '/api/v3/configure/database', status: '500' }), 0, 'no 500 counted');
  t.same(logged(), [], 'no server error logged');
});

t.test('a malformed % escape in a path parameter is a 400', async (t) => {
  const r = await c.request('solo', 'DELETE', '/api/v3/cluster/nodes/%zz');
  t.equal(r.status, 400);
  t.match(r.text, /path segment '%zz' has a malformed % escape/);
});

t.test('a token header with as many characters but more bytes is a 401', async (t) => {
  const forged = 'é'.repeat(TOKEN.length);
  const r = await rawRequest(port, Buffer.from(`GET /api/v3/configure/database HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${forged}\r\nConnection: close\r\n\r\n`, 'latin1'));
  t.equal(r.status, 401);
  await assertAlive(t);
});

const JSON_ENDPOINTS: Array<[string, string]> = [
  ['POST', '/api/v3/query_sql'],
  ['POST', '/api/v3/configure/database'],
  ['POST', '/api/v3/configure/table'],
  ['POST', '/api/v3/cluster/shards'],
  ['POST', '/api/v3/cluster/nodes'],
  ['PUT', '/api/v3/cluster/nodes/solo/status'],
  ['POST', '/internal/catalog/append'],
  ['POST', '/internal/catalog/propose'],
  ['POST', '/internal/write'],
  ['POST', '/internal/scan'],
];

t.test('a JSON body that is not an object is a 400 on every JSON endpoint', async (t) => {
  for (const [method, path] of JSON_ENDPOINTS) {
    for (const body of ['null', '[]', '[{"db":"x"}]', '5', '"db"', 'true']) {
      const r = await c.request('solo', method, path, body, { 'content-type': 'application/json' });
      t.equal(r.status, 400, `${method} ${path} ${body}: ${r.text}`);
      t.match(r.text, /request body must be a JSON object, not/);
    }
  }
});

t.test('deeply nested JSON is a 400, not a stack overflow', async (t) => {
  for (const [method, path] of JSON_ENDPOINTS) {
    for (const body of ['['.repeat(100_000), `{"db":${'['.repeat(5000)}${']'.repeat(5000)}}`]) {
      const r = await c.request('solo', method, path, body);
      t.equal(r.status, 400, `${method} ${path}: ${r.text.slice(0, 200)}`);
      t.match(r.text, /nested \d+ levels deep/);
    }
  }
  await assertAlive(t);
});

t.test('wrong-typed fields are 400s naming the field', async (t) => {
  const cases: Array<[string, string, unknown, RegExp]> = [
    ['POST', '/api/v3/query_sql', { db: { toString: 1 }, q: 'SELECT 1' }, /'db' must be a string, not an object/],
    ['POST', '/api/v3/query_sql', { db: 'x', q: 'SELECT 1', local: 'yes' }, /'local' must be true or false/],
    ['POST', '/api/v3/configure/table', { db: 'x', table: 't', fields: [{ name: 'f', type: 'constructor' }] }, /unknown type 'constructor'/],
    ['POST', '/api/v3/configure/table', { db: 'x', table: 't', fields: [null] }, /needs a string 'name'/],
    ['POST', '/api/v3/configure/table', { db: 'x', table: 't', partition_duration: { toString: 1 } }, /partition_duration \{"toString":1\} is not a duration/],
    ['POST', '/api/v3/configure/table', { db: 'x', table: 't', num_hash_partitions: 2 ** 31 }, /'num_hash_partitions' must be an integer from 1 to 1024/],
    ['POST', '/api/v3/cluster/shards', { db: { toString: 1 }, table: 't' }, /'db' must be a string/],
    ['PUT', '/api/v3/cluster/nodes/solo/status', { status: { toString: 1 } }, /status must be one of/],
  ];
  for (const [method, path, body, want] of cases) {
    const r = await c.request('solo', method, path, body as object);
    t.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`);
    t.match(errorOf(r.text), want);
  }
  t.equal((await c.request('solo', 'POST', '/api/v3/configure/database', { db: 'typed' })).status, 200);
  t.equal((await c.request('solo', 'POST', '/api/v3/configure/table', { db: 'typed', table: 't', tags: ['h'] })).status, 200);
  const nullShard = await c.request('solo', 'POST', '/api/v3/cluster/shards', { db: 'typed', table: 't', shards: [null] });
  t.equal(nullShard.status, 400);
  t.match(nullShard.text, /shards\[0\] must be an object/);
});

t.test('names that are Object.prototype members are plain names in the catalog', async (t) => {
  const notFound = await c.request('solo', 'POST', '/api/v3/cluster/shards', { db: 'constructor', table: 'cpu', shards: [] });
  t.equal(notFound.status, 404, `an absent database named constructor is not found: ${notFound.text}`);
  t.equal((await c.request('solo', 'POST', '/api/v3/configure/database', { db: 'toString' })).status, 200, 'a database named toString can be created');
  t.equal((await c.request('solo', 'POST', '/api/v3/configure/table', { db: 'toString', table: 'constructor', tags: ['h'] })).status, 200);
  const schema = await c.request('solo', 'POST', '/internal/catalog/propose', { kind: 'ensure_schema', db: 'toString', tables: [{ table: '__proto__', columns: [{ name: 'h', kind: 'tag' }] }] });
  t.equal(schema.status, 200, `a table named __proto__ is a plain table: ${schema.text}`);
  const dbs = (await c.json('solo', 'GET', '/api/v3/configure/database')).body.map((d: Record<string, string>) => d['iox::database']);
  t.ok(dbs.includes('toString') && !dbs.includes('constructor'), `databases: ${dbs}`);
  await c.restart('solo');
  t.equal((await c.request('solo', 'POST', '/api/v3/configure/table', { db: 'toString', table: '__proto__', tags: ['h'] })).status, 409, 'the table survives a restart');
});

t.test('garbled peer bodies are 400s and store nothing, even across a restart', async (t) => {
  t.equal((await c.write('solo', 'peer', 'cpu,host=a usage=1 1700000000000000000')).status, 204);
  const shard = (await c.json('solo', 'GET', '/api/v3/cluster/shards?db=peer')).body.shards[0].id as number;
  const entry = (points: unknown[]) => ({ entries: [{ db: 'peer', table: 'cpu', shard, ver: 1, points }] });
  const cases: Array<[string, unknown, RegExp]> = [
    ['/internal/write', entry([null]), /points\[0\]: must be \[measurement, tags, fields, time\]/],
    ['/internal/write', entry([['cpu', {}, ['usage', 1, 'nope'], '1']]), /value "nope" is not a valid integer/],
    ['/internal/write', entry([['cpu', {}, ['usage', 9, 1], '1']]), /type code must be 0-4/],
    ['/internal/write', entry([['cpu', { host: 5 }, [], '1']]), /\[1\]\.host: must be a string/],
    ['/internal/write', entry([['cpu', {}, [], '99999999999999999999']]), /time must be a decimal 64-bit integer/],
    ['/internal/write', { entries: [{ db: 'other', table: 'x', shard, ver: 1, points: [] }] }, /belongs to peer\.cpu, not other\.x/],
    ['/internal/catalog/propose', { kind: 'command', command: { type: 'bootstrap', cluster_id: 'x', leader: 'solo', nodes: [] } }, /bootstrap cannot be proposed/],
    ['/internal/catalog/propose', { kind: 'command', command: { type: 'create_database', db: 7 } }, /command\.db must be a string/],
    ['/internal/catalog/propose', { kind: 'nope' }, /unknown catalog request kind/],
    ['/internal/catalog/append', { term: 1, leader_id: 'x', prev_log_index: 0, prev_log_term: 0, leader_commit: 0, entries: [{ index: 1, term: 1, command: null }] }, /command: must be an object/],
    ['/internal/catalog/vote', { term: 'x', candidate_id: 'y' }, /term/],
    ['/internal/catalog/snapshot', { term: 1, leader_id: 'x', snapshot: { index: 1, term: 1, voters: [], state: { nodes: [] } } }, /snapshot\.state\.nodes: must be an object/],
    ['/internal/scan', { scan: { db: 'peer' } }, /scan\.table|scan\.pruning/],
  ];
  for (const [path, body, want] of cases) {
    const r = await c.request('solo', 'POST', path, body as object);
    t.equal(r.status, 400, `${path} ${JSON.stringify(body)}: ${r.text}`);
    t.match(errorOf(r.text), want);
  }
  for (const q of ['after_time=abc', 'after_time=99999999999999999999', 'limit=x', 'bucket=1.5']) {
    const r = await c.request('solo', 'GET', `/internal/shards/${shard}/rows?${q}`);
    t.equal(r.status, 400, `rows?${q}: ${r.text}`);
  }
  await c.restart('solo');
  const rows = await c.query('solo', 'peer', 'SELECT count(*) AS n FROM cpu');
  t.equal(rows.status, 200, 'the node restarts: its WAL holds nothing replay rejects');
  t.same(rows.body, [{ n: 1 }], 'only the one good point is stored');
});
