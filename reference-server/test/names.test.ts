// Names as InfluxDB 3 takes them, end to end on real nodes: tables and columns that differ only
// in case are distinct (and queryable, quoted or not, by DataFusion's rules), names holding `"`
// or other characters SQL quotes are queryable, NUL is refused in names with a line error and
// kept in tag values and string fields. Writes go through one node and queries through the
// other, so the schema each sees comes from the replicated catalog.
import t from 'tap';
import { TestCluster } from './helpers/cluster.js';

const c = await TestCluster.start({ ids: ['a', 'b'] });
t.teardown(() => c.teardown());

/** A query's rows through node `via`, failing the test with the body if it is not a 200. */
async function rows(t: Tap.Test, via: string, db: string, sql: string): Promise<unknown> {
  const r = await c.query(via, db, sql);
  t.equal(r.status, 200, `${sql} via ${via}: ${JSON.stringify(r.body)}`);
  return r.body;
}

interface LineError {
  error_message: string;
  line_number: number;
  original_line: string;
}

function lineErrors(text: string): { error: string; data: LineError[] | LineError } {
  return JSON.parse(text);
}

t.test('columns differing only in case, in one line: both stored, each queryable', async (t) => {
  for (const [db, params] of [['case1', ''], ['case1strict', '&accept_partial=false']] as const) {
    const w = await c.write('a', db, 'm,Host=a,host=b V=1,v=2 1', `&precision=s${params}`);
    t.equal(w.status, 204, `${db}: ${w.text}`);
    for (const via of ['a', 'b']) {
      t.same(await rows(t, via, db, 'SELECT * FROM m'), [{ time: '1970-01-01T00:00:01', Host: 'a', host: 'b', V: 1, v: 2 }]);
      t.same(await rows(t, via, db, 'SELECT "Host", host, "V" + v AS s FROM m WHERE "Host" = \'a\' AND HOST = \'b\''), [{ Host: 'a', host: 'b', s: 3 }]);
    }
  }
});

t.test('columns differing only in case, across batches and nodes', async (t) => {
  t.equal((await c.write('a', 'case2', 'm,Host=a v=1 1', '&precision=s')).status, 204);
  t.equal((await c.write('b', 'case2', 'm,host=b v=2 2', '&precision=s')).status, 204);
  // The other type for a name of the other case is a new column, not a type conflict.
  t.equal((await c.write('b', 'case2', 'm,host=c V="x" 3', '&precision=s&accept_partial=false')).status, 204);
  for (const via of ['a', 'b']) {
    // (JSON rows leave out null columns, as InfluxDB 3 does.)
    t.same(await rows(t, via, 'case2', 'SELECT "Host", host, v, "V" FROM m ORDER BY time'), [{ Host: 'a', v: 1 }, { host: 'b', v: 2 }, { host: 'c', V: 'x' }]);
    const cols = (await rows(t, via, 'case2', 'SHOW COLUMNS FROM m')) as Array<{ column_name: string }>;
    t.same(cols.map((x) => x.column_name), ['time', 'Host', 'v', 'host', 'V']);
  }
});

t.test('tables differing only in case: two tables, FROM "Cpu" and FROM cpu pick each', async (t) => {
  t.equal((await c.write('a', 'case3', 'Cpu v=1 1', '&precision=s')).status, 204);
  t.equal((await c.write('b', 'case3', 'cpu v=2 1', '&precision=s')).status, 204);
  for (const via of ['a', 'b']) {
    t.same(await rows(t, via, 'case3', 'SELECT v FROM "Cpu"'), [{ v: 1 }], 'quoted: the table Cpu');
    t.same(await rows(t, via, 'case3', 'SELECT v FROM cpu'), [{ v: 2 }]);
    t.same(await rows(t, via, 'case3', 'SELECT v FROM CPU'), [{ v: 2 }], 'unquoted names are lower-cased');
    t.same(await rows(t, via, 'case3', 'SELECT "Cpu".v AS a, c.v AS b FROM "Cpu" JOIN cpu AS c ON "Cpu".time = c.time'), [{ a: 1, b: 2 }]);
  }
});

t.test('fields named true, True, TRUE, false: queryable (SQLite would lose a column "true")', async (t) => {
  const w = await c.write('a', 'kw', 'm,tag0=1 true=true,True=false,TRUE=1i,false=0.5 1', '&precision=s');
  t.equal(w.status, 204, w.text);
  t.same(await rows(t, 'b', 'kw', 'SELECT * FROM m'), [{ time: '1970-01-01T00:00:01', tag0: '1', true: true, True: false, TRUE: 1, false: 0.5 }]);
  t.same(await rows(t, 'b', 'kw', 'SELECT "true", "TRUE" + 1 AS n FROM m WHERE "false" > 0'), [{ true: true, n: 2 }]);
});

t.test('names holding " ` \' [ ] and spaces: stored and queryable, quoted as SQL quotes them', async (t) => {
  const lines = ['q"x,"t"=a "f"=1 1', 'b`t,a`b=1,c\'d=2,e[f]=3,g\\ h=4 v=1 1'];
  t.equal((await c.write('a', 'quotes', lines.join('\n'), '&precision=s&accept_partial=false')).status, 204);
  for (const via of ['a', 'b']) {
    t.same(await rows(t, via, 'quotes', 'SELECT * FROM "q""x"'), [{ time: '1970-01-01T00:00:01', '"t"': 'a', '"f"': 1 }]);
    t.same(await rows(t, via, 'quotes', 'SELECT "q""x"."""f""" AS "a""b" FROM "q""x" WHERE """t""" = \'a\''), [{ 'a"b': 1 }]);
    t.same(await rows(t, via, 'quotes', 'SELECT "a`b", "c\'d", "e[f]", "g h" FROM "b`t"'), [{ 'a`b': '1', "c'd": '2', 'e[f]': '3', 'g h': '4' }]);
  }
  // "q""x" used to be read as the table q with the alias x.
  const q = await c.query('b', 'quotes', 'SELECT * FROM "q"');
  t.equal(q.status, 400);
  t.match(q.body.error, /table 'public\.iox\.q' not found/);
});

t.test('NUL in a name: a line error naming the line, the name and why; nothing of that line stays', async (t) => {
  const bad = [
    // The parser already stops the measurement at the NUL.
    ['m\u0000x v=1 1', /Expected at least one space character after the series key, got `\u0000x v=1 1` at column 2/],
    ['m,t\u0000k=a v=1 2', /invalid tag key "t\\u0000k": NUL characters are not allowed/],
    ['m,t=a v\u0000f=1 3', /invalid field key "v\\u0000f": NUL characters are not allowed/],
  ] as const;
  for (const [i, [line, why]] of bad.entries()) {
    const body = ['m,t=a v=1 10', line, 'm,t=b v=2 20'].join('\n');
    // accept_partial=true: the good lines are written, the bad one reported.
    const db = `nul${i}`;
    const w = await c.write('b', db, body, '&precision=s');
    t.equal(w.status, 400);
    const j = lineErrors(w.text);
    t.equal(j.error, 'partial write of line protocol occurred');
    t.same((j.data as LineError[]).map((e) => [e.line_number, e.original_line]), [[2, line]]);
    t.match((j.data as LineError[])[0]!.error_message, why);
    for (const via of ['a', 'b']) {
      t.same(await rows(t, via, db, 'SELECT t, v FROM m ORDER BY time'), [{ t: 'a', v: 1 }, { t: 'b', v: 2 }]);
      const cols = (await rows(t, via, db, 'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = \'iox\'')) as Array<{ table_name: string; column_name: string }>;
      t.same(cols.map((x) => `${x.table_name}.${x.column_name}`), ['m.time', 'm.t', 'm.v'], 'no table or column of the bad line');
    }
    // accept_partial=false: nothing is written, the first bad line is named.
    const strictDb = `nulstrict${i}`;
    const s = await c.write('a', strictDb, body, '&precision=s&accept_partial=false');
    t.equal(s.status, 400);
    const sj = lineErrors(s.text);
    t.equal((sj.data as LineError).line_number, 2);
    t.match((sj.data as LineError).error_message, why);
    for (const via of ['a', 'b']) t.equal((await c.query(via, strictDb, 'SELECT * FROM m')).status, 404, 'not even the database was created');
  }
});

t.test('NUL in a name through the table API or a racing write: refused, catalog unchanged', async (t) => {
  t.equal((await c.json('b', 'POST', '/api/v3/configure/database', { db: 'nulapi' })).status, 200);
  await c.waitForCatalog();
  const before = (await c.json('b', 'GET', '/api/v3/cluster/nodes')).body.catalog_version;
  for (const [body, why] of [
    [{ db: 'nulapi', table: 'm\u0000x', tags: ['t'] }, /invalid table name/],
    [{ db: 'nulapi', table: 'm', tags: ['t\u0000k'] }, /NUL characters are not allowed/],
    [{ db: 'nulapi', table: 'm', fields: [{ name: 'v\u0000f', type: 'float64' }] }, /NUL characters are not allowed/],
  ] as const) {
    const r = await c.json('b', 'POST', '/api/v3/configure/table', body);
    t.equal(r.status, 400, JSON.stringify(r.body));
    t.match(r.body.error, why);
  }
  // What a writer on another node sends the leader once its own check passed: the leader checks again.
  const leader = (await c.json('b', 'GET', '/api/v3/cluster/raft')).body.leader as string;
  const p = await c.json(leader, 'POST', '/internal/catalog/propose', { kind: 'ensure_schema', db: 'nulapi', tables: [{ table: 'm', columns: [{ name: 't\u0000k', kind: 'tag' }] }] });
  t.equal(p.status, 200, JSON.stringify(p.body));
  t.match(p.body.rejected, { m: /invalid tag key "t\\u0000k": NUL characters are not allowed/ });
  t.equal((await c.json('a', 'GET', '/api/v3/cluster/nodes')).body.catalog_version, before);
  const tables = (await rows(t, 'a', 'nulapi', "SELECT table_name FROM information_schema.tables WHERE table_schema = 'iox'")) as unknown[];
  t.same(tables, []);
});

t.test('NUL in tag values and string fields: stored, read back, and usable in WHERE', async (t) => {
  const w = await c.write('a', 'nulval', 'm,t=a\u0000b v="x\u0000y" 1\nm,t=a v="x" 2', '&precision=s&accept_partial=false');
  t.equal(w.status, 204, w.text);
  for (const via of ['a', 'b']) {
    t.same(await rows(t, via, 'nulval', 'SELECT t, v FROM m ORDER BY time'), [{ t: 'a\u0000b', v: 'x\u0000y' }, { t: 'a', v: 'x' }]);
    t.same(await rows(t, via, 'nulval', "SELECT t FROM m WHERE t = 'a\u0000b' AND v IN ('x\u0000y')"), [{ t: 'a\u0000b' }]);
    t.same(await rows(t, via, 'nulval', "SELECT count(*) AS n FROM m WHERE t <> 'a\u0000b'"), [{ n: 1 }]);
  }
});
