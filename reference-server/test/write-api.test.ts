// The InfluxDB 3 write and query APIs as a client sees them, including bad input: partial-write
// bodies, all-or-nothing writes across nodes, type conflicts, size limits, auth, unknown names.
import zlib from 'node:zlib';
import t from 'tap';
import { TestCluster } from './helpers/cluster.js';
import { FULL, HALF, createTable, defineShards, hostInHashRange } from './helpers/layout.js';

const TOKEN = 'secret-token';
const c = await TestCluster.start({ token: TOKEN, extraArgs: ['--max-body-bytes', '65536'] });
t.teardown(() => c.teardown());

t.test('auth: token required except on /health and /ping', async (t) => {
  const noAuth = await c.request('a', 'GET', '/api/v3/configure/database', undefined, { authorization: '' });
  t.equal(noAuth.status, 401);
  t.match(JSON.parse(noAuth.text).error, /missing token/);
  const wrong = await c.request('a', 'GET', '/api/v3/configure/database', undefined, { authorization: 'Bearer nope' });
  t.equal(wrong.status, 401);
  const tokenScheme = await c.request('a', 'GET', '/api/v3/configure/database', undefined, { authorization: `Token ${TOKEN}` });
  t.equal(tokenScheme.status, 200);
  t.equal((await c.request('a', 'GET', '/health', undefined, { authorization: '' })).status, 200);
  const ping = await c.request('a', 'GET', '/ping', undefined, { authorization: '' });
  t.equal(ping.status, 200);
  t.ok(JSON.parse(ping.text).version);
});

t.test('writes create the database and table; rewrites of the same identity update fields', async (t) => {
  // The later line wins even though its value is the smaller one (InfluxDB keeps the later line).
  t.equal((await c.write('b', 'auto', 'cpu,host=a usage=2,idle=5i 10\ncpu,host=a usage=1 10', '&precision=s')).status, 204);
  const r = await c.query('c', 'auto', 'SELECT host, usage, idle, time FROM cpu');
  t.same(r.body, [{ host: 'a', usage: 1, idle: 5, time: '1970-01-01T00:00:10' }], 'second line updated usage, kept idle');
  const dbs = await c.json('a', 'GET', '/api/v3/configure/database');
  t.ok(dbs.body.some((d: Record<string, string>) => d['iox::database'] === 'auto'));
});

t.test('partial writes: good lines stored, bad lines reported with 1-based numbers', async (t) => {
  const body = ['m,host=a v=1 1', 'm,host=a v=oops 2', '# a comment', 'm,host=b v=2 3', 'm v=1i 4'].join('\n');
  const w = await c.write('a', 'pw', body);
  t.equal(w.status, 400);
  const j = JSON.parse(w.text);
  t.equal(j.error, 'partial write of line protocol occurred');
  t.same(j.data.map((e: { line_number: number }) => e.line_number), [2, 5]);
  t.equal(j.data[0].original_line, 'm,host=a v=oops 2');
  t.match(j.data[1].error_message, /invalid column type for column 'v', expected Float, got Integer/);
  const rows = await c.query('b', 'pw', 'SELECT host, v FROM m ORDER BY time');
  t.same(rows.body, [{ host: 'a', v: 1 }, { host: 'b', v: 2 }]);
});

t.test('accept_partial=false stores nothing, including lines bound for other nodes', async (t) => {
  await createTable(c, 'a', { db: 'aon', table: 'm', tags: ['host'], fields: [{ name: 'v', type: 'float64' }], shard_keys: ['host'] });
  await defineShards(c, 'a', 'aon', 'm', [
    { time_range: ['1970-01-01T00:00:00Z', '2100-01-01T00:00:00Z'], hash_range: [0, HALF], node_ids: ['b'] },
    { time_range: ['1970-01-01T00:00:00Z', '2100-01-01T00:00:00Z'], hash_range: [HALF, FULL], node_ids: ['c'] },
  ]);
  const hb = await hostInHashRange(c, 'aon', 'm', 0, HALF);
  const hc = await hostInHashRange(c, 'aon', 'm', HALF, FULL);
  const body = [`m,host=${hb} v=1 1`, `m,host=${hc} v=2 2`, `m,host=${hc} v="str" 3`].join('\n');
  const w = await c.write('a', 'aon', body, '&accept_partial=false');
  t.equal(w.status, 400);
  const j = JSON.parse(w.text);
  t.equal(j.data.line_number, 3);
  t.match(j.data.error_message, /expected Float, got String/);
  for (const id of ['a', 'b', 'c']) t.same((await c.query(id, 'aon', 'SELECT * FROM m', '&local=true')).body, [], `nothing on ${id}`);
  t.same((await c.query('a', 'aon', 'SELECT * FROM m')).body, []);
});

t.test('v2 and v1 write endpoints are all-or-nothing with their precisions', async (t) => {
  t.equal((await c.request('a', 'POST', '/api/v2/write?bucket=compat&precision=ms', 'm v=1 1000\nm v=2 2000')).status, 204);
  t.equal((await c.request('a', 'POST', '/write?db=compat&precision=s', 'm v=3 3')).status, 204);
  const bad = await c.request('a', 'POST', '/api/v2/write?bucket=compat', 'm v=9 9000000000\nm v=bad');
  t.equal(bad.status, 400);
  const r = await c.query('b', 'compat', 'SELECT v, time FROM m ORDER BY time');
  t.same(r.body, [{ v: 1, time: '1970-01-01T00:00:01' }, { v: 2, time: '1970-01-01T00:00:02' }, { v: 3, time: '1970-01-01T00:00:03' }]);
  const badPrecision = await c.request('a', 'POST', '/api/v3/write_lp?db=compat&precision=fortnight', 'm v=1');
  t.equal(badPrecision.status, 400);
});

t.test('gzip bodies are accepted; oversized bodies get 413 and store nothing', async (t) => {
  const gz = zlib.gzipSync('gz v=1 1');
  const res = await fetch(`${c.url('a')}/api/v3/write_lp?db=big`, { method: 'POST', body: gz, headers: { 'content-encoding': 'gzip', authorization: `Bearer ${TOKEN}` } });
  t.equal(res.status, 204);
  const big = Array.from({ length: 4000 }, (_, i) => `big,host=h${i} v=${i} ${i}`).join('\n');
  const w = await c.write('a', 'big', big);
  t.equal(w.status, 413);
  t.match(JSON.parse(w.text).error, /too large: the limit is 65536 bytes/);
  t.same((await c.query('b', 'big', 'SELECT count(*) AS n FROM gz')).body, [{ n: 1 }], 'the gzip write landed');
  const none = await c.query('a', 'big', 'SELECT count(*) AS n FROM big');
  t.equal(none.status, 400, 'the oversized write did not even create its table');
});

t.test('query errors: unknown database 404, bad SQL 400, unknown table 400, missing params 400', async (t) => {
  t.equal((await c.query('a', 'nope', 'SELECT 1')).status, 404);
  const bad = await c.query('a', 'pw', 'SELEC * FROM m');
  t.equal(bad.status, 400);
  t.ok(bad.body.error);
  const unknownTable = await c.query('a', 'pw', 'SELECT * FROM missing');
  t.equal(unknownTable.status, 400);
  t.match(unknownTable.body.error, /missing/);
  t.equal((await c.json('a', 'GET', '/api/v3/query_sql?db=pw')).status, 400);
  const post = await c.json('a', 'POST', '/api/v3/query_sql', { db: 'pw', q: 'SELECT count(*) AS n FROM m', format: 'jsonl' });
  t.equal(post.status, 200);
  t.same(post.body, { n: 2 });
  const csv = await c.request('a', 'GET', `/api/v3/query_sql?db=pw&format=csv&q=${encodeURIComponent('SELECT host, v FROM m ORDER BY v')}`);
  t.equal(csv.text.trim(), 'host,v\na,1.0\nb,2.0', 'floats keep their decimal point in CSV, as InfluxDB 3 writes them');
});

t.test('configure API: duplicates 409, unknown 404, bad bodies 400', async (t) => {
  t.equal((await c.json('a', 'POST', '/api/v3/configure/database', { db: 'cfg' })).status, 200);
  t.equal((await c.json('b', 'POST', '/api/v3/configure/database', { db: 'cfg' })).status, 409);
  t.equal((await c.json('a', 'POST', '/api/v3/configure/table', { db: 'cfg', table: 't', tags: ['h'] })).status, 200);
  t.equal((await c.json('c', 'POST', '/api/v3/configure/table', { db: 'cfg', table: 't', tags: ['h'] })).status, 409);
  t.equal((await c.json('a', 'POST', '/api/v3/configure/table', { db: 'nodb', table: 't' })).status, 404);
  const badType = await c.json('a', 'POST', '/api/v3/configure/table', { db: 'cfg', table: 'u', fields: [{ name: 'x', type: 'decimal' }] });
  t.equal(badType.status, 400);
  t.match(badType.body.error, /unknown type 'decimal'/);
  t.equal((await c.json('a', 'DELETE', '/api/v3/configure/database?db=nodb')).status, 404);
  t.equal((await c.json('a', 'DELETE', '/api/v3/configure/table?db=cfg&table=t')).status, 200);
  t.equal((await c.json('a', 'DELETE', '/api/v3/configure/database?db=cfg')).status, 200);
});

t.test('cluster nodes API: add 201, again 200, id taken 409, status 200, unknown 404, delete 204', async (t) => {
  const add = await c.json('b', 'POST', '/api/v3/cluster/nodes', { id: 'z', url: 'http://127.0.0.1:9' });
  t.equal(add.status, 201);
  t.equal(add.body.status, 'Joining');
  const again = await c.json('a', 'POST', '/api/v3/cluster/nodes', { id: 'z', url: 'http://127.0.0.1:9' });
  t.equal(again.status, 200, 'adding the same node again is harmless');
  t.equal(again.body.already_exists, true, 'and says so');
  t.equal((await c.json('a', 'POST', '/api/v3/cluster/nodes', { id: 'z', url: 'http://127.0.0.1:8' })).status, 409, 'the id at another url is a conflict');
  const st = await c.json('c', 'PUT', '/api/v3/cluster/nodes/z/status', { status: 'Inactive' });
  t.equal(st.status, 200);
  t.equal(st.body.status, 'Inactive');
  t.equal((await c.json('c', 'PUT', '/api/v3/cluster/nodes/nope/status', { status: 'Inactive' })).status, 404);
  t.equal((await c.json('c', 'PUT', '/api/v3/cluster/nodes/z/status', { status: 'Sleepy' })).status, 400);
  t.equal((await c.json('a', 'DELETE', '/api/v3/cluster/nodes/z')).status, 204);
  t.equal((await c.json('a', 'DELETE', '/api/v3/cluster/nodes/z')).status, 404);
  const list = await c.json('c', 'GET', '/api/v3/cluster/nodes');
  t.same(list.body.nodes.map((n: { id: string }) => n.id), ['a', 'b', 'c']);
});
