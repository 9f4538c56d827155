// On a nearly full disk write(2) writes what fits and returns that count without an error.
// No log may take such a record as written: the WAL would acknowledge it torn and cut every
// later record on the next start; a hint file would glue the next hint onto the torn line.
// Simulated here by a disk with a byte budget (the same happens on a real tmpfs, see the
// runner's test/disk-fault.test.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Wal, type WalEntry, type WalRecord } from '../src/storage/wal.js';
import { HintedHandoff } from '../src/repair/hints.js';
import type { Logger } from '../src/util/log.js';
import { raftCatalog } from '../src/catalog/catalog.js';
import { FileRaftStorage } from '../src/catalog/raft/storage.js';
import { HttpCatalogTransport } from '../src/catalog/http-transport.js';
import type { AppendRequest } from '../src/catalog/raft/messages.js';
import type { PeerClient } from '../src/cluster/peer-client.js';

const entry = (v: number): WalEntry => ({ db: 'd', table: 'm', shard: 1, ver: v, points: [['m', { k: 'x' }, ['v', 0, v], String(v)]] });

/** Makes fs.writeSync write at most `budget` bytes in all, then fail with ENOSPC. */
function nearlyFullDisk(t: Test): { dir: string; set(bytes: number): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-short-write-'));
  const realWrite = fs.writeSync;
  let budget = Infinity;
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
  return { dir, set: (bytes) => void (budget = bytes) };
}

t.test('WAL: a short write fails the append and leaves no torn record behind', async (t) => {
  const disk = nearlyFullDisk(t);
  const dir = disk.dir;
  const wal = new Wal(dir);
  wal.open(0, () => undefined);
  const a = wal.append([entry(1)], true);
  disk.set(10); // room for the header and two bytes of the next record
  t.throws(() => wal.append([entry(2)], true), { code: 'ENOSPC' }, 'the record that did not fit is refused, not acknowledged');
  disk.set(Infinity); // disk_free
  const c = wal.append([entry(3)], true);
  wal.close();

  const replayed: WalRecord[] = [];
  const reopened = new Wal(dir);
  const r = reopened.open(0, (rec) => replayed.push(rec));
  reopened.close();
  t.same(r.quarantined, []);
  t.same(replayed.map((rec) => [rec.seq, rec.entries[0]!.ver]), [[a, 1], [c, 3]], 'replay finds every acknowledged record, the one after the failure too');
});

t.test('hints: a short write fails the store and leaves no torn line behind', async (t) => {
  const disk = nearlyFullDisk(t);
  const quiet = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;
  const hints = new HintedHandoff(disk.dir, async () => undefined, () => false, () => false, quiet);
  disk.set(10);
  t.throws(() => hints.store('b', [entry(1)]), { code: 'ENOSPC' }, 'the hint that did not fit is refused, not kept');
  disk.set(Infinity);
  hints.store('b', [entry(2)]);
  const lines = fs.readFileSync(path.join(disk.dir, 'b.hints'), 'utf8').split('\n').filter(Boolean);
  t.same(lines.map((l) => (JSON.parse(l) as WalEntry[])[0]!.ver), [2], 'one whole hint line, the one stored');
});

t.test('catalog follower: an entry that does not fit on disk is not acknowledged or applied either', async (t) => {
  const disk = nearlyFullDisk(t);
  const quiet = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;
  const noPeers = { call: async () => { throw new Error('no peers in this test'); } } as unknown as PeerClient;
  const bootstrapPeers = [{ id: 'a', url: 'http://127.0.0.1:1' }, { id: 'b', url: 'http://127.0.0.1:2' }];
  const open = () => {
    const transport = new HttpCatalogTransport(noPeers, (id) => bootstrapPeers.find((p) => p.id === id)?.url);
    const c = raftCatalog({ selfId: 'b', bootstrapPeers, storage: new FileRaftStorage(disk.dir), transport, log: quiet });
    c.open();
    return c;
  };
  const append: AppendRequest = {
    term: 1, leader_id: 'a', prev_log_index: 0, prev_log_term: 0, leader_commit: 4, cluster_id: 'c1', entries: [
      { index: 1, term: 1, voters: ['a', 'b'] },
      { index: 2, term: 1, command: { type: 'bootstrap', cluster_id: 'c1', leader: 'a', nodes: bootstrapPeers } },
      { index: 3, term: 1, command: { type: 'create_database', db: 'one' } },
      { index: 4, term: 1, command: { type: 'create_database', db: 'two' } },
    ],
  };
  const follower = open();
  follower.rpc.appendEntries({ ...append, entries: [], leader_commit: 0 }); // term 1 on disk first
  disk.set(JSON.stringify(append.entries[0]).length + 5); // the first entry fits, the batch does not
  t.throws(() => follower.rpc.appendEntries({ ...append }), { code: 'ENOSPC' }, 'not acknowledged');
  t.equal(follower.version, 0, 'the entries that were not written are not applied');
  disk.set(Infinity); // disk_free: the leader sends them again
  t.same(follower.rpc.appendEntries({ ...append }), { term: 1, success: true, last_log_index: 4 });
  t.equal(follower.version, 3);
  follower.stop();

  const reopened = open();
  t.equal(reopened.raftStatus().term, 1, 'the term survived the restart');
  t.same(reopened.rpc.appendEntries({ ...append, entries: [], prev_log_index: 4, prev_log_term: 1 }), { term: 1, success: true, last_log_index: 4 }, 'after a restart the log holds every entry, none lost to the full disk');
  t.same(Object.keys(reopened.state.databases).sort(), ['one', 'two']);
  reopened.stop();
});
