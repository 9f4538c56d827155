// The bulk copy format of a migration (store.exportRaw / applyRaw): a copy page by page gives
// the same shard (same checksum) for every field type, 64-bit values and all; a copied older
// row never overwrites a newer one the target already has; only rows written since a version
// are sent when asked; and a shard is dropped chunk by chunk.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ShardStore } from '../src/storage/store.js';
import { encodePoint } from '../src/storage/point-codec.js';
import type { WalEntry } from '../src/storage/wal.js';
import type { FieldValue } from '../src/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-copy-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const store = () => new ShardStore(path.join(dir, `s${n++}.sqlite`));

const entry = (ver: number, rows: Array<{ host: string; time: bigint; fields: Record<string, FieldValue> }>): WalEntry => ({
  db: 'db', table: 'm', shard: 1, ver,
  points: rows.map((r, i) => encodePoint({ measurement: 'm', tags: { host: r.host }, fields: r.fields, time: r.time, line: i + 1 })),
});

function copyAll(from: ShardStore, to: ShardStore, limit: number, minVersion = 0): number {
  let after = { time: -(2n ** 63n), sid: -1 };
  let copied = 0;
  for (;;) {
    const page = JSON.parse(JSON.stringify(from.exportRaw('db', 'm', 1, after.time, after.sid, limit, minVersion)));
    to.applyRaw('db', 'm', 1, page);
    copied += page.rows.length;
    if (!page.next) return copied;
    after = { time: BigInt(page.next.time), sid: page.next.sid };
  }
}

t.test('a paged copy reproduces the shard exactly, every field type included', async (t) => {
  const src = store();
  const rows = Array.from({ length: 250 }, (_, i) => ({
    host: `h${i % 7}`,
    time: 1_704_067_200_000_000_000n + BigInt(i),
    fields: {
      f: { type: 'float', value: i / 3 },
      i: { type: 'integer', value: 9_007_199_254_740_993n + BigInt(i) },
      u: { type: 'uinteger', value: 18_446_744_073_709_551_615n - BigInt(i) },
      s: { type: 'string', value: `s"${i}\n` },
      ...(i % 2 ? { b: { type: 'boolean', value: i % 4 === 1 } } : {}),
    } as Record<string, FieldValue>,
  }));
  src.applyRecord({ seq: 1, entries: [entry(100, rows)] });
  const dst = store();
  t.equal(copyAll(src, dst, 64), 250, 'every row, over several pages (and a partial bulk statement)');
  t.equal(dst.digest('db', 'm', 1).checksum, src.digest('db', 'm', 1).checksum, 'the same checksum on both');
  t.equal(dst.rowCount('db', 'm', 1), 250);
});

t.test('a copied older row never overwrites a newer one; only rows since a version when asked', async (t) => {
  const src = store();
  const dst = store();
  const old = { host: 'a', time: 10n, fields: { v: { type: 'float', value: 1 } as FieldValue } };
  src.applyRecord({ seq: 1, entries: [entry(100, [old, { host: 'b', time: 11n, fields: { v: { type: 'float', value: 2 } } }])] });
  src.applyRecord({ seq: 2, entries: [entry(300, [{ host: 'c', time: 12n, fields: { v: { type: 'float', value: 3 } } }])] });
  // The target already has a newer write of row a (a dual write during the migration).
  dst.applyRecord({ seq: 1, entries: [entry(200, [{ ...old, fields: { v: { type: 'float', value: 9 } } }])] });
  t.equal(copyAll(src, dst, 1000, 250), 1, 'since version 250: only row c');
  copyAll(src, dst, 1000);
  const values = dst.exportRows('db', 'm', 1, null, -(2n ** 63n), -1, 10).rows.map((r) => r.point[2][2]);
  t.same(values, [9, 2, 3], 'row a keeps the newer value 9');
});

t.test('a shard is dropped chunk by chunk, other shards untouched', async (t) => {
  const s = store();
  s.applyRecord({ seq: 1, entries: [entry(1, Array.from({ length: 50 }, (_, i) => ({ host: 'h', time: BigInt(i), fields: { v: { type: 'float', value: i } as FieldValue } })))] });
  s.applyRecord({ seq: 2, entries: [{ ...entry(1, [{ host: 'h', time: 1n, fields: { v: { type: 'float', value: 1 } } }]), shard: 2 }] });
  t.equal(s.deleteShardChunk('db', 'm', 1, 20), 20);
  t.equal(s.deleteShardChunk('db', 'm', 1, 20), 20);
  t.equal(s.deleteShardChunk('db', 'm', 1, 20), 10);
  t.equal(s.rowCount('db', 'm', 1), 0);
  t.equal(s.rowCount('db', 'm', 2), 1, 'shard 2 keeps its row');
});

t.test('newer rows survive a copy in multi-row statements too', async (t) => {
  const src = store();
  const dst = store();
  const rows = (value: number, count: number) => Array.from({ length: count }, (_, i) => ({ host: `h${i}`, time: BigInt(i), fields: { v: { type: 'float', value } as FieldValue } }));
  src.applyRecord({ seq: 1, entries: [entry(100, rows(1, 100))] });
  dst.applyRecord({ seq: 1, entries: [entry(200, rows(9, 100).filter((_, i) => i % 2 === 0))] });
  copyAll(src, dst, 1000); // 100 rows: one 64-row statement, then 36 single ones
  const values = dst.exportRows('db', 'm', 1, null, -(2n ** 63n), -1, 1000).rows.map((r) => r.point[2][2]);
  t.equal(values.length, 100);
  t.same(values.filter((v) => v === 9).length, 50, 'every row the target had newer keeps its value');
});

t.test('a drop stops once the shard is this node\'s again; a pull stops once it is not', async (t) => {
  const { ShardCopy, COPY_PAGE } = await import('../src/migration/copy.js');
  const shard = { id: 1, db: 'db', table: 'm', node_ids: ['b'], migration_status: 'Stable' } as unknown as import('../src/catalog/state.js').ShardDef;
  const rows = Array.from({ length: 2 * COPY_PAGE + 500 }, (_, i) => ({ host: 'h', time: BigInt(i), fields: { v: { type: 'float', value: i } as FieldValue } }));
  const src = store();
  src.applyRecord({ seq: 1, entries: [entry(1, rows)] });
  const dst = store();
  // The peer: pages of src, as GET /internal/migrations/rows serves them.
  const call = async (_node: string, _method: string, p: string) => {
    const q = new URL(p, 'http://x').searchParams;
    const page = src.exportRaw('db', 'm', 1, BigInt(q.get('after_time')!), Number(q.get('after_sid')), Number(q.get('limit')), Number(q.get('min_version')));
    return { status: 200, text: JSON.stringify(page) } as unknown as import('../src/cluster/peer-client.js').PeerResponse;
  };
  // A migration to this node rolled back after the first page: the rest is not stored.
  let pages = 0;
  const copyDst = new ShardCopy({ store: dst, call });
  await t.rejects(copyDst.pull(shard, 'a', 'all', 0, () => pages++ < 1), /no longer takes the shard's writes/);
  t.equal(dst.rowCount('db', 'm', 1), COPY_PAGE, 'only the page stored before the rollback');
  // A new migration brings the shard back while the old copy is being dropped: its rows stay.
  let chunks = 0;
  const deleted = await new ShardCopy({ store: src, call }).drop(shard, () => chunks++ < 1);
  t.equal(deleted, COPY_PAGE, 'one chunk went before the shard was owned again');
  t.equal(src.rowCount('db', 'm', 1), COPY_PAGE + 500, 'the rest stays');
});
