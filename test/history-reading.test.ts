// `phantom-test check` reads history.jsonl from its bytes (src/checkers/history-lines.ts,
// write-scan.ts) rather than JSON.parse per line: what it reads must be exactly what
// JSON.parse reads, for lines as the runner writes them and for lines in any other key
// order (another tool's, or an older phantom-test's), and bad input must be a positioned
// CheckInputError, never a crash or a silently "unknown" checker.
import t from 'tap';
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkHistory } from '../src/checkers/checker.js';
import { CheckInputError, checkRun } from '../src/checkers/history-file.js';
import { LineScanner } from '../src/checkers/history-lines.js';
import { WriteScanner } from '../src/checkers/write-scan.js';
import { set } from '../src/checkers/set.js';
import { overwrite } from '../src/checkers/overwrite.js';
import { staleReads } from '../src/checkers/stale-reads.js';
import { convergence } from '../src/checkers/convergence.js';
import { HistoryReporter } from '../src/reporters/history.js';
import type { HistoryEntry } from '../src/engine/history.js';
import { HistoryBuilder, awkwardHistory, pt, recorded, row } from './helpers/history-builder.js';

const ALL = [set, overwrite, staleReads, convergence];

/**
 * The run folder the runner would write for these entries, without its history.bin: these
 * tests are about reading history.jsonl (the bin's are in history-bin.test.ts).
 */
function saved(dir: string, entries: HistoryEntry[], threshold?: number): string {
  mkdirSync(dir, { recursive: true });
  const rep = new HistoryReporter(dir, threshold);
  for (const e of entries) rep.onOperation(recorded(e));
  rep.onEnd();
  rmSync(join(dir, 'history.bin'));
  return dir;
}

t.test('every line the runner writes reads back as JSON.parse reads it', async (t) => {
  const h = awkwardHistory();
  const dir = saved(t.testdir({}), h.entries);
  const bytes = readFileSync(join(dir, 'history.jsonl'));
  const scanner = new LineScanner();
  let from = 0, line = 0, scanned = 0, writes = 0;
  for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, from)) {
    line++;
    const want = JSON.parse(bytes.toString('utf8', from, nl)) as HistoryEntry;
    const got = scanner.scan(bytes, from, nl, 'history.jsonl', line);
    if (got) {
      scanned++;
      const { index, scenario, invoke_index, time_ms, type, f, node, step, value, error } = got;
      t.same({ index, scenario, invoke_index, time_ms, type, f, node, step, value, error },
        { index: want.index, scenario: want.scenario, invoke_index: want.invoke_index, time_ms: want.time_ms, type: want.type, f: want.f, node: want.node, step: want.step, value: want.value, error: want.error }, `line ${line}`);
      if (got.write) {
        writes++;
        const points = (want.value as { points: Array<{ time: string | null; fields: object; line: number }> }).points;
        t.same(got.write.points.map((p) => [Number.isNaN(p.secs) ? null : `${p.secs}${String(p.nanos).padStart(9, '0')}`, p.fields, p.line]),
          points.map((p) => [p.time, p.fields, p.line]), `line ${line}: the write's points`);
      }
    }
    from = nl + 1;
  }
  t.equal(scanned, line, 'the runner\'s lines all take the fast path');
  t.ok(writes >= 5, 'writes with plain tags are scanned from their bytes');
});

t.test('check over the saved run answers what the checkers answer in memory', async (t) => {
  const h = awkwardHistory();
  const want = checkHistory(ALL, h.entries);
  t.equal(want[0]!.valid, true, want[0]!.summary);
  const [fast] = await checkRun(saved(t.testdir({}), h.entries), () => ALL);
  t.same(fast!.results, want, 'read from bytes');
  // Lines in another key order (another tool's writer) go through JSON.parse: same answers.
  const other = t.testdir({});
  writeFileSync(join(other, 'history.jsonl'), h.entries.map((e) => JSON.stringify(Object.fromEntries(Object.entries(e).reverse()))).join('\n') + '\n');
  const [slow] = await checkRun(other, () => ALL);
  t.same(slow!.results, want, 'read through JSON.parse');
  // And a run whose big values went to sidecars.
  const [side] = await checkRun(saved(t.testdir({}), h.entries, 200), () => ALL);
  t.same(side!.results, want, 'with sidecars');
});

t.test('a lost write is still named the same way when read from bytes', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1)], 0, 10);
  h.write([pt('h3', 3)], 11, 12300, 'ok', { node: 'b' });
  h.read([row('h1', 1)], 13000, 13100);
  const [v] = await checkRun(saved(t.testdir({}), h.entries), () => [set, overwrite]);
  t.same(v!.results[0]!.failures, ['write #2 of point cpu,host=h3 at 2024-01-01T00:00:03Z acknowledged by node b at 12.3 s is absent from all final reads (1 final read via a, the first #4)']);
  t.equal(v!.results[1]!.valid, false);
});

t.test('a truncated or corrupt sidecar is an error naming the file and the byte offset', async (t) => {
  const h = new HistoryBuilder();
  h.write(Array.from({ length: 50 }, (_, i) => pt(`h${i}`, i)), 0, 10);
  h.read(Array.from({ length: 50 }, (_, i) => row(`h${i}`, i)), 20, 30);
  const dir = saved(t.testdir({}), h.entries, 2000);
  const sidecar = join(dir, 'history', '4.json');
  const text = readFileSync(sidecar, 'utf8');
  const named = (detail: string) => new RegExp(`history/4\\.json \\(sidecar of .*history\\.jsonl:4\\) is not valid JSON: ${detail}`);
  writeFileSync(sidecar, text.slice(0, 100));
  await t.rejects(checkRun(dir, () => [set]), { constructor: CheckInputError, message: named('cut short at byte offset 100 \\(the file is truncated\\)') });
  const between = text.indexOf('},{') + 1;
  writeFileSync(sidecar, `${text.slice(0, between)}@${text.slice(between + 1)}`);
  await t.rejects(checkRun(dir, () => [set]), { constructor: CheckInputError, message: named(`at byte offset ${between}:`) });
  const value = text.indexOf('"value":') + 8;
  writeFileSync(sidecar, `${text.slice(0, value)}@${text.slice(value + 1)}`);
  await t.rejects(checkRun(dir, () => [set]), { constructor: CheckInputError, message: named(`at byte offset ${value}:`) });
});

t.test('a line whose fields read but whose value is corrupt is bad input, not an unknown verdict', async (t) => {
  const h = new HistoryBuilder();
  h.write([pt('h1', 1)], 0, 10);
  h.read([row('h1', 1)], 20, 30);
  const dir = saved(t.testdir({}), h.entries);
  const path = join(dir, 'history.jsonl');
  const good = readFileSync(path, 'utf8');
  const corrupt = (line: number, from: string, to: string) => {
    const lines = good.split('\n');
    lines[line - 1] = lines[line - 1]!.replace(from, to);
    writeFileSync(path, lines.join('\n'));
  };
  corrupt(3, '"read":{', '"read":{{');
  await t.rejects(checkRun(dir, () => [set]), { constructor: CheckInputError, message: /history\.jsonl:3: not a JSON line/ }, 'the read\'s invoke, parsed when the checker asks');
  corrupt(4, '"rows":[', '"rows":[[');
  await t.rejects(checkRun(dir, () => [set]), { constructor: CheckInputError, message: /history\.jsonl:4: not a JSON line/ }, 'its completion');
});

t.test('lines as the engine records them take the fast path', async (t) => {
  const { History } = await import('../src/engine/history.js');
  const lines: string[] = [];
  const history = new History('a "quoted" scenario', (e) => lines.push(JSON.stringify(e)));
  await history.op({ f: 'write', node: 'a', step: '1', value: { db: 'db1', lines: 1, body: 'cpu,host=h1 value=1 1\n', points: [pt('h1', 1)] } }, async () => ({ status: 204 }), { okValue: (r) => r });
  await history.op({ f: 'kill', node: null, step: '2', value: { nodes: ['b'] } }, async () => undefined).catch(() => undefined);
  const scanner = new LineScanner();
  lines.forEach((l, i) => {
    const bytes = Buffer.from(l);
    const e = scanner.scan(bytes, 0, bytes.length, 'history.jsonl', i + 1);
    if (i === 0 && l.includes('\\"')) t.equal(e, undefined, 'a scenario name with escapes is left to JSON.parse');
  });
  const plain = new History('plain', (e) => lines.push(JSON.stringify(e)));
  lines.length = 0;
  await plain.op({ f: 'write', node: 'a', step: '1', value: { db: 'db1', lines: 1, points: [pt('h1', 1)] } }, async () => ({ status: 204 }), { okValue: (r) => r });
  await plain.op({ f: 'kill', node: null, step: '2' }, async () => undefined);
  for (const [i, l] of lines.entries()) {
    const bytes = Buffer.from(l);
    t.ok(scanner.scan(bytes, 0, bytes.length, 'history.jsonl', i + 1), `${JSON.parse(l).f} ${JSON.parse(l).type}`);
  }
  t.ok(scanner.scan(Buffer.from(lines[0]!), 0, Buffer.byteLength(lines[0]!), 'history.jsonl', 1)?.write, 'the write\'s points scanned');
});

t.test('the write scanner keeps one shape per tag set past 10k tag sets (identities key series ids by it)', async (t) => {
  const scanner = new WriteScanner();
  const write = (host: string) => Buffer.from(JSON.stringify({ db: 'db1', points: [{ table: 'cpu', tags: { host }, time: '1704067200000000000', fields: { value: 1 }, line: 1 }] }));
  const shape = (host: string) => { const b = write(host); return scanner.scan(b, 0, b.length)!.points[0]!.shape; };
  for (let i = 0; i < 10_050; i++) shape(`h${i}`);
  const first = shape('h10040');
  shape('h1');
  t.equal(shape('h10040'), first, 'the 10041st tag set, seen again, is the same shape');
});
