// On a nearly full disk write(2) writes what fits and returns that count without an error.
// The WAL must not take such a record as written: it would be acknowledged torn, and every
// record appended after it would be cut off by the next start's torn-tail check. Simulated
// here by a disk with a byte budget (the same happens on a real tmpfs, see the runner's
// test/disk-fault.test.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Wal, type WalEntry, type WalRecord } from '../src/storage/wal.js';

const entry = (v: number): WalEntry => ({ db: 'd', table: 'm', shard: 1, ver: v, points: [['m', { k: 'x' }, ['v', 0, v], String(v)]] });

t.test('a short write fails the append and leaves no torn record behind', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-wal-short-'));
  const realWrite = fs.writeSync;
  let budget = Infinity; // bytes the "disk" still takes
  (fs as { writeSync: unknown }).writeSync = (fd: number, buf: Buffer, off = 0, len = buf.length - off) => {
    if (budget <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const n = Math.min(len, budget);
    budget -= n;
    return realWrite(fd, buf, off, n);
  };
  t.teardown(() => {
    (fs as { writeSync: unknown }).writeSync = realWrite;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const wal = new Wal(dir);
  wal.open(0, () => undefined);
  const a = wal.append([entry(1)], true);
  budget = 10; // room for the header and two bytes of the next record
  t.throws(() => wal.append([entry(2)], true), { code: 'ENOSPC' }, 'the record that did not fit is refused, not acknowledged');
  budget = Infinity; // disk_free
  const c = wal.append([entry(3)], true);
  wal.close();

  const replayed: WalRecord[] = [];
  const reopened = new Wal(dir);
  const r = reopened.open(0, (rec) => replayed.push(rec));
  reopened.close();
  t.same(r.quarantined, []);
  t.same(replayed.map((rec) => [rec.seq, rec.entries[0]!.ver]), [[a, 1], [c, 3]], 'replay finds every acknowledged record, the one after the failure too');
});
