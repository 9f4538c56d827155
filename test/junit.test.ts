// junit.xml from real runs (passing, failing, bailed with a scenario never run, interrupted
// steps skipped) validates against the Jenkins xunit schema with xmllint, and says what CI
// shows: each scenario once, a failure counted once, file path, step line, seconds.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, cli, sandbox } from './helpers.js';

// A copy of ../shared/conformance/junit-10.xsd (Jenkins xunit plugin, MIT), kept in the repository.
const SCHEMA = join(FIXTURES, 'junit-10.xsd');
const engine = (f: string) => join('test', 'fixtures', 'engine', f);

/** xmllint --schema; a missing xmllint fails the test (CI installs libxml2-utils). */
function validate(t: { fail(m: string): void; equal(a: unknown, b: unknown, m: string): void }, xml: string, what: string) {
  const probe = spawnSync('xmllint', ['--version']);
  if (probe.error) {
    t.fail(`xmllint is not installed (apt-get install -y libxml2-utils): cannot validate ${what}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'phantom-junit-'));
  const file = join(dir, 'junit.xml');
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', SCHEMA, file], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  t.equal(r.status, 0, `${what} validates against junit-10.xsd: ${r.stderr}`);
}

const junitOf = (out: string) => readFileSync(join(out, readlinkSync(join(out, 'latest')), 'junit.xml'), 'utf8');
const testcases = (xml: string) => [...xml.matchAll(/<testcase [^>]*?(\/>|>[\s\S]*?<\/testcase>)/g)].map((m) => m[0]);

t.test('a passing run: every checking step a testcase, times in seconds, file and classname from the path', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', engine('pass-one-node.yaml'), '--out', sb.out, '--seed', '1'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  const xml = junitOf(sb.out);
  validate(t, xml, 'a passing run');
  t.match(xml, /<testsuites name="phantom-test" tests="2" failures="0" errors="0" time="\d+\.\d{3}">/);
  t.match(xml, /<testsuite name="test\/fixtures\/engine\/pass-one-node.yaml" file="test\/fixtures\/engine\/pass-one-node.yaml" tests="2" failures="0" errors="0" skipped="0"/);
  const cases = testcases(xml);
  t.equal(cases.length, 2);
  for (const c of cases) t.match(c, /classname="test.fixtures.engine.pass-one-node" name="[^"]+" time="\d+\.\d{3}"/);
  t.match(cases[1], /name="step 1: query/);
  t.match(cases[1], /<system-out>step at test\/fixtures\/engine\/pass-one-node.yaml:6:5<\/system-out>/, "the step's line");
});

t.test('a failing run: the failure counts once, on its step, with the diff and " at file:line:col"; later steps skipped', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', engine('fails-rows.yaml'), '--out', sb.out, '--seed', '1'], { env: sb.env });
  t.equal(r.exitCode, 1);
  const xml = junitOf(sb.out);
  validate(t, xml, 'a failing run');
  t.match(xml, /<testsuites name="phantom-test" tests="3" failures="1" errors="0"/);
  t.match(xml, /<testsuite [^>]*tests="3" failures="1" errors="0" skipped="1"/);
  const [scenario, query, wait] = testcases(xml);
  t.notMatch(scenario, /<failure/, 'the scenario case does not count the same failure again');
  t.match(query, /<failure message="[^"]*rows differ[^"]*" type="verification">[\s\S]*--- expected[\s\S]* at test\/fixtures\/engine\/fails-rows.yaml:7:5<\/failure>/);
  t.match(wait, /name="step 2: wait 1ms"[\s\S]*<skipped message="not run: an earlier step did not pass"\/>[\s\S]*fails-rows.yaml:8:5/);
});

t.test('a bailed run: the scenario --bail dropped is listed as skipped with the reason', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', engine('fails-rows.yaml'), engine('pass-one-node.yaml'), '--bail', '--out', sb.out, '--seed', '1'], { env: sb.env });
  t.equal(r.exitCode, 1);
  const xml = junitOf(sb.out);
  validate(t, xml, 'a bailed run');
  t.match(xml, /<testsuites name="phantom-test" tests="4" failures="1" errors="0"/);
  t.match(xml, /<testsuite name="test\/fixtures\/engine\/pass-one-node.yaml" [^>]*tests="1" failures="0" errors="0" skipped="1"[\s\S]*?<testcase classname="test.fixtures.engine.pass-one-node" name="scenario: one node passes" time="0.000">\s*<skipped message="not run: --bail stopped the run after a scenario that did not pass"\/>/);
});

t.test('synthetic edge cases validate too: setup failure, teardown problem, interrupted, control characters', async (t) => {
  const { junitXml } = await import('../src/reporters/junit.js');
  const base = { started_at: '2026-01-01T00:00:00.000Z', duration_ms: 3, overhead_ms: 0, depth: 0, verifies: true };
  const xml = junitXml({
    run: { run_id: 'r', seed: 1, driver: 'process', started_at: '2026-01-01T00:00:00.000Z', report_dir: null, files: ['a.yaml', 'b.yaml', 'c.yaml'], argv: [] },
    tests: [
      { info: { file: 'a.yaml', name: 'setup <fails>', seed: 2, index: 0 }, verdict: 'error', started_at: base.started_at, duration_ms: 1234567, ready_ms: null,
        setup: [{ ...base, path: 'setup.0', kind: 'cluster', label: 'start', verifies: false, status: 'error', error: { type: 'infrastructure', message: 'port \u0007 busy', tried: 'node main.js', log_tail: 'EADDRINUSE' } }],
        steps: [{ ...base, path: '0', kind: 'query', label: 'q', status: 'skipped', where: '/abs/a.yaml:4:5' }],
        teardown: { duration_ms: 1, problems: ['node a still running'], kept: false }, nodes: [], resolved: {}, history_count: 0 },
      { info: { file: 'b.yaml', name: 'interrupted', seed: 3, index: 1 }, verdict: 'interrupted', started_at: base.started_at, duration_ms: 5, ready_ms: 1, setup: [],
        steps: [{ ...base, path: '0', kind: 'wait', label: 'wait', verifies: false, status: 'error', error: { type: 'interrupted', message: 'interrupted' } }, { ...base, path: '1', kind: 'query', label: 'q', status: 'skipped' }],
        teardown: { duration_ms: 1, problems: [], kept: false }, nodes: [], resolved: {}, history_count: 0 },
    ],
    not_run: [{ file: 'c.yaml', name: 'never', reason: 'not run: the run was interrupted' }],
    exit_code: 130, verdict: 'interrupted', finished_at: 'x', duration_ms: 60,
  });
  validate(t, xml, 'edge cases');
  t.match(xml, /<testsuites name="phantom-test" tests="7" failures="0" errors="3"/, 'setup error, teardown problem, interrupt: 3 errors');
  t.match(xml, /name="scenario: setup &lt;fails&gt;" time="1234.567">\s*<error message="port  busy" type="infrastructure">/);
  t.match(xml, /<skipped message="not run: the run was interrupted"\/>/);
});
