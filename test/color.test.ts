// Colour follows FORCE_COLOR, NO_COLOR, TERM=dumb and the TTY: the decision on its own
// over the whole matrix, then through the real CLI in a pipe and on a pseudo-terminal.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { colorLevel } from '../src/util/color.js';
import { BIN, FIXTURES, ROOT } from './helpers.js';

const tty = (depth: number) => ({ isTTY: true, getColorDepth: () => depth });
const pipe = { isTTY: false };

t.test('colorLevel: the env and TTY matrix', async (t) => {
  const cases: Array<[string, NodeJS.ProcessEnv, Parameters<typeof colorLevel>[1], number]> = [
    ['a plain TTY: what it reports', {}, tty(8), 2],
    ['a truecolor TTY', { TERM: 'xterm-256color' }, tty(24), 3],
    ['a 16-colour TTY', {}, tty(4), 1],
    ['a monochrome TTY', {}, tty(1), 0],
    ['a pipe', {}, pipe, 0],
    ['NO_COLOR on a TTY', { NO_COLOR: '1' }, tty(8), 0],
    ['NO_COLOR=anything', { NO_COLOR: 'yes please' }, tty(8), 0],
    ['an empty NO_COLOR is not set', { NO_COLOR: '' }, tty(8), 2],
    ['TERM=dumb on a TTY', { TERM: 'dumb' }, tty(8), 0],
    ['FORCE_COLOR=0 on a TTY', { FORCE_COLOR: '0' }, tty(24), 0],
    ['FORCE_COLOR=false on a TTY', { FORCE_COLOR: 'false' }, tty(24), 0],
    ['FORCE_COLOR=1 in a pipe', { FORCE_COLOR: '1' }, pipe, 1],
    ['FORCE_COLOR=true in a pipe', { FORCE_COLOR: 'true' }, pipe, 1],
    ['FORCE_COLOR=TRUE in a pipe', { FORCE_COLOR: 'TRUE' }, pipe, 1],
    ['an empty FORCE_COLOR in a pipe', { FORCE_COLOR: '' }, pipe, 1],
    ['FORCE_COLOR=2 in a pipe', { FORCE_COLOR: '2' }, pipe, 2],
    ['FORCE_COLOR=3 in a pipe', { FORCE_COLOR: '3' }, pipe, 3],
    ['FORCE_COLOR=1 on a truecolor TTY: the level asked for', { FORCE_COLOR: '1' }, tty(24), 1],
    ['FORCE_COLOR wins over NO_COLOR', { FORCE_COLOR: '1', NO_COLOR: '1' }, pipe, 1],
    ['FORCE_COLOR=0 with NO_COLOR', { FORCE_COLOR: '0', NO_COLOR: '1' }, tty(8), 0],
    ['FORCE_COLOR wins over TERM=dumb', { FORCE_COLOR: '1', TERM: 'dumb' }, tty(8), 1],
    ['an unknown FORCE_COLOR is ignored: TTY', { FORCE_COLOR: 'sometimes' }, tty(8), 2],
    ['an unknown FORCE_COLOR is ignored: pipe', { FORCE_COLOR: 'sometimes' }, pipe, 0],
    ['an unknown FORCE_COLOR is ignored: NO_COLOR decides', { FORCE_COLOR: '7', NO_COLOR: '1' }, tty(8), 0],
    ['a TTY that cannot tell its depth: basic colours', {}, { isTTY: true }, 1],
  ];
  for (const [what, env, stream, want] of cases) t.equal(colorLevel(env, stream), want, what);
});

// The console reporter's output of a run that fails at once (no server to start): a
// bold header and a red cross when coloured. No other env var leaks in from the test's.
const SGR = /\x1b\[[0-9;]*m/;
const run = ['run', join(FIXTURES, 'engine', 'pass-one-node.yaml'), '--server', '/nonexistent/main.js', '--reporter', 'console'];
const cleanEnv = () => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['FORCE_COLOR', 'NO_COLOR', 'TERM', 'CI', 'COLORTERM'].includes(k)) env[k] = v;
  return env;
};

function sandboxed(t: { teardown(fn: () => void): void }) {
  const base = mkdtempSync(join(tmpdir(), 'phantom-color-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  return { out: join(base, 'reports'), env: { ...cleanEnv(), PHANTOM_TEST_STATE_DIR: join(base, 'state') } };
}

t.test('the CLI in a pipe: no colour unless FORCE_COLOR asks', async (t) => {
  const sb = sandboxed(t);
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['a pipe', { TERM: 'xterm-256color' }, false],
    ['FORCE_COLOR=1', { FORCE_COLOR: '1', TERM: 'xterm-256color' }, true],
    ['FORCE_COLOR=true with TERM=dumb', { FORCE_COLOR: 'true', TERM: 'dumb' }, true],
    ['FORCE_COLOR=0', { FORCE_COLOR: '0', TERM: 'xterm-256color' }, false],
  ];
  for (const [what, env, coloured] of cases) {
    const r = await execa(process.execPath, [BIN, ...run, '--out', sb.out], { reject: false, cwd: ROOT, env: { ...sb.env, ...env }, extendEnv: false });
    t.equal(r.exitCode, 3, `${what}: the run fails as expected`);
    t.match(r.stdout, /start 1 node/, `${what}: the console report is there`);
    t.equal(SGR.test(r.stdout), coloured, `${what}: ${coloured ? 'coloured' : 'plain'}\n${JSON.stringify(r.stdout.slice(0, 200))}`);
  }
});

// `script` (util-linux) gives the CLI a pseudo-terminal, the way a person runs it.
t.test('the CLI on a terminal: colour unless FORCE_COLOR=0, NO_COLOR or TERM=dumb', async (t) => {
  const sb = sandboxed(t);
  const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, BIN, ...run, '--out', sb.out].map(shellQuote).join(' ');
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['a terminal', { TERM: 'xterm-256color' }, true],
    ['FORCE_COLOR=0', { FORCE_COLOR: '0', TERM: 'xterm-256color' }, false],
    ['FORCE_COLOR=false', { FORCE_COLOR: 'false', TERM: 'xterm-256color' }, false],
    ['NO_COLOR=1', { NO_COLOR: '1', TERM: 'xterm-256color' }, false],
    ['TERM=dumb', { TERM: 'dumb' }, false],
    ['TERM=dumb with FORCE_COLOR=1', { TERM: 'dumb', FORCE_COLOR: '1' }, true],
  ];
  for (const [what, env, coloured] of cases) {
    let out: string;
    try {
      out = execFileSync('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env: { ...sb.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      t.fail(`${what}: the run should exit 3`);
    } catch (e) {
      const err = e as { status: number; stdout: string };
      t.equal(err.status, 3, `${what}: the run fails as expected`);
      out = err.stdout;
    }
    t.match(out, /start 1 node/, `${what}: the console report is there`);
    // The live line (\r\x1b[2K) is cursor control, not colour: look for SGR codes only.
    t.equal(SGR.test(out), coloured, `${what}: ${coloured ? 'coloured' : 'plain'}\n${JSON.stringify(out.slice(0, 300))}`);
    if (env.TERM === 'dumb') t.notOk(out.includes('\x1b[2K'), `${what}: no line rewriting on a dumb terminal`);
  }
});
