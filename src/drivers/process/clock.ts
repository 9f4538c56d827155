// Clock faults on the process driver: a node runs under libfaketime (LD_PRELOAD), reading its
// fake time from a timestamp file the runner rewrites, so its wall clock can be skewed or made
// to drift while it runs. Only CLOCK_REALTIME is faked (FAKETIME_DONT_FAKE_MONOTONIC): libuv's
// timers and performance.now stay on real time, so a skewed node still fires its timeouts on time.
//
// What libfaketime 0.9.10 (Debian's) really does, found by experiment:
// - a line it cannot parse makes the node exit(1) on its next time call: only lines rendered
//   here are written, and atomically (a rename), never a half-written file;
// - a rate ('x') stays until another 'x' is written ("+0" after "+0 x2" still runs at 2x), so
//   every line names its rate;
// - a rate scales the time since the process started (fake = start + (t - start) * rate +
//   offset), so a drift set while the node runs is compensated with its start time;
// - FAKETIME_XRESET (meant to smooth rate changes) makes it ignore later offset changes at an
//   unchanged rate: not used;
// - fractions take '.', as node runs in the C locale ("+0,5h" reads as +0);
// - each faked process makes /dev/shm/faketime_shm_<pid> and sem.faketime_sem_<pid>, removed
//   only on a clean exit: a node killed by a signal leaves them (reapFaketimeLeftovers).

import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { pollQuietly } from '../../util/poll.js';

/** Where Debian's libfaketime puts its library, per architecture. */
const CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
];

export const NO_LIBFAKETIME = 'clock faults need libfaketime (apt-get install libfaketime)';

export type Support = { ok: true; library: string } | { ok: false; reason: string };

let found: Support | undefined;

/** The libfaketime library to preload, or why clock faults cannot run here. */
export function clockSupport(): Support {
  if (found) return found;
  // PHANTOM_LIBFAKETIME names the library where it is not Debian's (and is then the only one tried).
  const fromEnv = process.env.PHANTOM_LIBFAKETIME;
  const library = (fromEnv ? [fromEnv] : [...CANDIDATES, ...dpkgListed()]).find((p) => existsSync(p));
  found = library ? { ok: true, library } : { ok: false, reason: fromEnv ? `${NO_LIBFAKETIME}: PHANTOM_LIBFAKETIME=${fromEnv} does not exist` : NO_LIBFAKETIME };
  return found;
}

function dpkgListed(): string[] {
  try {
    return execFileSync('dpkg', ['-L', 'libfaketime'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((p) => p.endsWith('/libfaketime.so.1'));
  } catch {
    return [];
  }
}

/** A node's clock: `offsetMs` ahead of real time (behind if negative) and running at `rate`. */
export interface ClockSetting {
  offsetMs: number;
  rate: number;
}

export const REAL_CLOCK: ClockSetting = { offsetMs: 0, rate: 1 };

export type ClockSpecResult = { ok: true; setting: ClockSetting } | { ok: false; reason: string };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Ten years either way keeps any node after 1970 and its timestamps in range. */
const MAX_OFFSET_MS = 3650 * UNIT_MS.d!;
const MIN_RATE = 0.001;
const MAX_RATE = 100;

/**
 * Parses a clock spec: an offset (`+30s`, `-2h`, `+1.5m`, `+250ms`, `0`), optionally followed
 * by a rate in libfaketime's syntax (`+0 x1.5`: from now on the clock runs 1.5 times as fast);
 * `x0.5` alone is a drift from offset 0. Says why a spec cannot be expressed.
 */
export function parseClockSpec(text: string): ClockSpecResult {
  const tokens = text.trim().split(/\s+/).filter(Boolean);
  const usage = `give an offset (+30s, -2h, 0) and optionally a rate (+0 x1.5)`;
  if (tokens.length === 0) return { ok: false, reason: `empty clock spec: ${usage}` };
  if (tokens[0]!.startsWith('@')) return { ok: false, reason: `absolute times ('${text.trim()}') are not supported: give an offset from now, e.g. +2h` };
  const [offsetText, rateText, ...rest] = /^[xi]/.test(tokens[0]!) ? ['0', ...tokens] : tokens;
  if (rest.length > 0) return { ok: false, reason: `'${text.trim()}' has more than an offset and a rate: ${usage}` };
  const offset = parseOffset(offsetText!);
  if (!offset.ok) return offset;
  const rate = rateText === undefined ? { ok: true as const, rate: 1 } : parseRate(rateText);
  if (!rate.ok) return rate;
  return { ok: true, setting: { offsetMs: offset.ms, rate: rate.rate } };
}

function parseOffset(text: string): { ok: true; ms: number } | { ok: false; reason: string } {
  const m = /^([+-]?)(\d+(?:\.\d+)?)([a-z]*)$/.exec(text);
  if (!m) return { ok: false, reason: `offset '${text}' is not a number with a unit: e.g. +30s, -2h, +1.5m, +250ms or 0` };
  const [, sign, num, unit] = m as unknown as [string, string, string, string];
  const n = Number(num);
  if (n === 0) return { ok: true, ms: 0 };
  if (!unit) return { ok: false, reason: `offset '${text}' needs a unit: ms, s, m, h or d (e.g. ${sign || '+'}${num}s)` };
  if (!(unit in UNIT_MS)) return { ok: false, reason: `unknown unit '${unit}' in offset '${text}': use ms, s, m, h or d` };
  if (!sign) return { ok: false, reason: `offset '${text}' needs a sign: +${num}${unit} (ahead) or -${num}${unit} (behind)` };
  const ms = (sign === '-' ? -1 : 1) * n * UNIT_MS[unit]!;
  if (Math.abs(ms) > MAX_OFFSET_MS) return { ok: false, reason: `offset '${text}' is too large: at most 3650d either way` };
  return { ok: true, ms };
}

function parseRate(text: string): { ok: true; rate: number } | { ok: false; reason: string } {
  if (text.startsWith('i')) return { ok: false, reason: `libfaketime's step mode ('${text}') is not supported: use a rate, e.g. x1.5` };
  if (!/^x\d+(?:\.\d+)?$/.test(text)) return { ok: false, reason: `rate '${text}' is not x followed by a number: e.g. x1.5 (faster) or x0.5 (slower)` };
  const rate = Number(text.slice(1));
  if (rate === 0) return { ok: false, reason: 'rate x0 would stop the clock: use a rate between x0.001 and x100' };
  if (rate < MIN_RATE || rate > MAX_RATE) return { ok: false, reason: `rate ${text} is out of range: use a rate between x0.001 and x100` };
  return { ok: true, rate };
}

/** The environment a node starts with so that its timestamp file sets its clock. */
export function clockEnv(timestampFile: string): Record<string, string> {
  const s = clockSupport();
  if (!s.ok) throw new Error(s.reason);
  return {
    LD_PRELOAD: s.library,
    FAKETIME_TIMESTAMP_FILE: timestampFile,
    // Read the file on every time call: a change applies at once, not after the 10 s cache.
    FAKETIME_NO_CACHE: '1',
    // Timers, performance.now and the event loop stay on real time.
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

export interface SetClockOptions {
  /** When the setting starts (epoch ms, real time); default now. */
  since?: number;
  /**
   * When the node's process started (epoch ms, see processStartMs): libfaketime counts a rate
   * from there, so a drift (rate != 1) needs it to start from `since` without a jump.
   */
  processStartMs?: number;
}

/**
 * Sets the clock of the node reading `timestampFile`: from `since` on, it reads real time
 * plus `offsetMs`, drifting by (rate - 1) per real millisecond.
 */
export function setClock(timestampFile: string, setting: ClockSetting, opts: SetClockOptions = {}): void {
  let offsetMs = setting.offsetMs;
  if (setting.rate !== 1) {
    if (opts.processStartMs === undefined) throw new Error('a clock drift needs the start time of the node process (processStartMs)');
    offsetMs -= (setting.rate - 1) * ((opts.since ?? Date.now()) - opts.processStartMs);
  }
  writeAtomically(timestampFile, faketimeLine(offsetMs, setting.rate));
}

/** Puts the node back on real time. */
export function resetClock(timestampFile: string): void {
  setClock(timestampFile, REAL_CLOCK);
}

/** Removes a node's timestamp file (teardown; a node still running then reads real time). */
export function removeClockFile(timestampFile: string): void {
  rmSync(timestampFile, { force: true });
}

/**
 * Removes libfaketime's shared memory and semaphore of processes that are gone (a node or its
 * query executors killed by a signal). Entries of live pids are left alone. Returns the names removed.
 */
export function reapFaketimeLeftovers(shmDir = '/dev/shm'): string[] {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(shmDir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = /^(?:faketime_shm_|sem\.faketime_sem_)(\d+)$/.exec(name);
    if (!m || isLive(Number(m[1]))) continue;
    rmSync(`${shmDir}/${name}`, { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * After a run's nodes are gone: waits (bounded) for their query executors too, SIGKILLs any
 * that linger, then removes the shared memory of every dead faked process. Returns the names removed.
 */
export async function reapFaketimeOf(dir: string): Promise<string[]> {
  const gone = () => fakedProcessesInside(dir).length === 0;
  if (!(await pollQuietly(gone, { timeoutMs: 2000, intervalMs: 10, describe: 'faked processes to exit' }))) {
    for (const pid of fakedProcessesInside(dir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await pollQuietly(gone, { timeoutMs: 2000, intervalMs: 10, describe: 'faked processes to die' });
  }
  return reapFaketimeLeftovers();
}

/**
 * Live processes under libfaketime whose timestamp file is inside `dir` (a run's temp dir):
 * its nodes and the query executors they fork, which outlive a node by a moment.
 */
export function fakedProcessesInside(dir: string, shmDir = '/dev/shm'): number[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  let names: string[] = [];
  try {
    names = readdirSync(shmDir);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) {
    const m = /^faketime_shm_(\d+)$/.exec(name);
    if (!m || !isLive(Number(m[1]))) continue;
    try {
      const env = readFileSync(`/proc/${m[1]}/environ`, 'utf8').split('\0');
      if (env.some((e) => e.startsWith(`FAKETIME_TIMESTAMP_FILE=${prefix}`))) out.push(Number(m[1]));
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** A process that still runs: not gone, and not a zombie (which never cleans up after itself). */
function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The line libfaketime reads: seconds with '.', and always a rate (see the top of this file). */
export function faketimeLine(offsetMs: number, rate: number): string {
  const secs = offsetMs / 1000;
  return `${secs < 0 ? '-' : '+'}${Math.abs(secs).toFixed(6)} x${rate}\n`;
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** How far ahead of real time a setting made at `since` puts the clock at `at`. */
export function expectedOffsetMs(setting: ClockSetting, since: number, at = Date.now()): number {
  return setting.offsetMs + (setting.rate - 1) * (at - since);
}

/** When process `pid` started (epoch ms, within 10 ms), from /proc: its start in ticks after boot. */
export function processStartMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 22 counts from the one after the command, which may itself hold spaces and ')'.
  const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const uptimeSecs = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const now = Date.now();
  // USER_HZ is 100 on every Linux ABI node runs on.
  return now - (uptimeSecs * 1000 - startTicks * 10);
}

export interface ClockWitness {
  ok: boolean;
  /** What the node's Date header bounds its clock to, minus the runner's clock (ms). */
  observed?: { minMs: number; maxMs: number };
  /** Requests made and how long the witness took. */
  attempts: number;
  elapsedMs: number;
  message: string;
}

/**
 * Proves a node's clock is `expected` ms (± `toleranceMs`) ahead of the runner's, from
 * the `Date` header of GET /ping. The header has whole seconds, so one answer bounds the node's
 * clock to a window of a second plus the round trip; the witness confirms when that window
 * meets the expected one. `expected` is a number, or a function of the runner's time for a
 * drifting clock (see expectedOffsetMs). Node caches its Date header until its next second, so
 * an answer just after a change may still show the old clock: it asks again until `timeoutMs`.
 */
export async function clockWitness(
  url: string,
  expected: number | ((atMs: number) => number),
  toleranceMs: number,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ClockWitness> {
  const expectedAt = typeof expected === 'number' ? () => expected : expected;
  const started = performance.now();
  const deadline = started + (opts.timeoutMs ?? 3000);
  let attempts = 0;
  let observed: ClockWitness['observed'];
  let problem = '';
  let expectedMs = expectedAt(Date.now());
  for (;;) {
    attempts++;
    const sentAt = Date.now();
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.any([AbortSignal.timeout(Math.ceil(Math.max(100, deadline - performance.now()))), ...(opts.signal ? [opts.signal] : [])]) });
      await res.arrayBuffer();
      const receivedAt = Date.now();
      const header = res.headers.get('date');
      const nodeSecond = header ? Date.parse(header) : NaN;
      if (Number.isNaN(nodeSecond)) problem = `GET ${url}/ping answered without a readable Date header (${header ?? 'none'})`;
      else {
        observed = { minMs: nodeSecond - receivedAt, maxMs: nodeSecond + 1000 - sentAt };
        expectedMs = expectedAt((sentAt + receivedAt) / 2);
        problem = '';
        if (observed.maxMs >= expectedMs - toleranceMs && observed.minMs <= expectedMs + toleranceMs) {
          return { ok: true, observed, attempts, elapsedMs: performance.now() - started, message: `node clock ${describeWindow(observed)}, expected ${describeOffset(expectedMs)} ± ${toleranceMs} ms` };
        }
      }
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      problem = `GET ${url}/ping failed: ${(err as Error).message}`;
    }
    if (performance.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const message = problem || `node clock ${describeWindow(observed!)}, expected ${describeOffset(expectedMs)} ± ${toleranceMs} ms`;
  return { ok: false, observed, attempts, elapsedMs: performance.now() - started, message: `clock skew not confirmed: ${message}` };
}

function describeWindow(w: { minMs: number; maxMs: number }): string {
  return `between ${describeOffset(w.minMs)} and ${describeOffset(w.maxMs)} of the runner's (Date header)`;
}

function describeOffset(ms: number): string {
  return `${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(3)} s`;
}
