// history.bin, the runner's compact copy of history.jsonl that `phantom-test check` reads
// (src/reporters/history-binary.ts, src/checkers/history-bin.ts): what it reads must be what
// the jsonl says, entry for entry, and it must step aside whenever it does not match the
// jsonl beside it (an edit, a bin cut short or corrupt, another version), so the verdicts
// are always the jsonl's.
import t from 'tap';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHistory } from '../src/checkers/checker.js';
import { CheckInputError, checkRun, readEntry } from '../src/checkers/history-file.js';
import { readBinHistory } from '../src/checkers/history-bin.js';
import type { CheckEntry } from '../src/checkers/history-lines.js';
import { set } from '../src/checkers/set.js';
import { overwrite } from '../src/checkers/overwrite.js';
import { staleReads } from '../src/checkers/stale-reads.js';
import { convergence } from '../src/checkers/convergence.js';
import { CHECKERS } from '../src/checkers/index.js';
import { HistoryReporter } from '../src/reporters/history.js';
import { HEADER_BYTES, Rec, Slot } from '../src/engine/history-bin-format.js';
import type { HistoryEntry } from '../src/engine/history.js';
import { HistoryBuilder, awkwardHistory, pt, recorded, row } from './helpers/history-builder.js';
import { cli, sandbox } from './helpers.js';

const ALL = [set, overwrite, staleReads, convergence];

/** A new empty folder, removed after the test (a test needs several). */
function fresh(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'phantom-history-bin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The run folder the runner would write, a batch (a flush, a SYNC) every `batch` entries. */
function saved(dir: string, entries: HistoryEntry[], opts: { threshold?: number; batch?: number } = {}): string {
  mkdirSync(dir, { recursive: true });
  const rep = new HistoryReporter(dir, opts.threshold);
  entries.forEach((e, i) => { rep.onOperation(recorded(e)); if ((i + 1) % (opts.batch ?? Infinity) === 0) rep.flush(); });
  rep.onEnd();
  return dir;
}

/** What the checkers read of an entry, as plain data. */
const seen = (e: CheckEntry) => ({
  index: e.index, scenario: e.scenario, invoke_index: e.invoke_index, time_ms: e.time_ms, type: e.type, f: e.f, node: e.node, step: e.step, value: e.value, error: e.error,
  write: e.write?.points.map((p) => ({ series: p.shape.series, table: p.shape.table, tagKeys: p.shape.tagKeys, time: Number.isNaN(p.secs) ? null : `${p.secs}${String(p.nanos).padStart(9, '0')}`, fields: p.fields, line: p.line })),
});

/** Both files modified at the same moment, as when the runner's two appends fall in one clock tick. */
async function fromBin(dir: string): Promise<{ entries: CheckEntry[]; lines: number; bytes: number }> {
  const entries: CheckEntry[] = [];
  const covered = await readBinHistory(dir, join(dir, 'history.jsonl'), (e) => entries.push(e));
  return { entries, ...covered };
}

/** The verdicts from history.jsonl alone: the same folder copied to `copy` without its bin. */
async function fromJsonl(copy: string, dir: string, checkers = ALL) {
  cpSync(dir, copy, { recursive: true });
  rmSync(join(copy, 'history.bin'), { force: true });
  return checkRun(copy, () => checkers);
}

t.test('every entry reads back from history.bin as JSON.parse reads its jsonl line', async (t) => {
  for (const threshold of [undefined, 200]) {
    const h = awkwardHistory();
    const dir = saved(fresh(t), h.entries, { threshold, batch: 3 });
    const lines = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n');
    const bin = await fromBin(dir);
    t.equal(bin.lines, lines.length, `every line is in the bin (sidecars: ${threshold !== undefined})`);
    t.equal(bin.bytes, statSync(join(dir, 'history.jsonl')).size);
    bin.entries.forEach((got, i) => {
      const want = readEntry(lines[i]!, `history.jsonl:${i + 1}`, dir);
      const { write, ...rest } = seen(got);
      const { write: _, ...expected } = seen(want as CheckEntry);
      t.same(rest, expected, `line ${i + 1}`);
      t.strictSame(JSON.stringify(got.value), JSON.stringify(want.value), `line ${i + 1}: the value, key order and all`);
      const points = (want.value as { points?: Array<{ table: string; time: string | null; fields: object; line: number }> } | undefined)?.points;
      if (write) t.same(write.map((p) => [p.table, p.time, p.fields, p.line]), points!.map((p) => [p.table, p.time, p.fields, p.line]), `line ${i + 1}: the write's points`);
    });
    const writes = bin.entries.filter((e) => e.write);
    t.ok(writes.length >= (threshold ? 3 : 6), `${writes.length} writes carry their points in binary`);
    t.equal(bin.entries.find((e) => e.f === 'write' && e.type === 'invoke' && (e.value as { points: Array<{ time: string }> }).points[0]!.time === '5')?.write, undefined, 'a point whose time the binary form cannot carry leaves the write to JSON, as the jsonl scanner does');
    const h1 = writes[0]!.write!.points[0]!.shape;
    const again = bin.entries.filter((e) => e.write?.points.some((p) => p.shape.series === h1.series));
    t.ok(again.every((e) => e.write!.points.filter((p) => p.shape.series === h1.series).every((p) => p.shape === h1)), 'one shape object per series (identities key series ids by it)');
  }
});

t.test('check answers the same from history.bin as from history.jsonl', async (t) => {
  const h = awkwardHistory();
  const want = checkHistory(ALL, h.entries);
  t.equal(want[0]!.valid, true, want[0]!.summary);
  for (const threshold of [undefined, 200]) {
    const dir = saved(fresh(t), h.entries, { threshold, batch: 4 });
    const [bin] = await checkRun(dir, () => ALL);
    t.same(bin!.results, want, `from the bin (sidecars: ${threshold !== undefined})`);
    t.same((await fromJsonl(fresh(t), dir))[0]!.results, want, 'from the jsonl');
  }
  // A lost write, named the same way.
  const lost = new HistoryBuilder();
  lost.write([pt('h1', 1)], 0, 10);
  lost.write([pt('h3', 3)], 11, 12300, 'ok', { node: 'b' });
  lost.read([row('h1', 1)], 13000, 13100);
  const [v] = await checkRun(saved(fresh(t), lost.entries), () => [set, overwrite]);
  t.same(v!.results[0]!.failures, ['write #2 of point cpu,host=h3 at 2024-01-01T00:00:03Z acknowledged by node b at 12.3 s is absent from all final reads (1 final read via a, the first #4)']);
});

/** A history whose final read misses nothing; `drop` edits its last line to miss h2's point. */
function finalRead(): { h: HistoryBuilder } {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1)], 0, 10);
  h.write([pt('h2', 2)], 11, 20);
  h.read([row('h1', 1), row('h2', 2)], 30, 40);
  return { h };
}

t.test('an edited history.jsonl is what check reads, not the stale bin', async (t) => {
  // Right after the run (our own tests do this): the edit is in the same clock tick as the bin's last write.
  const dir = saved(fresh(t), finalRead().h.entries);
  const path = join(dir, 'history.jsonl');
  const text = readFileSync(path, 'utf8');
  writeFileSync(path, text.replace(/,\{"host":"h2"[^}]*\}/, ''));
  t.equal((await fromBin(dir)).lines, 0, 'the bin steps aside');
  const [quick] = await checkRun(dir, () => [set]);
  t.equal(quick!.results[0]!.valid, false, 'the write the edit removed from the final read is lost');
  t.match(quick!.results[0]!.failures[0], /cpu,host=h2 .* is absent from all final reads/);

  // Later, by hand, keeping the file's length: only its time says it changed.
  const later = saved(fresh(t), finalRead().h.entries);
  const lpath = join(later, 'history.jsonl');
  const before = readFileSync(lpath, 'utf8');
  const edited = before.replace('"value":2}]', '"value":9}]');
  t.equal(edited.length, before.length);
  writeFileSync(lpath, edited);
  const bin = statSync(join(later, 'history.bin'));
  utimesSync(lpath, bin.atime, new Date(bin.mtimeMs + 2000));
  t.equal((await fromBin(later)).lines, 0, 'a jsonl newer than the bin is read instead');
  const [byHand] = await checkRun(later, () => [overwrite]);
  t.equal(byHand!.results[0]!.valid, false, byHand!.results[0]!.summary);
  t.same(byHand!.results, (await fromJsonl(fresh(t), later, [overwrite]))[0]!.results);

  // The same length, far from the tail the bin checks, and both files set to one whole
  // second (touch, cp -p): the jsonl's time is no longer the one the bin was written for.
  const early = saved(fresh(t), finalRead().h.entries);
  const epath = join(early, 'history.jsonl');
  const original = readFileSync(epath, 'utf8');
  const swapped = original.replace('"host":"h1"', '"host":"hX"');
  t.not(swapped, original);
  t.equal(swapped.length, original.length);
  writeFileSync(epath, swapped);
  const second = new Date(Math.floor(statSync(epath).mtimeMs / 1000) * 1000);
  for (const f of ['history.jsonl', 'history.bin']) utimesSync(join(early, f), second, second);
  t.equal((await fromBin(early)).lines, 0, 'a same-length edit early in the file, times set alike: the jsonl is read');
  t.same((await checkRun(early, () => [set]))[0]!.results, (await fromJsonl(fresh(t), early, [set]))[0]!.results);
});

t.test('a run killed between the jsonl and bin appends: the bin no longer names that jsonl, which is read whole, numbered as in the file', async (t) => {
  const h = awkwardHistory();
  const dir = fresh(t);
  const rep = new HistoryReporter(dir);
  const cut = 9;
  h.entries.slice(0, cut).forEach((e) => rep.onOperation(recorded(e)));
  rep.flush();
  // The last batch reaches history.jsonl only: the bin's writer never runs for it.
  (rep as unknown as { bin: { flush(): void } }).bin.flush = () => {};
  h.entries.slice(cut).forEach((e) => rep.onOperation(recorded(e)));
  rep.flush();
  const path = join(dir, 'history.jsonl');
  t.equal((await fromBin(dir)).lines, 0, 'the bin steps aside');
  t.same((await checkRun(dir, () => ALL))[0]!.results, checkHistory(ALL, h.entries), 'the jsonl has it all');
  // A corrupt line in that rest is named by its line in the file.
  const lines = readFileSync(path, 'utf8').split('\n');
  const read = lines.findIndex((l) => l.includes('"read":{'));
  t.ok(read >= cut, 'the read is in the batch the bin lacks');
  lines[read] = lines[read]!.replace('"read":{', '"read":{{');
  writeFileSync(path, lines.join('\n'));
  await t.rejects(checkRun(dir, () => [set]), { constructor: CheckInputError, message: new RegExp(`history\\.jsonl:${read + 1}: not a JSON line`) });
});

t.test('a bin cut short or not ours is set aside; one damaged inside is a clear error naming it', async (t) => {
  const h = awkwardHistory();
  const want = checkHistory(ALL, h.entries);
  const dir = saved(fresh(t), h.entries, { batch: 5 });
  const binPath = join(dir, 'history.bin');
  const good = readFileSync(binPath);
  const total = h.entries.length;
  t.equal((await fromBin(dir)).lines, total);

  // Set aside (the jsonl is read, nothing is wrong with the run).
  const aside: Array<[string, (b: Buffer) => Buffer]> = [
    ['cut short inside the last batch', (b) => b.subarray(0, b.length - 7)],
    ['cut short inside its header', (b) => b.subarray(0, 12)],
    ['another version of the format', (b) => { const c = Buffer.from(b); c.writeUInt16LE(99, 7); return c; }],
    ['not ours at all', () => Buffer.from('{"index":0}\n')],
    ['a header slot that is not a whole number', (b) => { const c = Buffer.from(b); c.writeDoubleLE(NaN, Slot.binEnd); return c; }],
    ['a header slot with a fractional end', (b) => { const c = Buffer.from(b); c.writeDoubleLE(c.readDoubleLE(Slot.binEnd) - 0.5, Slot.binEnd); return c; }],
    ['a header slot claiming a 4 GiB tail', (b) => { const c = Buffer.from(b); c.writeUInt32LE(0xffffffff, Slot.tailBytes); return c; }],
    ['empty', () => Buffer.alloc(0)],
  ];
  for (const [what, damage] of aside) {
    writeFileSync(binPath, damage(good));
    t.equal((await fromBin(dir)).lines, 0, `${what}: set aside`);
    t.same((await checkRun(dir, () => ALL))[0]!.results, want, `${what}: the same verdicts, from the jsonl`);
  }
  // Damaged inside, past every check of its header: entries were handed on already, so only
  // a clear error is safe. Deleting the bin, as it says, checks the jsonl.
  const damaged: Array<[string, (b: Buffer) => Buffer]> = [
    ['a record of an unknown kind in the 3rd batch', (b) => { const c = Buffer.from(b); c[afterSync(c, 2)] = 0x7f; return c; }],
    ['a record whose length runs past the file, in the 2nd batch', (b) => { const c = Buffer.from(b); c.writeUInt32LE(0x7fffffff, afterSync(c, 1) + 1); return c; }],
    ['an op naming a scenario nothing defined, in the 4th batch', (b) => { const c = Buffer.from(b); const op = afterSync(c, 3, Rec.Op); c.writeUInt32LE(99_999, op + 5 + 9); return c; }],
    ['a SYNC claiming lines its batch does not have', (b) => { const c = Buffer.from(b); const sync = afterSync(c, 1, Rec.Sync); c.writeDoubleLE(99, sync + 5 + 8); return c; }],
    ['the last SYNC naming fewer jsonl bytes than its header', (b) => { const c = Buffer.from(b); const sync = lastSync(c); c.writeDoubleLE(c.readDoubleLE(sync + 5) - 10, sync + 5); return c; }],
  ];
  for (const [what, damage] of damaged) {
    writeFileSync(binPath, damage(good));
    await t.rejects(checkRun(dir, () => ALL), { constructor: CheckInputError, message: /history\.bin is corrupt at byte \d+ \(.+\): delete it and check again, from .*history\.jsonl/ }, what);
  }
  rmSync(binPath);
  t.same((await checkRun(dir, () => ALL))[0]!.results, want, 'deleted, as the error says: the jsonl');
});

/** The offset of the last SYNC record of a bin. */
function lastSync(b: Buffer): number {
  let last = -1;
  for (let at = HEADER_BYTES; at < b.length; at += 5 + b.readUInt32LE(at + 1)) if (b[at] === Rec.Sync) last = at;
  return last;
}

/** The offset of the first record (of `kind`, if given) after the `syncs`-th SYNC of a bin, walking the records' lengths. */
function afterSync(b: Buffer, syncs: number, kind?: number): number {
  let at = HEADER_BYTES;
  for (let seen = 0; seen < syncs; at += 5 + b.readUInt32LE(at + 1)) if (b[at] === Rec.Sync) seen++;
  while (kind !== undefined && b[at] !== kind) at += 5 + b.readUInt32LE(at + 1);
  return at;
}

t.test('an entry the format cannot carry stops the copy there; the jsonl has the rest', async (t) => {
  const h = awkwardHistory();
  const odd = h.entries.map(recorded);
  (odd[6] as { index: unknown }).index = 6.5; // another recorder's index
  const dir = saved(fresh(t), odd, { batch: 4 });
  t.equal((await fromBin(dir)).lines, 4, 'the batches before it');
  const jsonl = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l, i) => readEntry(l, `${i + 1}`, dir));
  t.same((await checkRun(dir, () => ALL))[0]!.results, checkHistory(ALL, jsonl));
});

t.test('what utf8 or the binary form would not keep exactly goes as JSON: the same entries and verdicts', async (t) => {
  const h = new HistoryBuilder();
  const lone = 'h\ud83d'; // a lone surrogate: utf8 would make it U+FFFD
  h.write([pt(lone, 1, 'x\ud83d')], 0, 1);
  h.read([row(lone, 1, 'x\ud83d')], 2, 3);
  // A NUL inside a tag must not make {x: 'a', y: 'b'} and {x: 'a\0y\0b'} one series.
  const nul = { table: 'cpu', tags: { host: 'a\u0000dc\u0000b' }, time: pt('a', 4).time, fields: { value: 4 }, line: 1 };
  h.write([{ table: 'cpu', tags: { dc: 'b', host: 'a' }, time: pt('a', 4).time, fields: { value: 40 }, line: 1 }], 4, 5);
  h.write([nul], 6, 7);
  // A field called __proto__, and a point recorded with its keys in another order.
  h.write([{ table: 'cpu', tags: { host: 'p' }, time: pt('p', 8).time, fields: JSON.parse('{"__proto__": 1, "value": 8}'), line: 1 }], 8, 9);
  h.write([{ tags: { host: 'o' }, table: 'cpu', time: pt('o', 10).time, fields: { value: 10 }, line: 1 }], 10, 11);
  h.read([{ host: 'a', dc: 'b', time: '2024-01-01T00:00:04Z', value: 40 }, { host: 'a\u0000dc\u0000b', time: '2024-01-01T00:00:04Z', value: 4 }, row('p', 8), row('o', 10), row(lone, 1, 'x\ud83d')], 20, 21);
  const dir = saved(fresh(t), h.entries);
  const lines = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n');
  const bin = await fromBin(dir);
  t.equal(bin.lines, lines.length, 'the bin covers every line');
  t.same(bin.entries.map((e) => ({ value: e.value, error: e.error })), lines.map((l) => { const e = JSON.parse(l); return { value: e.value, error: e.error }; }), 'each value as JSON.parse reads its line');
  const results = await checkRun(dir, () => [set, overwrite]);
  t.same(results, await fromJsonl(fresh(t), dir, [set, overwrite]), 'the same verdicts as from the jsonl');
  t.equal(results[0]!.results[0]!.valid, true, results[0]!.results[0]!.summary);
});

t.test('a missing sidecar is the same error from the bin as from the jsonl', async (t) => {
  const h = new HistoryBuilder();
  h.write(Array.from({ length: 50 }, (_, i) => pt(`h${i}`, i)), 0, 10);
  h.read(Array.from({ length: 50 }, (_, i) => row(`h${i}`, i)), 20, 30);
  const dir = saved(fresh(t), h.entries, { threshold: 2000 });
  rmSync(join(dir, 'history', '4.json'));
  await t.rejects(checkRun(dir, () => [set]), { constructor: CheckInputError, message: /history\.jsonl:4: its sidecar .*history\/4\.json is missing/ });
});

t.test('a real set + overwrite workload beside a fault: check prints the same from history.bin as from history.jsonl', async (t) => {
  const sb = sandbox(t);
  const dir = t.testdir({
    's.yaml': `name: bin and jsonl agree
cluster: { nodes: [a, b, c] }
databases:
  db1:
    tables:
      events:
        tags: [key]
        fields: { value: integer }
        replication_factor: 3
        consistency: quorum
        shards:
          EV: { time: all, hash: all, nodes: [a, b, c] }
      regs:
        tags: [key]
        fields: { value: integer }
        replication_factor: 3
        consistency: quorum
        shards:
          RG: { time: all, hash: all, nodes: [a, b, c] }
steps:
  - parallel:
      - workload: { table: events, kind: set, clients: 3, rate: 60, duration: 3s, op_timeout: 200ms }
      - workload: { table: regs, kind: overwrite, keys: 4, clients: 3, rate: 60, duration: 3s, op_timeout: 200ms }
      # b paused for most of the workloads (a third of the ops go to it), so some writes are info on any machine.
      - - wait: 300ms
        - fault: { pause: b }
        - wait: 1500ms
        - fault: { resume: b }
check: [set, overwrite, stale-reads]
`,
  });
  const r = await cli(['run', join(dir, 's.yaml'), '--out', sb.out, '--seed', '3'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  const run = join(sb.out, 'latest');
  t.ok(existsSync(join(run, 'history.bin')), 'the run wrote history.bin');
  const lines = readFileSync(join(run, 'history.jsonl'), 'utf8').trim().split('\n').length;
  t.equal((await fromBin(run)).lines, lines, `the bin covers all ${lines} lines`);
  const pick = (names: string[]) => () => names.map((n) => CHECKERS[n]!);
  const names = ['set', 'overwrite', 'stale-reads', 'convergence'];
  const bin = await checkRun(run, pick(names));
  t.ok(bin[0]!.results.some((x) => x.checker === 'set' && x.valid === true && Number(x.acknowledged) > 20), JSON.stringify(bin[0]!.results.map((x) => x.summary)));
  const fromBinCli = await cli(['check', run, '--json'], { env: sb.env });
  const jsonlRun = fresh(t);
  cpSync(run, jsonlRun, { recursive: true, dereference: true });
  rmSync(join(jsonlRun, 'history.bin'));
  t.same(await checkRun(jsonlRun, pick(names)), bin, 'checkRun: the same verdicts, details and failures');
  const fromJsonlCli = await cli(['check', jsonlRun, '--json'], { env: sb.env });
  t.equal(fromBinCli.exitCode, fromJsonlCli.exitCode);
  t.equal(fromBinCli.stdout, fromJsonlCli.stdout, 'phantom-test check prints the same');
  // An info op must be among them for the comparison to mean something.
  const infos = readFileSync(join(run, 'history.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"info"')).length;
  t.ok(infos > 0, `${infos} info operations (the paused node)`);
});

t.test('integers beyond 2^53 are decimal text in both files', async (t) => {
  const h = new HistoryBuilder();
  const big = { table: 'cpu', tags: { host: 'h1' }, time: '1704067201000000000', fields: { n: 2n ** 64n }, line: 1 };
  h.write([big], 0, 10);
  h.invoke('admin', 11, { id: 2n ** 70n });
  const dir = saved(fresh(t), h.entries);
  const lines = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n');
  t.match(lines[0], /"fields":\{"n":"18446744073709551616"\}/);
  t.match(lines[2], /"value":\{"id":"1180591620717411303424"\}/);
  const { entries } = await fromBin(dir);
  t.same(entries[0]!.write!.points[0]!.fields, { n: '18446744073709551616' }, 'a big integer field as the text the jsonl has');
  t.same(entries[2]!.value, { id: '1180591620717411303424' });
});
