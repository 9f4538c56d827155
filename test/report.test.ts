// `phantom-test report <run-dir>`: regenerates report.html from journal.json + history.jsonl
// (also for a run made before the report existed), and refuses a missing, partial or corrupt
// run folder with exit 2 and a message naming what is wrong. The page itself is tested in
// Chromium by report-browser.test.ts.

import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, unlinkSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers.js';
import { writeSyntheticRun } from './helpers/synthetic-run.js';

function runDir(t: { teardown(fn: () => void): void }, ops = 20): string {
  const dir = mkdtempSync(join(tmpdir(), 'phantom-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeSyntheticRun(dir, ops);
  return dir;
}

t.test('report regenerates a self-contained report.html for a run that had none', async (t) => {
  const dir = runDir(t);
  t.notOk(existsSync(join(dir, 'report.html')));
  const r = await cli(['report', dir]);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout.trim(), join(dir, 'report.html'), 'prints the path');
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  t.notMatch(html, /<(script|img|link|iframe)[^>]+(src|href)=/i, 'no external script, image or style');
  t.notMatch(html, /https?:\/\//, 'no URL to fetch');
  t.match(html, /Content-Security-Policy" content="default-src 'none'/, 'the page may not load anything');
  const data = JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!);
  t.equal(data.scenarios[0].ops.count, 20, 'every operation is embedded');
  const lanes: string[] = data.scenarios[0].ops.lanes;
  t.same([...lanes].sort(), ['a', 'b', 'client', 'nemesis'], 'fault operations have a lane of their own');
  const namesOf = (row: [number, number[]]) => row[1].map((l) => lanes[l]).sort();
  t.same(data.scenarios[0].ops.nemesis.map(namesOf), [['b'], ['b'], ['a', 'b'], ['a', 'b']], 'each fault operation names the node lanes it acts on (kill, start, partition, heal)');
  t.same(data.scenarios[0].logs, [{ node: 'a', href: 'logs/a.log' }, { node: 'b', href: 'logs/b.log' }], 'node logs linked relative to the run folder');
  t.ok(html.includes('id="ops-0"'), 'the columns are embedded');
});

t.test('report --open without xdg-open prints the path', async (t) => {
  const dir = runDir(t);
  const r = await cli(['report', dir, '--open'], { env: { PATH: '/nonexistent' } });
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stderr, /no xdg-open here: open .*report\.html in a browser/);
});

t.test('a missing, partial or corrupt run folder: exit 2, naming what is wrong', async (t) => {
  const cases: Array<[string, (dir: string) => string, RegExp]> = [
    ['no such folder', (dir) => join(dir, 'nope'), /nope: no such run folder/],
    ['a file, not a folder', (dir) => join(dir, 'journal.json'), /not a folder/],
    ['no journal', (dir) => { unlinkSync(join(dir, 'journal.json')); return dir; }, /journal\.json is missing/],
    ['a cut-off journal', (dir) => { writeFileSync(join(dir, 'journal.json'), '{"format": "phantom-test/jou'); return dir; }, /journal\.json is not valid JSON/],
    ['not a journal', (dir) => { writeFileSync(join(dir, 'journal.json'), '{"format": "other"}'); return dir; }, /not a phantom-test journal/],
    ['a newer journal', (dir) => { writeFileSync(join(dir, 'journal.json'), '{"format": "phantom-test/journal", "version": 99, "scenarios": []}'); return dir; }, /version 99 is newer/],
    ['no history', (dir) => { unlinkSync(join(dir, 'history.jsonl')); return dir; }, /history\.jsonl is missing/],
    ['a corrupt history line', (dir) => { appendFileSync(join(dir, 'history.jsonl'), 'garbage\n{"index":1}\n'); return dir; }, /history\.jsonl:\d+: not a JSON line: garbage/],
  ];
  for (const [what, prepare, want] of cases) {
    const dir = runDir(t);
    const r = await cli(['report', prepare(dir)]);
    t.equal(r.exitCode, 2, `${what}: exit 2`);
    t.match(r.stderr, want, `${what}: says what is wrong`);
    t.notOk(existsSync(join(dir, 'report.html')), `${what}: no report written`);
  }
});

t.test('a history cut off mid-line (the runner was killed) still makes a report', async (t) => {
  const dir = runDir(t);
  appendFileSync(join(dir, 'history.jsonl'), '{"index":99,"scenario":"known hist');
  const r = await cli(['report', dir]);
  t.equal(r.exitCode, 0, r.stderr);
});
