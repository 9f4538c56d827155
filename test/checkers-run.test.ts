// check: [set] on a real reference cluster, passing and catching a point that really
// went missing (its table dropped between the write and the final read); then
// `phantom-test check` over the saved runs, and over missing, truncated and corrupt input.
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, cli, sandbox } from './helpers.js';

const dir = join(FIXTURES, 'checkers');

t.test('check: [set, overwrite, stale-reads] over a real run, live and offline', async (t) => {
  const sb = sandbox(t);
  const pass = await cli(['run', join(dir, 'set-passes.yaml'), '--out', sb.out], { env: sb.env });
  t.equal(pass.exitCode, 0, pass.stdout + pass.stderr);
  t.match(pass.stdout, /check set: valid: 203 acknowledged point\(s\): 0 lost/);
  t.match(pass.stdout, /check stale-reads: valid: 3 read\(s\) judged, 0 stale/);
  const run = join(sb.out, 'latest');
  const history = readFileSync(join(run, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const write = history.find((e) => e.f === 'write' && e.type === 'invoke');
  t.same(write.value.points[0], { table: 'cpu', tags: { host: 'h1' }, time: '1704110400000000000', fields: { value: 1.5 }, line: 1 }, 'a write records the points it sent');
  t.ok(history.some((e) => e.f === 'query' && e.type === 'ok' && e.value.count === 203 && e.value.rows.length === 203), 'a read records its rows');

  const offline = await cli(['check', run, '--json']);
  t.equal(offline.exitCode, 0, offline.stderr);
  const j = JSON.parse(offline.stdout);
  t.equal(j.valid, true);
  t.same(j.scenarios[0].checkers, ['set', 'overwrite', 'stale-reads'], 'the scenario\'s own check: list, from the journal');
});

t.test('set fails a scenario whose acknowledged point is gone from the final read', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', join(dir, 'set-loses-point.yaml'), '--out', sb.out], { env: sb.env });
  t.equal(r.exitCode, 1, r.stdout + r.stderr);
  const msg = /write #\d+ of point cpu,host=h3 at 2024-01-01T12:00:03Z acknowledged by node a at [\d.]+ s is absent from all final reads/;
  t.match(r.stdout, msg, 'the console names the lost write');
  const run = join(sb.out, 'latest');
  t.match(readFileSync(join(run, 'junit.xml'), 'utf8'), msg, 'so does JUnit');
  const journal = JSON.parse(readFileSync(join(run, 'journal.json'), 'utf8'));
  t.equal(journal.scenarios[0].verdict, 'failed');
  t.match(journal.scenarios[0].steps.at(-1), { path: 'check.0', kind: 'check', status: 'failed', output: { checker: 'set', valid: false, lost: 1 } });

  const offline = await cli(['check', run]);
  t.equal(offline.exitCode, 1);
  t.match(offline.stdout, msg);
  const only = await cli(['check', run, '--checker', 'overwrite']);
  t.equal(only.exitCode, 1, '--checker replaces the scenario\'s list');
  t.match(only.stdout, /INVALID overwrite: .* 1 absent from the final reads/);
});

t.test('check on bad input: exit 2 naming the file and line', async (t) => {
  const base = t.testdir({});
  const good = JSON.stringify({ index: 0, type: 'invoke', invoke_index: 0, f: 'write', node: 'a', step: '0', scenario: 's', time_ms: 1, wall: '', value: { db: 'db1', points: [] } });
  const cases: Array<[string, string | null, RegExp]> = [
    ['missing', null, /missing-run\/history\.jsonl is missing/],
    ['truncated', `${good}\n{"index":1,"ty`, /truncated-run\/history\.jsonl:2: truncated/],
    ['corrupt', `${good}\nnot json\n`, /corrupt-run\/history\.jsonl:2: not a JSON line/],
    ['not-an-op', `${good}\n{"hello":1}\n`, /not-an-op-run\/history\.jsonl:2: not a history operation/],
    ['sidecar', `${good.replace('"value"', '"sidecar":{"file":"history/1.json","keys":["points"]},"value"')}\n`, /sidecar-run\/history\/1\.json is missing/],
  ];
  for (const [name, text, want] of cases) {
    const run = join(base, `${name}-run`);
    mkdirSync(run);
    if (text !== null) writeFileSync(join(run, 'history.jsonl'), text);
    const r = await cli(['check', run, '--checker', 'set']);
    t.equal(r.exitCode, 2, name);
    t.match(r.stderr, want, name);
  }
  const unknown = await cli(['check', base, '--checker', 'stale-read']);
  t.equal(unknown.exitCode, 2);
  t.match(unknown.stderr, /unknown checker "stale-read" \(did you mean "stale-reads"\?\)/);
});

t.test('check without --checker names an unreadable journal.json instead of "nothing to check"', async (t) => {
  const good = JSON.stringify({ index: 0, type: 'invoke', invoke_index: 0, f: 'write', node: 'a', step: '0', scenario: 's', time_ms: 1, wall: '', value: { db: 'db1', points: [] } });
  const base = t.testdir({
    corrupt: { 'history.jsonl': `${good}\n`, 'journal.json': '{"scenarios": [' },
    'not-a-journal': { 'history.jsonl': `${good}\n`, 'journal.json': '[1, 2]' },
  });
  const corrupt = await cli(['check', join(base, 'corrupt')]);
  t.equal(corrupt.exitCode, 2);
  t.match(corrupt.stderr, /corrupt\/journal\.json is not valid JSON \(.+\).*give --checker/);
  const other = await cli(['check', join(base, 'not-a-journal')]);
  t.equal(other.exitCode, 2);
  t.match(other.stderr, /not-a-journal\/journal\.json is not a run journal/);
  const forced = await cli(['check', join(base, 'corrupt'), '--checker', 'set']);
  t.equal(forced.exitCode, 0, '--checker does not need the journal');
});

t.test('validate: an unknown checker in check: is a positioned error with a did-you-mean', async (t) => {
  const d = t.testdir({ 's.yaml': 'name: x\nsteps:\n  - wait: 1ms\ncheck: [set, overwrit]\n' });
  const r = await cli(['validate', join(d, 's.yaml')]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /s\.yaml:4:\d+: unknown checker "overwrit" \(did you mean "overwrite"\?\)/);
});
