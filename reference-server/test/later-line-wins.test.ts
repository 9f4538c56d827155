// Two lines with the same identity in one write body: InfluxDB keeps the later line. Checked
// with the later value the smaller one (a tie broken by value would keep the earlier), on every
// owner of an RF=2 shard, directly and for an owner that was down and caught up afterwards.
import t from 'tap';
import { TestCluster, waitFor } from './helpers/cluster.js';
import { createTable, defineShards } from './helpers/layout.js';
import { mergeSameIdentity } from '../src/write/later-line-wins.js';
import type { Point } from '../src/types.js';

t.test('merging one body: same identity merged field by field, later line last; others untouched', async (t) => {
  const pt = (line: number, tags: Record<string, string>, time: bigint, fields: Record<string, number>): Point => ({
    measurement: 'cpu', tags, time, line,
    fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { type: 'float' as const, value: v }])),
  });
  const distinct = [pt(1, { h: 'a' }, 1n, { u: 1 }), pt(2, { h: 'a' }, 2n, { u: 2 })];
  t.equal(mergeSameIdentity(distinct), distinct, 'no shared time: the same array back');
  const out = mergeSameIdentity([
    pt(1, { h: 'a' }, 5n, { u: 2, i: 5 }),
    pt(2, { h: 'b' }, 5n, { u: 7 }),
    pt(3, { h: 'a' }, 5n, { u: 1 }),
    pt(4, { h: 'a\u0000x' }, 5n, { u: 9 }),
    pt(5, { h: 'a', x: 'y' }, 5n, { u: 8 }),
  ]);
  t.same(out.map((p) => [p.tags, p.fields.u!.value, p.fields.i?.value]), [
    [{ h: 'a' }, 1, 5],
    [{ h: 'b' }, 7, undefined],
    [{ h: 'a\u0000x' }, 9, undefined],
    [{ h: 'a', x: 'y' }, 8, undefined],
  ]);
});

const c = await TestCluster.start();
t.teardown(() => c.teardown());

const local = async (id: string, host: string) =>
  (await c.query(id, 'lw', `SELECT usage, idle FROM cpu WHERE host = '${host}'`, '&local=true')).body;

await createTable(c, 'a', { db: 'lw', table: 'cpu', tags: ['host'], fields: [{ name: 'usage', type: 'float64' }, { name: 'idle', type: 'int64' }], replication_factor: 2 });
await defineShards(c, 'a', 'lw', 'cpu', [{ time_range: ['1970-01-01T00:00:00Z', '2100-01-01T00:00:00Z'], node_ids: ['b', 'c'] }]);

t.test('the later line wins on every owner, fields it lacks kept from the earlier line', async (t) => {
  const w = await c.write('a', 'lw', 'cpu,host=a usage=2,idle=5i 10\ncpu,host=a usage=1 10', '&precision=s');
  t.equal(w.status, 204, w.text);
  for (const id of ['b', 'c']) t.same(await local(id, 'a'), [{ usage: 1, idle: 5 }], `owner ${id}`);
  t.same((await c.query('a', 'lw', `SELECT usage FROM cpu WHERE host = 'a'`)).body, [{ usage: 1 }], 'and through a non-owner');
});

t.test('an owner that missed the write gets the later value too (hint or anti-entropy)', async (t) => {
  await c.kill('c');
  const w = await c.write('a', 'lw', 'cpu,host=h2 usage=9 20\ncpu,host=h2 usage=3,idle=1i 20\ncpu,host=h2 usage=0.5 20', '&precision=s&consistency=one');
  t.equal(w.status, 204, w.text);
  t.same(await local('b', 'h2'), [{ usage: 0.5, idle: 1 }]);
  await c.startNode('c');
  await waitFor(async () => (await local('c', 'h2')).length === 1, 15_000, () => 'c to catch up');
  t.same(await local('c', 'h2'), [{ usage: 0.5, idle: 1 }], 'c caught up with the last line');
  const sums = await c.json('a', 'GET', `/api/v3/cluster/shards/${(await c.json('a', 'GET', '/api/v3/cluster/shards?db=lw&table=cpu')).body.shards[0].id}/checksum`);
  t.equal(sums.body.consistent, true, 'replica checksums agree');
});
