// The CLI's conventions through the real binary: a JSON error object on stdout for
// every failure under --json, a crash (a bug) exiting 70 rather than 2, suggestions
// for mistyped commands that never wait for an answer in a script, and the help and
// autocomplete plugins.
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Errors } from '@oclif/core';
import { describeFailure, jsonRequested, CommandFailure } from '../src/cli/failure.js';
import { InfraError } from '../src/engine/errors.js';
import { asCrash } from '../src/cli/crash.js';
import { BIN, FIXTURES, ROOT, cli, pidsWith, sandbox, until } from './helpers.js';

const engine = (f: string) => join(FIXTURES, 'engine', f);
const crash = (f: string) => join(FIXTURES, 'crash', f);

/** stdout holds exactly one JSON object: the error, nothing else. */
function jsonError(t: Test, stdout: string, what: string) {
  let parsed: { error?: Record<string, unknown> } = {};
  try { parsed = JSON.parse(stdout); } catch { t.fail(`${what}: stdout is not JSON: ${JSON.stringify(stdout)}`); }
  t.type(parsed.error?.message, 'string', `${what}: the error says what happened`);
  return parsed;
}

t.test('describeFailure: each kind of error gets its code and exit code', async (t) => {
  t.match(describeFailure(new InfraError('node a did not start', { tried: 'node main.js' })), { code: 'infra', exit_code: 3, tried: 'node main.js' });
  t.match(describeFailure(Object.assign(new Error('EACCES: permission denied, mkdir /r'), { code: 'EACCES', syscall: 'mkdir' })), { code: 'infra', exit_code: 3 });
  t.match(describeFailure(new Errors.CLIError('unknown reporter(s): xml', { exit: 2 })), { code: 'usage', exit_code: 2 });
  t.match(describeFailure(new TypeError("Cannot read properties of undefined (reading 'x')")), { code: 'crash', exit_code: 70, message: /^TypeError: Cannot read/ });
  t.match(describeFailure('a string'), { code: 'crash', exit_code: 70 });
  t.match(describeFailure(new Errors.ModuleLoadError('dist/commands/run.js')), { code: 'crash', exit_code: 70 }, 'a command that does not load is ours to fix');
  const f = new CommandFailure({ code: 'invalid_scenario', message: '1 problem(s) found', exit_code: 2, diagnostics: [] }, '');
  t.equal(describeFailure(f), f.failure);
  // Outside our commands (oclif's own code, a plugin), oclif would exit 1 for a plain error.
  t.match(asCrash(new TypeError('x')), { oclif: { exit: 70 } }, 'a plain error leaves bin/run.js as a crash');
  t.match(asCrash(new Errors.CLIError('bad flag', { exit: 2 })), { oclif: { exit: 2 } }, 'an oclif error keeps its code');
  t.ok(jsonRequested(['x.yaml', '--json']));
  t.notOk(jsonRequested(['--', '--json']), 'after --, --json is an argument');
});

t.test('run --json: every failure prints {"error": {...}} on stdout', async (t) => {
  const sb = sandbox(t);
  const file = join(sb.state, '..', 'a-file');
  writeFileSync(file, '');
  const cases: Array<[string, string[], number, object]> = [
    ['an invalid scenario', [join(FIXTURES, 'bad', 'references.yaml')], 2, {
      code: 'invalid_scenario', exit_code: 2, message: /problem\(s\) found; nothing was started/,
      diagnostics: [{ file: /references\.yaml$/, line: 6, col: 7, message: /unknown anchor "T3"/ }],
    }],
    ['a missing file', [join(FIXTURES, 'nope.yaml')], 2, { code: 'invalid_scenario', diagnostics: [{ line: 1, col: 1, message: /no such file/ }] }],
    ['an unknown flag', [engine('pass-one-node.yaml'), '--frobnicate'], 2, { code: 'usage', exit_code: 2, message: /Nonexistent flag: --frobnicate/ }],
    ['an unknown reporter', [engine('pass-one-node.yaml'), '--reporter', 'xml'], 2, { code: 'usage', message: /unknown reporter\(s\): xml/ }],
    ['a bad option', [engine('pass-one-node.yaml'), '--driver', 'kubernetes'], 2, { code: 'usage', message: /Expected --driver=kubernetes to be one of: process, docker/ }],
    ['no paths', [], 2, { code: 'usage', message: /Missing 1 required arg/ }],
    ['a report folder that cannot be made', [engine('pass-one-node.yaml'), '--out', join(file, 'reports')], 3, { code: 'infra', exit_code: 3, message: /ENOTDIR/ }],
  ];
  for (const [what, args, exit, want] of cases) {
    const r = await cli(['run', ...args, ...(args.includes('--out') ? [] : ['--out', sb.out]), '--json'], { env: sb.env });
    t.equal(r.exitCode, exit, `${what}: exit ${exit}`, { stderr: r.stderr });
    t.match(jsonError(t, r.stdout, what), { error: want }, what);
    t.not(r.stderr.trim(), '', `${what}: a person still reads why on stderr`);
  }
  // Without --json, stdout stays free of it.
  const plain = await cli(['run', join(FIXTURES, 'bad', 'references.yaml'), '--out', sb.out], { env: sb.env });
  t.equal(plain.exitCode, 2);
  t.equal(plain.stdout, '', 'no JSON without --json');
  t.match(plain.stderr, /references\.yaml:6:7: unknown anchor "T3"/);
});

t.test('run --json after a run: the summary, not an error', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', engine('pass-one-node.yaml'), '--out', sb.out, '--server', '/nonexistent/main.js', '--json'], { env: sb.env });
  t.equal(r.exitCode, 3, 'a node that cannot start is an infrastructure error');
  t.match(JSON.parse(r.stdout), { verdict: 'error', exit_code: 3, scenarios: [{ verdict: 'error', error: /reference server not found/ }] });
});

t.test('validate, clean and cluster: --json failures carry the same error object', async (t) => {
  const sb = sandbox(t);
  const bad = await cli(['validate', join(FIXTURES, 'bad', 'references.yaml'), '--json'], { env: sb.env });
  t.equal(bad.exitCode, 2);
  t.match(JSON.parse(bad.stdout), { valid: false, diagnostics: [{ line: 6, col: 7 }], error: { code: 'invalid_scenario', exit_code: 2, diagnostics: [{ line: 6, col: 7 }] } });
  const good = await cli(['validate', join(FIXTURES, 'good', 'minimal.yaml'), '--json'], { env: sb.env });
  t.equal(good.exitCode, 0);
  t.notOk('error' in JSON.parse(good.stdout), 'no error when all is valid');

  for (const cmd of [['validate'], ['clean'], ['cluster', 'up'], ['cluster', 'down'], ['cluster', 'status']]) {
    const r = await cli([...cmd, '--frobnicate', '--json'], { env: sb.env });
    t.equal(r.exitCode, 2, `${cmd.join(' ')}: an unknown flag is exit 2`);
    t.match(jsonError(t, r.stdout, cmd.join(' ')), { error: { code: 'usage', exit_code: 2, message: /Nonexistent flag/ } });
  }
  const nodes = await cli(['cluster', 'up', '--nodes', 'a,b!', '--json'], { env: sb.env });
  t.equal(nodes.exitCode, 2);
  t.match(jsonError(t, nodes.stdout, 'cluster up --nodes'), { error: { code: 'usage', message: /--nodes: give ids like a,b,c/ } });
  const infra = await cli(['cluster', 'up', '--server', '/nonexistent/main.js', '--json'], { env: sb.env });
  t.equal(infra.exitCode, 3);
  t.match(jsonError(t, infra.stdout, 'cluster up'), { error: { code: 'infra', exit_code: 3, message: /reference server not found/, tried: /\/nonexistent\/main\.js/ } });
  t.match(infra.stderr, /cluster up failed: reference server not found/);
});

// A data dir nobody can delete: a node that chattr +i's a file in it (root only).
const canLock = process.getuid?.() === 0 ? false : 'needs root (chattr +i)';

t.test('cluster down --json: what it could not remove is an error object too (exit 4)', { skip: canLock }, async (t) => {
  const sb = sandbox(t);
  const up = await cli(['cluster', 'up', '--nodes', '1', '--server', join(FIXTURES, 'servers', 'locks-data-dir.mjs'), '--json'], { env: sb.env });
  t.equal(up.exitCode, 0, 'cluster up', { stderr: up.stderr });
  const locked = join(JSON.parse(up.stdout).nodes[0].data_dir, 'locked');
  t.teardown(() => { try { execFileSync('chattr', ['-i', locked]); } catch { /* gone */ } });
  t.ok(await until(() => existsSync(locked)), 'the node locked a file in its data dir');
  const down = await cli(['cluster', 'down', '--json'], { env: sb.env });
  t.equal(down.exitCode, 4, 'cleanup failed', { stderr: down.stderr });
  t.match(JSON.parse(down.stdout), { stopped: [{ problems: [/could not remove/] }], error: { code: 'cleanup_failed', exit_code: 4, message: /could not remove/ } });
  execFileSync('chattr', ['-i', locked]);
  const clean = await cli(['clean', '--all', '--json'], { env: sb.env });
  t.equal(clean.exitCode, 0);
  t.notOk('error' in JSON.parse(clean.stdout), 'no error once everything could be removed');
});

t.test('a crash is exit 70 with its stack, not 2, and stops the nodes', async (t) => {
  const sb = sandbox(t);
  const runWith = (preload: string, args: string[]) => execa(process.execPath, ['--import', preload, BIN, ...args], {
    reject: false, cwd: ROOT, env: { ...sb.env, CI: '1', NO_COLOR: '1' },
  });

  const inCommand = await runWith(crash('throws-in-runner.mjs'), ['run', engine('pass-one-node.yaml'), '--out', sb.out, '--json']);
  t.equal(inCommand.exitCode, 70, 'a throw inside the runner', { stderr: inCommand.stderr });
  t.match(JSON.parse(String(inCommand.stdout)), { error: { code: 'crash', exit_code: 70, message: /TypeError: a bug in the runner/ } });
  t.match(inCommand.stderr, /phantom-test crashed: TypeError: a bug in the runner[\s\S]*\n\s+at [\s\S]*This is a bug in phantom-test \(exit 70\)/);

  const plain = await runWith(crash('throws-in-runner.mjs'), ['run', engine('pass-one-node.yaml'), '--out', sb.out]);
  t.equal(plain.exitCode, 70, 'without --json too');
  t.equal(String(plain.stdout), '', 'nothing on stdout without --json');

  const unawaited = await runWith(crash('rejects-during-run.mjs'), ['run', engine('pass-one-node.yaml'), '--out', sb.out, '--json']);
  t.equal(unawaited.exitCode, 70, 'an unhandled rejection mid-run', { stderr: unawaited.stderr });
  t.match(JSON.parse(String(unawaited.stdout)), { error: { code: 'crash', message: /RangeError: an unawaited bug/ } });
  const runId = /phantom-test run (\S+)/.exec(unawaited.stderr)?.[1];
  t.ok(runId, 'the run had started');
  t.ok(await until(() => pidsWith(`phantom-${runId}`).length === 0), 'the node the run started is gone');
});

t.test('a mistyped command: a suggestion and exit 2, without waiting for an answer', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['runn'], /"runn" is not a phantom-test command; did you mean "run"\?/],
    [['runn', 'scenarios/'], /"runn" is not a phantom-test command; did you mean "run"\?/],
    [['valdate', 'x.yaml'], /did you mean "validate"\?/],
    [['clustr', 'up'], /did you mean "cluster up"\?/],
    [['xyzzyq'], /"xyzzyq" is not a phantom-test command Run `phantom-test help`/],
  ];
  for (const [args, want] of cases) {
    // stdin is not a terminal here (as in CI); a prompt would hang until the timeout.
    const r = await execa(process.execPath, [BIN, ...args], { reject: false, cwd: ROOT, env: { CI: '1', NO_COLOR: '1' }, stdin: 'ignore', timeout: 30_000 });
    t.equal(r.exitCode, 2, `${args.join(' ')}: exit 2 (usage)`);
    t.notOk(r.timedOut, 'it did not wait');
    t.match(r.stderr.replace(/\s*\n ›\s+/g, ' '), want, args.join(' '));
  }
  const json = await cli(['runn', '--json']);
  t.equal(json.exitCode, 2);
  t.match(JSON.parse(json.stdout), { error: { code: 'usage', exit_code: 2, message: /did you mean "run"\?/ } });
});

// On a terminal, @oclif/plugin-not-found asks; `script` gives the CLI a pseudo-terminal.
t.test('a mistyped command on a terminal: the prompt runs the suggestion, or exits 2', async (t) => {
  const ask = async (answer: string, args: string) => {
    const p = execa('script', ['-qec', `${process.execPath} ${BIN} ${args}`, '/dev/null'], { reject: false, cwd: ROOT, env: { NO_COLOR: '1', TERM: 'dumb' }, timeout: 60_000 });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => { out += d; });
    t.ok(await until(() => /Did you mean/.test(out), 30_000), 'the prompt is shown', { out });
    p.stdin!.write(answer);
    const r = await p;
    return { exitCode: r.exitCode, out };
  };
  const no = await ask('n\r', 'valdate test/fixtures/good/minimal.yaml');
  t.equal(no.exitCode, 2, 'declined: exit 2', { out: no.out });
  const yes = await ask('y\r', 'valdate test/fixtures/good/minimal.yaml');
  t.match(yes.out, /Did you mean validate\?/, 'the suggestion comes from the mistyped word alone');
  t.equal(yes.exitCode, 0, 'accepted: validate ran', { out: yes.out });
  t.match(yes.out, /ok test\/fixtures\/good\/minimal\.yaml/);
});

t.test('help and autocomplete', async (t) => {
  const help = await cli(['help', 'run']);
  t.equal(help.exitCode, 0);
  t.match(help.stdout, /Run scenarios, each on a fresh cluster[\s\S]*USAGE[\s\S]*--json[\s\S]*70 phantom-test itself crashed/);
  const flag = await cli(['run', '--help']);
  t.equal(flag.exitCode, 0);
  t.equal(flag.stdout, help.stdout, '`help run` and `run --help` agree');
  const top = await cli(['help']);
  t.match(top.stdout, /autocomplete\s+Display autocomplete installation instructions/);
  const base = mkdtempSync(join(tmpdir(), 'phantom-autocomplete-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  // The plugin writes its completion cache under XDG_CACHE_HOME: keep it in the sandbox.
  const ac = await cli(['autocomplete', 'bash'], { env: { XDG_CACHE_HOME: base, HOME: base } });
  t.equal(ac.exitCode, 0, ac.stderr);
  t.match(ac.stdout, /Setup Instructions for PHANTOM-TEST CLI Autocomplete[\s\S]*bashrc/);
  const script = await cli(['autocomplete', 'script', 'bash'], { env: { XDG_CACHE_HOME: base, HOME: base } });
  t.equal(script.exitCode, 0, script.stderr);
  t.match(script.stdout, /phantom-test/);
  const badShell = await cli(['autocomplete', 'tcsh'], { env: { XDG_CACHE_HOME: base, HOME: base } });
  t.equal(badShell.exitCode, 2, 'an unsupported shell is a usage error');
});
