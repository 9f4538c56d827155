// Each history checker against hand-made histories: ambiguous info writes, reads racing
// writes, the edges of "final read", an empty history, an identity written twice.
import t from 'tap';
import { checkHistory } from '../src/checkers/checker.js';
import { set } from '../src/checkers/set.js';
import { overwrite } from '../src/checkers/overwrite.js';
import { staleReads } from '../src/checkers/stale-reads.js';
import { convergence } from '../src/checkers/convergence.js';
import { parseLineProtocol } from '../src/engine/line-protocol.js';
import { join } from 'node:path';
import { HistoryBuilder, pt, row } from './helpers/history-builder.js';

const one = (c: typeof set, h: HistoryBuilder) => checkHistory([c], h.entries)[0]!;

t.test('set: an empty history is unknown, not valid', async (t) => {
  const r = one(set, new HistoryBuilder());
  t.equal(r.valid, 'unknown');
  t.match(r.summary, /nothing to check/);
});

t.test('set: every acknowledged point in the final read is valid, with visibility times', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1)], 0, 10);
  h.write([pt('h2', 2)], 20, 30);
  h.read([row('h1', 1)], 15, 16); // not final: a write came after; h1 visible 5 ms after its ack
  h.read([row('h1', 1), row('h2', 2)], 100, 110);
  const r = one(set, h);
  t.equal(r.valid, true, r.summary);
  t.equal(r.acknowledged, 2);
  t.same(r.visibility_ms, { p50: 5, p99: 70, points: 2 });
});

t.test('set: an acknowledged point absent from the final reads is lost, and the message names the write', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1)], 0, 10);
  h.write([pt('h3', 3)], 11, 12300, 'ok', { node: 'b' });
  h.read([row('h1', 1)], 13000, 13100);
  h.read([row('h1', 1)], 13000, 13200, { node: 'c' });
  const r = one(set, h);
  t.equal(r.valid, false);
  t.equal(r.lost, 1);
  t.same(r.failures, ['write #2 of point cpu,host=h3 at 2024-01-01T00:00:03Z acknowledged by node b at 12.3 s is absent from all final reads (2 final reads via a, c, the first #4)']);
});

t.test('set: ambiguous info writes are recovered when read, and not lost when absent', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1)], 0, 10, 'info');
  h.write([pt('h2', 2)], 0, 10, 'info');
  h.write([pt('h3', 3)], 0, 10, 'fail');
  h.read([row('h1', 1)], 50, 60);
  const r = one(set, h);
  t.equal(r.valid, true, 'nothing acknowledged, nothing lost: info writes may or may not apply');
  t.equal(r.lost, 0);
  t.equal(r.recovered, 1);
  t.equal(r.info_not_applied, 1);
  h.write([pt('h4', 4)], 70, 80);
  h.read([row('h1', 1), row('h4', 4)], 90, 95);
  t.equal(one(set, h).valid, true);
});

t.test('set: a write that failed (certainly not applied) but is read back is invalid', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1)], 0, 10, 'fail');
  h.write([pt('h2', 2)], 0, 10);
  h.read([row('h1', 1), row('h2', 2)], 50, 60);
  const r = one(set, h);
  t.equal(r.valid, false);
  t.match(r.failures[0], /write #0 of point cpu,host=h1 .* failed \(certainly not applied\), yet a read returned it/);
});

t.test('set: a read racing a write is not a final read', async (t) => {
  const h = new HistoryBuilder();
  const w = h.invoke('write', 0, { db: 'db1', points: [pt('h1', 1)] });
  const r1 = h.invoke('query', 5, { db: 'db1', sql: 'SELECT * FROM cpu', read: { table: 'cpu', complete: true } });
  h.complete(w, 'ok', 10);
  h.complete(r1, 'ok', 12, { status: 200, rows: [] }); // began before the ack, ended after
  let r = one(set, h);
  t.equal(r.valid, 'unknown', 'the only read raced the write: no final read, so no verdict');
  t.equal(r.lost, 0);
  t.match(r.summary, /no final read/);
  h.read([row('h1', 1)], 20, 25);
  r = one(set, h);
  t.equal(r.valid, true);
});

t.test('set: reads with WHERE/LIMIT or local reads are never final; marked final reads win', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1), pt('h2', 2)], 0, 10);
  h.read([row('h1', 1)], 20, 25, { complete: false });
  h.read([row('h1', 1)], 20, 25, { local: true });
  t.equal(one(set, h).valid, 'unknown');
  h.read([row('h1', 1)], 30, 35, { final: true });
  h.read([row('h1', 1), row('h2', 2)], 40, 45);
  const r = one(set, h);
  t.equal(r.valid, false, 'the marked final read is the final read, whatever comes after');
  t.match(r.failures[0], /cpu,host=h2 .* absent from all final reads \(1 final read via a, the first #6\)/);
});

t.test('set: unexpected and duplicated points', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1)], 0, 10);
  h.read([row('h1', 1), row('h1', 1), row('ghost', 7)], 20, 25, { node: 'c' });
  const r = one(set, h);
  t.equal(r.valid, false);
  t.equal(r.unexpected, 1);
  t.equal(r.duplicated, 1);
  t.match(r.failures.join('\n'), /read #2 via node c at 0\.0 s returned point cpu,host=ghost at 2024-01-01T00:00:07Z, which no write sent/);
  t.match(r.failures.join('\n'), /returned point cpu,host=h1 at 2024-01-01T00:00:01Z more than once/);
});

t.test('set: a read that sees a write still in flight is not unexpected (completion order)', async (t) => {
  // The read begins, the write goes in and applies, the read answers with the point,
  // and only then does the write's ack come back: the history holds the read's
  // completion before the write's (scenarios/concurrent-admin-operations.yaml did this).
  const h = new HistoryBuilder();
  h.write([pt('h0', 0)], 0, 0); // the table's tags are known from the writes before
  const r1 = h.invoke('query', 0, { db: 'db1', sql: 'SELECT * FROM cpu', read: { table: 'cpu', complete: true } }, 'b');
  const w = h.invoke('write', 1, { db: 'db1', lines: 1, points: [pt('h1', 1)] }, 'c');
  h.complete(r1, 'ok', 5, { status: 200, count: 2, rows: [row('h0', 0), row('h1', 1)] });
  h.complete(w, 'ok', 8);
  h.read([row('h0', 0), row('h1', 1)], 20, 25, { final: true });
  const r = one(set, h);
  t.equal(r.valid, true, r.failures.join('\n'));
  t.equal(r.unexpected, 0);
  t.equal(r.acknowledged, 2);
  t.same(r.visibility_ms, { p50: 0, p99: 0, points: 2 }, 'h1 visible before its ack');
  // A point no write ever sends stays unexpected, however late the history ends.
  h.read([row('ghost', 7)], 30, 35, { node: 'c' });
  h.write([pt('h2', 2)], 40, 45);
  const r2 = one(set, h);
  t.equal(r2.valid, false);
  t.equal(r2.unexpected, 1);
  t.match(r2.failures.join('\n'), /read #\d+ via node c at 0\.0 s returned point cpu,host=ghost at 2024-01-01T00:00:07Z, which no write sent/);
});

t.test('set: an identity written twice counts once; a rejected line of a partial write is not acknowledged', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1, 1)], 0, 10);
  h.write([pt('h1', 1, 2)], 20, 30);
  h.write([{ ...pt('h2', 2), line: 1 }, { ...pt('h3', 3), line: 2 }], 40, 50, 'ok', { rejected: [2] });
  h.read([row('h1', 1, 2), row('h2', 2)], 60, 70);
  const r = one(set, h);
  t.equal(r.valid, true, r.summary);
  t.equal(r.acknowledged, 2);
});

t.test('overwrite: the last acknowledged value wins; an older one is named', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1, 10)], 0, 10);
  h.write([pt('h1', 1, 20)], 20, 30, 'ok', { node: 'b' });
  h.read([row('h1', 1, 20)], 40, 50);
  t.equal(one(overwrite, h).valid, true);
  const bad = new HistoryBuilder();
  bad.write([pt('h1', 1, 10)], 0, 10);
  bad.write([pt('h1', 1, 20)], 20, 30, 'ok', { node: 'b' });
  bad.read([row('h1', 1, 10)], 40, 50, { node: 'c' });
  const r = one(overwrite, bad);
  t.equal(r.valid, false);
  t.match(r.failures[0], /final read #4 via node c at 0\.1 s shows point cpu,host=h1 at 2024-01-01T00:00:01Z with \{"value":10\}, but the last acknowledged value is from write #2 \(\{"value":20\}, acknowledged by node b at 0\.0 s\)/);
});

t.test('overwrite: concurrent writes may either win; an info write may win; nothing else may', async (t) => {
  const h = new HistoryBuilder();
  const w1 = h.invoke('write', 0, { db: 'db1', points: [pt('h1', 1, 1)] });
  const w2 = h.invoke('write', 1, { db: 'db1', points: [pt('h1', 1, 2)] });
  h.complete(w2, 'ok', 5);
  h.complete(w1, 'ok', 6);
  h.read([row('h1', 1, 2)], 10, 11);
  t.equal(one(overwrite, h).valid, true, 'w2 overlapped w1: either is last');
  h.write([pt('h1', 1, 3)], 20, 30, 'info');
  h.read([row('h1', 1, 3)], 40, 41);
  t.equal(one(overwrite, h).valid, true, 'the info write may have applied');
  h.read([row('h1', 1, 99)], 42, 43);
  t.equal(one(overwrite, h).valid, false, 'a value no candidate wrote');
  t.equal(one(overwrite, new HistoryBuilder()).valid, 'unknown', 'empty history');
});

t.test('set: a row names its point by its tag values: an empty tag is no tag, a number is its text, a tag learnt later counts', async (t) => {
  const at = (sec: number) => row('x', sec).time;
  const h = new HistoryBuilder();
  h.write([{ table: 'cpu', tags: {}, time: pt('x', 1).time, fields: { value: 1 }, line: 1 }, pt('h1', 1), pt('5', 2)], 0, 10);
  h.read([{ host: null, time: at(1), value: 1 }, row('h1', 1), { host: 5, time: at(2), value: 2 }], 20, 30);
  // A tag key the table had not used before: rows read after it name their points by it too.
  h.write([{ table: 'cpu', tags: { host: 'h1', region: 'eu' }, time: pt('x', 3).time, fields: { value: 3 }, line: 1 }], 40, 50);
  h.read([{ host: '', time: at(1), value: 1 }, row('h1', 1), { host: 5, time: at(2), value: 2 }, { host: 'h1', region: 'eu', time: at(3), value: 3 }], 60, 70);
  const r = one(set, h);
  t.equal(r.valid, true, r.failures.join('\n'));
  t.equal(r.acknowledged, 4);
  t.equal(r.unexpected, 0);
  // null and '' are the same absent tag: one point, returned twice.
  h.read([{ host: null, time: at(1), value: 1 }, { host: '', time: at(1), value: 1 }], 80, 90, { node: 'b' });
  const twice = one(set, h);
  t.equal(twice.duplicated, 1);
  t.match(twice.failures.join('\n'), /read #8 via node b at 0\.1 s returned point cpu at 2024-01-01T00:00:01Z more than once/);
});

t.test('overwrite: a write supersedes only the fields it sets again; the message names every remaining candidate', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1, 1)], 0, 10);
  h.write([pt('h1', 1, 2)], 20, 30, 'info');
  h.write([{ ...pt('h1', 1), fields: { value: 3, x: 'p' } }], 40, 50, 'ok', { node: 'b' });
  h.write([{ ...pt('h1', 1), fields: { x: 'q' } }], 60, 70, 'ok', { node: 'c' });
  h.read([{ ...row('h1', 1, 3), x: 'q' }], 80, 90);
  t.equal(one(overwrite, h).valid, true, 'value from write #4, x from write #6');
  h.read([{ ...row('h1', 1, 2), x: 'p' }], 100, 110);
  t.equal(one(overwrite, h).valid, true, 'value from the info write, x from write #4');
  h.read([{ ...row('h1', 1, 1), x: 'q' }], 120, 130, { node: 'b' });
  const r = one(overwrite, h);
  t.equal(r.valid, false, 'write #0 was superseded by write #4, which began after it completed');
  t.equal(r.failures[0], 'final read #12 via node b at 0.1 s shows point cpu,host=h1 at 2024-01-01T00:00:01Z with {"value":1}, but the last acknowledged value is from '
    + 'write #4 ({"value":3,"x":"p"}, acknowledged by node b at 0.1 s) or write #6 ({"x":"q"}, acknowledged by node c at 0.1 s) (or info write #2)');
});

t.test('invokes pair with their completions however many are in flight; those never completed are info', async (t) => {
  for (const inFlight of [3, 100]) {
    const h = new HistoryBuilder();
    const invokes = Array.from({ length: inFlight }, (_, i) => h.invoke('write', i, { db: 'db1', lines: 1, points: [pt(`h${i}`, i)] }));
    // Completed last-invoked first; the first two never complete (the run was cut off).
    for (let i = inFlight - 1; i >= 2; i--) h.complete(invokes[i]!, 'ok', 1000 + i);
    h.read(Array.from({ length: inFlight - 1 }, (_, i) => row(`h${i + 1}`, i + 1)), 5000, 5100, { final: true });
    const r = one(set, h);
    t.equal(r.acknowledged, inFlight - 2, `${inFlight} in flight: every completion found its invoke`);
    t.equal(r.recovered, 1, `${inFlight} in flight: the never-completed write that was read is info, recovered`);
    t.equal(r.info_not_applied, 1);
    t.equal(r.valid, true, r.failures.join('\n'));
  }
});

const all2: Record<string, { replication_factor: number; consistency: string }> = { cpu: { replication_factor: 2, consistency: 'all' } };

t.test('stale-reads: a read begun after an all-replica ack that misses the point is stale', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1)], 0, 10, 'ok', { tables: all2, node: 'b' });
  h.read([], 5, 15); // racing: began before the ack, not judged
  t.equal(one(staleReads, h).valid, 'unknown');
  h.read([], 20, 25, { node: 'c' });
  const r = one(staleReads, h);
  t.equal(r.valid, false);
  t.match(r.failures[0], /read #4 via node c begun at 0\.0 s misses point cpu,host=h1 at 2024-01-01T00:00:01Z of write #0 \(consistency all\), acknowledged by node b at 0\.0 s/);
});

t.test('stale-reads: only reads the consistency level promises are judged', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1)], 0, 10, 'ok', { tables: { cpu: { replication_factor: 3, consistency: 'quorum' } } });
  h.read([], 20, 25);
  t.equal(one(staleReads, h).valid, 'unknown', 'quorum of 3 with one-replica reads promises nothing');
  const local = new HistoryBuilder();
  local.write([pt('h1', 1)], 0, 10, 'ok', { tables: all2 });
  local.read([], 20, 25, { local: true });
  t.equal(one(staleReads, local).valid, 'unknown', 'local reads promise nothing');
  const ok = new HistoryBuilder();
  ok.write([pt('h1', 1)], 0, 10, 'ok', { tables: { cpu: { replication_factor: 3, consistency: 'quorum' } }, consistency: 'all' });
  ok.read([row('h1', 1)], 20, 25);
  t.equal(one(staleReads, ok).valid, true, 'a per-write consistency all override is judged');
});

t.test('convergence: the last checksums per shard must agree; a write after them leaves it unknown', async (t) => {
  const h = new HistoryBuilder();
  h.checksum('S1', 'a', 'x', 3, 10);
  h.checksum('S1', 'b', 'x', 3, 12);
  t.equal(one(convergence, h).valid, true);
  h.checksum('S1', 'b', 'y', 2, 14);
  const r = one(convergence, h);
  t.equal(r.valid, false);
  t.match(r.failures[0], /replicas of shard S1 differ after the last change: node a .* 3 rows, checksum x; node b .* 2 rows, checksum y/);
  h.write([pt('h1', 1)], 20, 30);
  t.equal(one(convergence, h).valid, 'unknown');
});

t.test('a checker that throws answers unknown instead of crashing the others', async (t) => {
  const boom = { name: 'boom', description: '', start: () => ({ op() { throw new Error('kaput'); }, end() { return { checker: 'boom', valid: true as const, summary: '', failures: [] }; } }) };
  const h = new HistoryBuilder();
  h.write([pt('h1', 1)], 0, 10);
  h.read([row('h1', 1)], 20, 25);
  const [a, b] = checkHistory([boom, set], h.entries);
  t.match(a, { checker: 'boom', valid: 'unknown', summary: /kaput/ });
  t.equal(b!.valid, true);
});

t.test('line protocol as the history records it', async (t) => {
  const { points, unparsed } = parseLineProtocol('# c\nm\\ 1,t\\,k=v\\ 1,a=b f="x \\"y\\"",i=5i,u=7u,b=t,fl=1.5 1700000000\ncpu value=1\nbroken line here\nbig n=9007199254740993i 1', 'auto');
  t.same(points[0], { table: 'm 1', tags: { a: 'b', 't,k': 'v 1' }, time: '1700000000000000000', fields: { f: 'x "y"', i: 5, u: 7, b: true, fl: 1.5 }, line: 2 });
  t.equal(points[1]!.time, null, 'no timestamp: the server picks it');
  t.same(unparsed, [4]);
  t.equal(points[2]!.fields.n, '9007199254740993', 'beyond 2^53: kept exact as text');
  t.equal(points[2]!.time, '1000000000', 'auto precision: seconds');
});

t.test('a large value goes to a sidecar that check reads back', async (t) => {
  const { HistoryReporter } = await import('../src/reporters/history.js');
  const { checkRun } = await import('../src/checkers/history-file.js');
  const { readdirSync, readFileSync } = await import('node:fs');
  const dir = t.testdir({});
  const rep = new HistoryReporter(dir, 2000);
  const h = new HistoryBuilder();
  const pts = Array.from({ length: 100 }, (_, i) => pt(`h${i}`, i));
  h.write(pts, 0, 10);
  h.read(pts.map((_, i) => row(`h${i}`, i)), 20, 30);
  for (const e of h.entries) rep.onOperation(e);
  rep.flush();
  t.same(readdirSync(join(dir, 'history')).sort(), ['1.json', '4.json'], 'the write\'s points and the read\'s rows, named by their lines');
  const lines = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.same(lines[3].sidecar, { file: 'history/4.json', keys: ['rows'] });
  t.same(lines[3].value, { status: 200, count: 100 });
  const [v] = await checkRun(dir, () => [set]);
  t.match(v!.results[0], { valid: true, acknowledged: 100 });
});
