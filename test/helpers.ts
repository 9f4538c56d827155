// Shared by the runner's tests: paths, a private state folder per test (so runs
// and reaping in parallel tests never see each other), the real CLI, and process
// checks that read /proc.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'run.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
export const SERVER = join(ROOT, 'reference-server', 'dist', 'main.js');

// These tests drive the built CLI and the built reference server: a missing build is a
// failure to report, never a reason to skip.
for (const [what, file] of [['reference server', SERVER], ['CLI', join(ROOT, 'dist', 'commands', 'run.js')]] as const) {
  if (!existsSync(file)) throw new Error(`${what} not built (${file}): run npm run build first`);
}

export interface Sandbox {
  state: string;
  out: string;
  env: Record<string, string>;
  /** A runner process to kill at teardown, before its leftovers are reaped. */
  track(runner: { kill(signal: NodeJS.Signals): unknown }): void;
}

/** A state folder and report folder of its own, removed when the test ends. */
export function sandbox(t: { teardown(fn: () => void | Promise<void>): void }): Sandbox {
  const base = mkdtempSync(join(tmpdir(), 'phantom-test-spec-'));
  const runners: Array<{ kill(signal: NodeJS.Signals): unknown }> = [];
  const s = {
    state: join(base, 'state'), out: join(base, 'reports'), env: { PHANTOM_TEST_STATE_DIR: join(base, 'state') },
    track: (runner: { kill(signal: NodeJS.Signals): unknown }) => void runners.push(runner),
  };
  t.teardown(async () => {
    // Whatever the test left running (it failed midway, or it killed a runner on purpose):
    // kill the runners first (clean leaves a live runner's nodes alone), then reap.
    for (const r of runners) r.kill('SIGKILL');
    await cli(['clean', '--all'], { env: s.env });
    rmSync(base, { recursive: true, force: true });
  });
  return s;
}

export interface CliResult { exitCode: number; stdout: string; stderr: string }

/** Runs bin/run.js (plain output: CI is set) and never throws on a non-zero exit. */
export async function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [BIN, ...args], { reject: false, cwd: opts.cwd ?? ROOT, env: { ...opts.env, CI: '1', NO_COLOR: '1' }, ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}) });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Pids of live processes whose command line contains `needle`. */
export function pidsWith(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue; // zombies are dead
      if (cmd.includes(needle)) out.push(Number(d));
    } catch { /* exited meanwhile */ }
  }
  return out;
}

export async function until(cond: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

export function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}
