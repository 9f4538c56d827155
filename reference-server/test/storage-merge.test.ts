// Replicas merge rows field by field by write version, so any delivery order (writes, hint
// replays, repair pulls) ends in the same row everywhere, and the newest value of each field wins.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ShardStore } from '../src/storage/store.js';
import { encodePoint } from '../src/storage/point-codec.js';
import type { WalEntry } from '../src/storage/wal.js';
import type { FieldValue } from '../src/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-merge-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const store = () => new ShardStore(path.join(dir, `s${n++}.sqlite`));

const write = (ver: number, fields: Record<string, FieldValue>): WalEntry => ({
  db: 'db', table: 'm', shard: 1, ver,
  points: [encodePoint({ measurement: 'm', tags: { h: 'x' }, fields, time: 5n, line: 1 })],
});
const f = (v: number): FieldValue => ({ type: 'float', value: v });
const rowOf = (s: ShardStore) => s.exportRows('db', 'm', 1, null, -(2n ** 63n), -1, 10).rows[0]!;

t.test('every delivery order converges on the newest value of each field', async (t) => {
  const W1 = write(100, { f1: f(1) });
  const W2 = write(200, { f2: f(2) });
  const W3 = write(150, { f1: f(3) });
  const orders = [[W1, W2, W3], [W1, W3, W2], [W3, W2, W1], [W2, W1, W3], [W3, W1, W2], [W2, W3, W1]];
  const digests = new Set<string>();
  for (const order of orders) {
    const s = store();
    order.forEach((w, i) => s.applyRecord({ seq: i + 1, entries: [w] }));
    const row = rowOf(s);
    t.same(row.point[2], ['f1', 0, 3, 'f2', 0, 2], `order ${order.map((w) => w.ver)}: f1 from W3 (newest for f1), f2 from W2`);
    digests.add(s.digest('db', 'm', 1).checksum);
    s.close();
  }
  t.equal(digests.size, 1, 'one checksum for all six orders');
});

t.test('equal versions break ties by value, not by arrival order', async (t) => {
  const a = store();
  const b = store();
  a.applyRecord({ seq: 1, entries: [write(7, { v: f(1) })] });
  a.applyRecord({ seq: 2, entries: [write(7, { v: f(2) })] });
  b.applyRecord({ seq: 1, entries: [write(7, { v: f(2) })] });
  b.applyRecord({ seq: 2, entries: [write(7, { v: f(1) })] });
  t.equal(a.digest('db', 'm', 1).checksum, b.digest('db', 'm', 1).checksum);
  t.same(rowOf(a).point[2], ['v', 0, 2]);
  a.close();
  b.close();
});

t.test('repair rows carry field versions: pulling both ways converges', async (t) => {
  const a = store();
  const b = store();
  a.applyRecord({ seq: 1, entries: [write(100, { f1: f(1) }), write(300, { f2: f(9) })] });
  b.applyRecord({ seq: 1, entries: [write(200, { f1: f(5) }), write(250, { f2: f(4) })] });
  const fromA = a.exportRows('db', 'm', 1, null, -(2n ** 63n), -1, 10).rows;
  const fromB = b.exportRows('db', 'm', 1, null, -(2n ** 63n), -1, 10).rows;
  a.applyRows('db', 'm', 1, fromB);
  b.applyRows('db', 'm', 1, fromA);
  t.equal(a.digest('db', 'm', 1).checksum, b.digest('db', 'm', 1).checksum);
  t.same(rowOf(a).point[2], ['f1', 0, 5, 'f2', 0, 9]);
  a.close();
  b.close();
});

t.test('repair export pages through a shard in canonical order, each row exactly once', async (t) => {
  const s = store();
  const entries: WalEntry[] = [];
  for (let i = 0; i < 7; i++) {
    entries.push({ db: 'db', table: 'm', shard: 1, ver: 1, points: [encodePoint({ measurement: 'm', tags: { h: `h${i % 3}` }, fields: { v: f(i) }, time: BigInt(i % 4), line: 1 })] });
  }
  s.applyRecord({ seq: 1, entries });
  const seen: unknown[] = [];
  let cursor = { time: -(2n ** 63n), sid: -1 };
  let pages = 0;
  for (;;) {
    const page = s.exportRows('db', 'm', 1, null, cursor.time, cursor.sid, 3);
    seen.push(...page.rows.map((r) => r.point[2][2]));
    pages++;
    if (!page.next) break;
    cursor = page.next;
  }
  t.equal(pages, 3, '7 rows in pages of 3');
  t.same([...seen].sort(), [0, 1, 2, 3, 4, 5, 6], 'every row once');
  s.close();
});
