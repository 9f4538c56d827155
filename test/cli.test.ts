// Every exit code through the real CLI (bin/run.js), the report files of a run,
// and the commands around it (validate, cluster, clean, --help).
import t from 'tap';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { FIXTURES, cli, pidsWith, readJson, sandbox } from './helpers.js';

const engine = (f: string) => join(FIXTURES, 'engine', f);

t.test('--help on every command shows examples', async (t) => {
  for (const cmd of [['run'], ['validate'], ['clean'], ['cluster', 'up'], ['cluster', 'down'], ['cluster', 'status']]) {
    const r = await cli([...cmd, '--help']);
    t.equal(r.exitCode, 0, `${cmd.join(' ')} --help`);
    t.match(r.stdout, /EXAMPLES/, `${cmd.join(' ')} has examples`);
  }
  const top = await cli(['--help']);
  t.match(top.stdout, /run\s+Run scenarios/);
});

t.test('validate: 0 for good files, 2 with file:line:col for bad ones', async (t) => {
  const good = await cli(['validate', join(FIXTURES, 'good'), 'scenarios']);
  t.equal(good.exitCode, 0, good.stderr);
  const bad = await cli(['validate', join(FIXTURES, 'bad', 'schema.yaml')]);
  t.equal(bad.exitCode, 2);
  t.match(bad.stderr, /schema\.yaml:4:3: unknown key "tokn" \(did you mean "token"\?\)/);
  const json = await cli(['validate', join(FIXTURES, 'bad', 'references.yaml'), '--json']);
  t.equal(json.exitCode, 2);
  const parsed = JSON.parse(json.stdout);
  t.equal(parsed.valid, false);
  t.match(parsed.diagnostics[0], { line: 6, col: 7, message: /unknown anchor "T3"/ });
});

t.test('run: invalid input is exit 2 and starts nothing', async (t) => {
  const sb = sandbox(t);
  const cases: Array<[string, string[], RegExp]> = [
    ['a schema error', [join(FIXTURES, 'bad', 'references.yaml')], /references\.yaml:20:19: unknown node "e"/],
    ['a missing file', [join(FIXTURES, 'nope.yaml')], /nope\.yaml:1:1: no such file or directory/],
    ['an empty file', [join(FIXTURES, 'bad', 'empty.yaml')], /empty\.yaml:1:1: file is empty/],
    ['invalid YAML', [join(FIXTURES, 'bad', 'yaml-syntax.yaml')], /yaml-syntax\.yaml:4:3: invalid YAML/],
    ['an unknown flag', [engine('pass-one-node.yaml'), '--frobnicate'], /Nonexistent flag/],
    ['an unknown reporter', [engine('pass-one-node.yaml'), '--reporter', 'console,xml'], /unknown reporter\(s\): xml/],
    ['an unknown driver', [engine('pass-one-node.yaml'), '--driver', 'kubernetes'], /Expected --driver=kubernetes to be one of: process, docker/],
    ['no paths', [], /Missing 1 required arg/],
  ];
  for (const [what, args, want] of cases) {
    const r = await cli(['run', ...args, '--out', sb.out], { env: sb.env });
    t.equal(r.exitCode, 2, `${what}: exit 2`);
    t.match(r.stderr, want, `${what}: says what is wrong`);
  }
  t.notOk(existsSync(sb.out), 'no report folder was created');
  t.notOk(existsSync(join(sb.state, 'runs')), 'no cluster was started');
});

t.test('run: a passing scenario is exit 0 and writes every report', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', engine('pass-one-node.yaml'), '--out', sb.out, '--seed', '42'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  t.match(r.stdout, /1 passed, 0 failed/);
  t.ok(lstatSync(join(sb.out, 'latest')).isSymbolicLink(), 'reports/latest is a symlink');
  const dir = join(sb.out, readlinkSync(join(sb.out, 'latest')));
  t.same(readdirSync(dir).sort(), ['history.bin', 'history.jsonl', 'journal.json', 'junit.xml', 'logs', 'report.html']);
  const journal = readJson(join(dir, 'journal.json'));
  t.match(journal, { format: 'phantom-test/journal', version: 1, seed: 42, verdict: 'passed', exit_code: 0 });
  t.match(journal.scenarios[0], { name: 'one node passes', verdict: 'passed', steps: [{ status: 'passed' }, { status: 'passed' }] });
  const history = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.ok(history.some((h) => h.f === 'write' && h.type === 'ok' && h.node === 'a'), 'the write is in the history');
  t.match(readFileSync(join(dir, 'junit.xml'), 'utf8'), /<testsuites name="phantom-test" tests="2" failures="0" errors="0"/);
  t.match(readFileSync(join(dir, 'logs', 'a.log'), 'utf8'), /"node_id":"a"/, "the node's log was captured");
  t.same(readdirSync(join(sb.state, 'runs')), [], 'the run record is gone');
});

t.test('run --json prints a summary on stdout', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', engine('fails-rows.yaml'), '--out', sb.out, '--json'], { env: sb.env });
  t.equal(r.exitCode, 1, 'a failed verification is exit 1');
  const s = JSON.parse(r.stdout);
  t.match(s, { verdict: 'failed', exit_code: 1, scenarios: [{ name: 'wrong rows', verdict: 'failed', error: /rows differ/ }] });
  t.match(r.stderr, /--- expected/, 'the console report (with the diff) went to stderr');
});

t.test('run: a missing server binary is exit 3', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', engine('pass-one-node.yaml'), '--out', sb.out, '--server', '/nonexistent/main.js'], { env: sb.env });
  t.equal(r.exitCode, 3);
  t.match(r.stdout, /reference server not found at \/nonexistent\/main\.js/);
  t.match(r.stdout, /tried: .*node \/nonexistent\/main\.js/);
});

t.test('run: a node that never becomes healthy is exit 3 with its last log lines', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', engine('quick-ready.yaml'), '--out', sb.out, '--server', join(FIXTURES, 'servers', 'never-healthy.mjs')], { env: sb.env });
  t.equal(r.exitCode, 3);
  t.match(r.stdout, /node a did not answer GET http:\/\/127\.0\.0\.1:\d+\/health with 200 within 1000 ms/);
  t.match(r.stdout, /tried: .*never-healthy\.mjs --node-id a --http 127\.0\.0\.1:\d+ --data-dir/);
  t.match(r.stdout, /waiting for a quorum that never comes/);
  t.same(pidsWith('never-healthy.mjs'), [], 'the node was stopped anyway');
});

// The exit-4 test needs a file nobody can delete: chattr +i, which needs root and
// a file system that supports it. Tried once on a scratch file.
const canLock = (() => {
  if (process.getuid?.() !== 0) return 'needs root (chattr +i)';
  const dir = mkdtempSync(join(tmpdir(), 'phantom-chattr-'));
  const f = join(dir, 'x');
  writeFileSync(f, 'x');
  try {
    execFileSync('chattr', ['+i', f], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', f], { stdio: 'ignore' });
    return false;
  } catch {
    return 'chattr +i is not available here';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

t.test('run: a data dir that cannot be removed is exit 4, and clean finishes the job later', { skip: canLock }, async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', engine('quick-ready.yaml'), '--out', sb.out, '--server', join(FIXTURES, 'servers', 'locks-data-dir.mjs')], { env: sb.env });
  const locked = /"file":"([^"]+)"/.exec(readFileSync(join(sb.out, 'latest', 'logs', 'a.log'), 'utf8'))?.[1];
  t.teardown(() => { if (locked) try { execFileSync('chattr', ['-i', locked]); } catch { /* gone */ } });
  t.equal(r.exitCode, 4, r.stdout);
  t.match(r.stdout, /cleanup: could not remove/);
  t.equal(readJson(join(sb.out, 'latest', 'journal.json')).verdict, 'cleanup_failed');
  const stuck = await cli(['clean'], { env: sb.env });
  t.equal(stuck.exitCode, 4, 'clean cannot remove it either while it is locked');
  execFileSync('chattr', ['-i', locked!]);
  const ok = await cli(['clean', '--json'], { env: sb.env });
  t.equal(ok.exitCode, 0);
  t.match(JSON.parse(ok.stdout), { reaped: [{ removed: [/phantom-/], problems: [] }] });
});

t.test('cluster up, status and down', async (t) => {
  const sb = sandbox(t);
  const up = await cli(['cluster', 'up', '--nodes', '2', '--json'], { env: sb.env });
  t.equal(up.exitCode, 0, up.stderr);
  const info = JSON.parse(up.stdout);
  t.teardown(async () => { await cli(['cluster', 'down'], { env: sb.env }); });
  t.same(info.nodes.map((n: { id: string }) => n.id), ['a', 'b']);
  const health = await fetch(`${info.nodes[1].url}/health`);
  t.equal(health.status, 200, 'node b serves after `cluster up` returned');
  const again = await cli(['cluster', 'up'], { env: sb.env });
  t.equal(again.exitCode, 2, 'a second cluster up is refused');
  const status = await cli(['cluster', 'status', '--json'], { env: sb.env });
  t.match(JSON.parse(status.stdout), { clusters: [{ nodes: [{ id: 'a', healthy: true }, { id: 'b', healthy: true }] }] });
  const clean = await cli(['clean'], { env: sb.env });
  t.match(clean.stdout, /nothing to clean/, 'clean leaves a cluster from `cluster up` alone');
  const down = await cli(['cluster', 'down'], { env: sb.env });
  t.equal(down.exitCode, 0);
  t.match(down.stdout, /stopped cluster-.*: a, b/);
  t.same(pidsWith(info.nodes[0].data_dir), [], 'its nodes are gone');
  t.notOk(existsSync(info.nodes[0].data_dir), 'and so is its data');
});

t.test('run: parallel branches print in declared order, with the node each random reference picked', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', engine('parallel-order.yaml'), '--out', sb.out, '--seed', '3'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  const lines = r.stdout.split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const parent = at(/✓ 0 two branches/);
  const slowWait = at(/✓ 0\.0\.0 slow branch waits/);
  const slowPick = at(/✓ 0\.0\.1 slow branch asks a random node → [abc]\b/);
  const quick = at(/✓ 0\.1\.0 quick branch asks a random node → [abc]\b/);
  t.ok(parent >= 0 && slowWait > parent && slowPick > slowWait && quick > slowPick, `declared order, picks shown:\n${r.stdout}`);
  const journal = readJson(join(sb.out, 'latest', 'journal.json'));
  const children = journal.scenarios[0].steps[0].children;
  t.same(children.map((c: { path: string }) => c.path), ['0.0.0', '0.0.1', '0.1.0']);
  t.match(children[2].picked, [/^[abc]$/], 'the journal records the pick');
  t.ok(r.stdout.includes(`→ ${children[2].picked[0]}`), 'the console shows the same node as the journal');
});
