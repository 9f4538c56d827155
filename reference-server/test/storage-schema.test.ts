// The store and WAL never hold what they cannot apply: entries are checked before they are
// logged, a record whose apply fails is taken back out of the WAL, a record replay cannot apply
// is quarantined instead of stopping the node, and many new columns are added in one step
// without losing the rows already there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ShardStore } from '../src/storage/store.js';
import { Wal, type WalEntry } from '../src/storage/wal.js';
import { encodePoint } from '../src/storage/point-codec.js';
import type { FieldValue } from '../src/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-schema-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(dir, `s${n++}`);

const f = (v: number): FieldValue => ({ type: 'float', value: v });
const entry = (fields: Record<string, FieldValue>, time = 1n, tags: Record<string, string> = { h: 'x' }): WalEntry => ({
  db: 'db', table: 'm', shard: 1, ver: 1,
  points: [encodePoint({ measurement: 'm', tags, fields, time, line: 1 })],
});
const wide = (count: number, prefix = 'f') => Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, f(i)]));

t.test('a table with rows that gains many columns at once keeps its rows and values', async (t) => {
  const s = new ShardStore(fresh() + '.sqlite');
  t.teardown(() => s.close());
  for (let i = 0; i < 50; i++) s.applyRecord({ seq: i + 1, entries: [entry({ v: f(i) }, BigInt(i))] });
  s.applyRecord({ seq: 51, entries: [entry(wide(300), 1000n)] }); // rebuilt once, not 300 ALTERs
  s.applyRecord({ seq: 52, entries: [{ ...entry({ ...wide(2, 'g'), v: f(-1) }, 0n), ver: 2 }] }); // and a few more, altered
  const rows = s.exportRows('db', 'm', 1, null, -(2n ** 63n), -1, 100).rows;
  t.equal(rows.length, 51);
  t.same(rows[0]!.point[2], ['g0', 0, 0, 'g1', 0, 1, 'v', 0, -1], 'row 0 has its later columns');
  t.same(rows[10]!.point[2], ['v', 0, 10], 'an old row kept its value');
  t.equal(rows[50]!.point[2].length, 900, 'the wide row has all 300 fields');
  t.equal(s.appliedSeq, 52);
});

t.test('check() refuses entries the store could never apply, before anything is logged', async (t) => {
  const s = new ShardStore(fresh() + '.sqlite');
  t.teardown(() => s.close());
  s.applyRecord({ seq: 1, entries: [entry({ v: f(1) })] });
  const refusals: Array<[string, unknown]> = [
    ['999 fields need more SQLite columns than exist', [entry(wide(999))]],
    ['a field that is a tag here', [entry({ h: f(1) })]],
    ['another type for a field', [entry({ v: { type: 'integer', value: 1n } })]],
    ['NUL in a tag key', [entry({ v: f(1) }, 1n, { 'h\u0000': 'a' })]],
    ['a point of another measurement', [{ ...entry({ v: f(1) }), table: 'other' }]],
    ['an integer out of int64', [{ ...entry({ v: f(1) }), points: [['m', {}, ['i', 1, '9223372036854775808'], '1']] }]],
    ['a bad type code', [{ ...entry({ v: f(1) }), points: [['m', {}, ['i', 9, 1], '1']] }]],
    ['a time that is not a number', [{ ...entry({ v: f(1) }), points: [['m', {}, ['v', 0, 1], 'soon']] }]],
    ['not a list', { entries: 1 }],
    ['an entry without a shard', [{ db: 'db', table: 'm', ver: 1, points: [] }]],
  ];
  for (const [what, entries] of refusals) t.throws(() => s.check(entries), { name: 'StoreRefusal', status: 400 }, what);
  // Columns added by an earlier entry of the same record count against a later one.
  t.throws(() => s.check([entry(wide(600, 'a')), entry(wide(600, 'b'))]), { name: 'StoreRefusal' }, 'two entries together too wide');
  t.same(s.check([entry({ v: f(2) })])[0]!.length, 1, 'a good entry passes');
});

t.test('the WAL takes back a record, and replay quarantines what it cannot apply', async (t) => {
  const walDir = fresh();
  const wal = new Wal(walDir);
  wal.open(0, () => undefined);
  const s1 = wal.append([entry({ v: f(1) })], true);
  const s2 = wal.append([entry(wide(999))], true); // what an unchecked write used to log
  const s3 = wal.append([entry({ v: f(3) }, 3n)], true);
  const s4 = wal.append([entry({ v: f(4) }, 4n)], true);
  wal.revert(s4);
  t.throws(() => wal.revert(s3), /not the last one appended/, 'only the last append can be taken back');
  wal.close();

  const s = new ShardStore(fresh() + '.sqlite');
  t.teardown(() => s.close());
  const again = new Wal(walDir);
  const { replayed, quarantined } = again.open(0, s.applyRecord);
  t.equal(replayed, 2, 'the records around the bad one are applied');
  t.same(quarantined.map((q) => q.seq), [s2]);
  t.match(quarantined[0]!.error, /storage columns needed, SQLite allows 2000/);
  t.ok(fs.existsSync(quarantined[0]!.file), 'the bad record is kept for an operator');
  t.equal(again.append([entry({ v: f(5) })], true), s4, 'the reverted seq is reused: it was never acknowledged');
  again.close();
  t.ok(s1 < s2 && s2 < s3);
});
