// The Raft log's file storage on a real directory: what a restart reads back after appends,
// a truncation (a deposed leader's suffix), a snapshot that compacts the log, appends and a
// truncation after it, and a line torn by a crash mid-append.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { FileRaftStorage } from '../src/catalog/raft/storage.js';
import { emptyCatalog } from '../src/catalog/state.js';
import type { RaftEntry } from '../src/catalog/raft/messages.js';

const entry = (index: number, term = 1): RaftEntry => ({ index, term, command: { type: 'create_database', db: `db${index}` } });
const indexes = (es: RaftEntry[]) => es.map((e) => `${e.index}@${e.term}`);

t.test('appends, truncation, snapshot and torn tail survive a reopen as they should', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-raft-storage-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const reopen = (s?: FileRaftStorage) => {
    s?.close();
    const fresh = new FileRaftStorage(dir);
    return { s: fresh, loaded: fresh.load() };
  };

  let { s, loaded } = reopen();
  t.same(loaded, { hard: { term: 0, voted_for: null }, snapshot: undefined, entries: [], commit: 0 }, 'an empty dir is an empty log');
  s.saveHardState({ term: 3, voted_for: 'b' });
  s.append([entry(1), entry(2), entry(3)]);
  s.append([entry(4), entry(5)]);
  s.truncateFrom(4); // a new leader disagreed from 4 on
  s.append([entry(4, 2)]);
  s.saveCommitIndex(3);
  ({ s, loaded } = reopen(s));
  t.same(loaded.hard, { term: 3, voted_for: 'b' });
  t.same(indexes(loaded.entries), ['1@1', '2@1', '3@1', '4@2'], 'the truncated suffix is gone, the entry after it kept');
  t.equal(loaded.commit, 3);

  const state = emptyCatalog();
  state.version = 3;
  state.databases.db1 = { name: 'db1', tables: Object.create(null) };
  s.saveSnapshot({ index: 3, term: 1, voters: ['a', 'b'], state }, [entry(4, 2)]);
  s.append([entry(5, 2), entry(6, 2)]);
  s.truncateFrom(6);
  ({ s, loaded } = reopen(s));
  t.equal(loaded.snapshot?.index, 3);
  t.same(loaded.snapshot?.voters, ['a', 'b']);
  t.ok(loaded.snapshot?.state.databases.db1, 'the snapshot keeps the catalog');
  t.equal(Object.getPrototypeOf(loaded.snapshot!.state.databases), null, 'its name records prototype-free');
  t.same(indexes(loaded.entries), ['4@2', '5@2'], 'after the snapshot: the kept entry, the appended one, not the truncated one');

  fs.appendFileSync(path.join(dir, 'raft-log.jsonl'), '{"index":6,"term":2,"comm'); // torn by a crash
  ({ s, loaded } = reopen(s));
  t.same(indexes(loaded.entries), ['4@2', '5@2'], 'a torn last line is cut');
  s.append([entry(6, 3)]);
  ({ s, loaded } = reopen(s));
  t.same(indexes(loaded.entries), ['4@2', '5@2', '6@3'], 'and the next append lands after the intact ones');
  s.close();
});

t.test('a crash between the snapshot and the log rewrite: the old log is kept only where it continues the snapshot', async (t) => {
  const state = emptyCatalog();
  /** The files a crash left: the old log of `entries`, and the new snapshot already renamed in. */
  const crashed = (entries: RaftEntry[], snapshot: { index: number; term: number }) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-raft-storage-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const s = new FileRaftStorage(dir);
    s.load();
    s.append(entries);
    s.close();
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-raft-snap-'));
    const writer = new FileRaftStorage(other);
    writer.load();
    writer.saveSnapshot({ ...snapshot, voters: ['a', 'b', 'c'], state }, []);
    writer.close();
    fs.copyFileSync(path.join(other, 'raft-snapshot.json'), path.join(dir, 'raft-snapshot.json'));
    fs.rmSync(other, { recursive: true, force: true });
    return dir;
  };
  const reload = (dir: string) => {
    const s = new FileRaftStorage(dir);
    const loaded = s.load();
    return { s, loaded };
  };

  // A leader's snapshot (index 3, term 2) replaced a log whose entries 3..5 were of term 1.
  let dir = crashed([entry(1), entry(2), entry(3), entry(4), entry(5)], { index: 3, term: 2 });
  let { s, loaded } = reload(dir);
  t.same(indexes(loaded.entries), [], 'entries after the snapshot from a log it replaced are dropped (they would win votes they must not)');
  s.append([entry(4, 2)]);
  s.close();
  ({ s, loaded } = reload(dir));
  t.same(indexes(loaded.entries), ['4@2'], 'and the log goes on after the snapshot');
  s.close();

  // This node's own compaction (index 3, term 1): the log continues it, nothing is lost.
  dir = crashed([entry(1), entry(2), entry(3), entry(4), entry(5)], { index: 3, term: 1 });
  ({ s, loaded } = reload(dir));
  t.same(indexes(loaded.entries), ['4@1', '5@1'], 'a log that continues the snapshot is kept');
  s.truncateFrom(5);
  s.close();
  ({ s, loaded } = reload(dir));
  t.same(indexes(loaded.entries), ['4@1'], 'and truncates where it should');
  s.close();
});
