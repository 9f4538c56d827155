// --reporter github prints GitHub Actions workflow commands: an ::error on the failing step's
// line of the scenario file, escaped the way the runner unescapes them, a ::notice summary;
// under --json they go to stderr so stdout stays one JSON document.

import t from 'tap';
import { join } from 'node:path';
import { annotationsOf, escapeData, escapeProperty, workflowCommand } from '../src/reporters/github.js';
import type { TestResult } from '../src/engine/events.js';
import { cli, sandbox } from './helpers.js';

const failing = join('test', 'fixtures', 'engine', 'fails-rows.yaml');

/** What the runner does with a command line: split it, unescape, like @actions/core's toolkit. */
function parseCommand(line: string) {
  const m = /^::(\w+)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!m) return null;
  const un = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
  const props = Object.fromEntries((m[2] ?? '').split(',').filter(Boolean).map((p) => { const i = p.indexOf('='); return [p.slice(0, i), un(p.slice(i + 1))]; }));
  return { level: m[1]!, props, message: un(m[3]!) };
}

t.test('escaping: %, CR and LF in the message; also : and , in properties; round-trips', async (t) => {
  t.equal(escapeData('50% done\r\nnext: a,b'), '50%25 done%0D%0Anext: a,b');
  t.equal(escapeProperty('a: b, c%\n'), 'a%3A b%2C c%25%0A');
  const line = workflowCommand('error', 'rows differ\n--- expected\n+ {v: 1%}', { file: 'x,y.yaml', line: 7, col: 5, title: 'name: step, with comma' });
  t.notMatch(line, /\n/, 'one line');
  t.same(parseCommand(line), { level: 'error', props: { file: 'x,y.yaml', line: '7', col: '5', title: 'name: step, with comma' }, message: 'rows differ\n--- expected\n+ {v: 1%}' });
});

t.test('a failing scenario on a real node: ::error at the step line, the diff in the message, a ::notice summary', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', failing, '--reporter', 'console,github', '--out', sb.out, '--seed', '1'], { env: sb.env });
  t.equal(r.exitCode, 1, r.stderr);
  const commands = r.stdout.split('\n').map(parseCommand).filter((c) => c !== null);
  t.equal(commands.length, 2, r.stdout);
  t.match(commands[0], {
    level: 'error',
    props: { file: 'test/fixtures/engine/fails-rows.yaml', line: '7', col: '5', title: 'wrong rows: query: SELECT * FROM m' },
    message: /^query via a: rows differ from the expected rows[^\n]*\n--- expected\n\+\+\+ actual\n/,
  });
  t.match(commands[1], { level: 'notice', props: { title: 'phantom-test failed' }, message: /^1 failed in .*, exit 1 \(seed 1\); reports: / });
  t.match(r.stdout, /✗ 1 query/, 'the console output is still there');
});

t.test('under --json the commands go to stderr (the runner reads both) and stdout is JSON only', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', failing, '--reporter', 'github', '--json', '--out', sb.out, '--seed', '1'], { env: sb.env });
  t.equal(r.exitCode, 1, r.stderr);
  t.match(JSON.parse(r.stdout), { verdict: 'failed', exit_code: 1 });
  t.match(r.stderr, /^::error file=test\/fixtures\/engine\/fails-rows\.yaml,line=7,col=5,title=wrong rows%3A query%3A SELECT \* FROM m::query via a: rows differ/m);
  t.match(r.stderr, /^::notice title=phantom-test failed::/m);
});

t.test('skipped scenarios warn with the reason; a setup failure is an ::error on the file; teardown problems too', async (t) => {
  const base = { started_at: '2026-01-01T00:00:00.000Z', duration_ms: 3, overhead_ms: 0, depth: 0, verifies: false };
  const test = (over: Partial<TestResult>): TestResult => ({
    info: { file: 'scenarios/x.yaml', name: 'x', seed: 1, index: 0 }, verdict: 'passed', started_at: base.started_at, duration_ms: 5, ready_ms: null,
    setup: [], steps: [], teardown: { duration_ms: 1, problems: [], kept: false }, nodes: [], resolved: {}, history_count: 0, ...over,
  });
  t.same(annotationsOf(test({ verdict: 'skipped', skip_reason: 'the process driver cannot pause (scenarios/x.yaml:9:5)' })),
    ['::warning file=scenarios/x.yaml,title=x%3A skipped::skipped: the process driver cannot pause (scenarios/x.yaml:9:5)']);
  t.same(annotationsOf(test({
    verdict: 'error',
    setup: [{ ...base, path: 'setup.0', kind: 'cluster', label: 'start 1 node', status: 'error', error: { type: 'infrastructure', message: 'port busy', tried: 'node main.js' } }],
    teardown: { duration_ms: 1, problems: ['node a still running'], kept: false },
  })), ['::error file=scenarios/x.yaml,title=x%3A start 1 node::port busy%0Atried: node main.js', '::error file=scenarios/x.yaml,title=x%3A teardown::cleanup failed:%0Anode a still running']);
  t.same(annotationsOf(test({
    verdict: 'failed',
    steps: [{ ...base, path: '0', kind: 'query', label: 'q', status: 'passed' }, { ...base, path: '1', kind: 'query', label: 'q2', status: 'failed', where: 'scenarios/x.yaml:8:5', error: { type: 'verification', message: 'no' } }, { ...base, path: '2', kind: 'wait', label: 'w', status: 'skipped' }],
  })), ['::error file=scenarios/x.yaml,line=8,col=5,title=x%3A q2::no'], 'only the failing step; passed and never-run steps are not annotated');
});
