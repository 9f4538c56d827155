// The record of what a run started: one JSON file per run under the state folder,
// written before the run's temp dir exists and before each child is spawned, so a
// runner killed at any moment leaves a record that finds everything it started:
// children are found by pid and, where a pid never made it into the record, by a
// scan of /proc for command lines naming the run's temp dir (every child's data dir
// is inside it). If the runner dies (even by SIGKILL), the next run or
// `phantom-test clean` finds the record, sees its owner gone, and reaps.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, stateDir } from '../../util/paths.js';
import { pollQuietly } from '../../util/poll.js';
import type { ReapResult } from '../driver.js';
import { reapFaketimeOf } from './clock.js';
import { findLeftoverMounts, unmount } from './disk.js';

export interface ChildRecord {
  id: string;
  /** Absent while the child is being spawned. */
  pid?: number;
  port: number;
  url: string;
  data_dir: string;
  log: string;
}

export interface RunRecord {
  version: 1;
  run_id: string;
  /** run: reaped once its owner is gone; cluster: from `cluster up`; kept: from --keep. */
  kind: 'run' | 'cluster' | 'kept';
  owner_pid: number;
  /** The owner's start time from /proc, so a reused pid is not mistaken for it. */
  owner_start: string | null;
  created: string;
  temp_dir: string;
  children: ChildRecord[];
  /** Data dirs mounted as a tmpfs (disk faults), listed before each is mounted. */
  mounts?: string[];
  /** libfaketime timestamp files (clock faults); their nodes' shared memory is in /dev/shm. */
  clock_files?: string[];
}

export function runsDir(): string {
  return join(stateDir(), 'runs');
}

export function recordPath(runId: string): string {
  return join(runsDir(), `${runId}.json`);
}

export function writeRecord(rec: RunRecord): void {
  mkdirSync(runsDir(), { recursive: true });
  labelStateDir();
  const path = recordPath(rec.run_id);
  const tmp = `${path}.${process.pid}${TMP_SUFFIX}`;
  writeFileSync(tmp, JSON.stringify(rec, null, 2), { mode: 0o600 }); // names pids and data dirs: ours only
  renameSync(tmp, path);
}

export function removeRecord(runId: string): void {
  try { unlinkSync(recordPath(runId)); } catch { /* already gone */ }
}

const TMP_SUFFIX = '.tmp';

/**
 * Removes record files a killed writer left half-written (`<run>.json.<pid>.tmp`). Safe:
 * a run writes its first record before it creates anything, so a record that never got
 * renamed into place names nothing that exists yet.
 */
export function removeStaleTempRecords(): void {
  if (!existsSync(runsDir())) return;
  for (const f of readdirSync(runsDir())) {
    const m = /\.(\d+)\.tmp$/.exec(f);
    if (m && !isAlive(Number(m[1]))) { try { unlinkSync(join(runsDir(), f)); } catch { /* gone */ } }
  }
}

/** Says, inside the state folder, which project it belongs to (for a human looking in /tmp). */
function labelStateDir(): void {
  const label = join(stateDir(), 'project');
  if (!existsSync(label)) { try { writeFileSync(label, `${projectRoot()}\n`); } catch { /* only a label */ } }
}

export function readRecords(): RunRecord[] {
  if (!existsSync(runsDir())) return [];
  const out: RunRecord[] = [];
  for (const f of readdirSync(runsDir())) {
    if (!f.endsWith('.json')) continue;
    try { out.push(JSON.parse(readFileSync(join(runsDir(), f), 'utf8')) as RunRecord); } catch { /* half-written: skip */ }
  }
  return out;
}

/** Start time of a process (field 22 of /proc/<pid>/stat), or null where there is no /proc. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

const HAS_PROC = existsSync('/proc/self/stat');

/** The state letter of /proc/<pid>/stat (R, S, T, Z, ...), or null when the process is gone. */
function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) || null;
  } catch {
    return null;
  }
}

/**
 * True while pid is a process that can still do something. A zombie (exited, not yet
 * reaped by its parent: a runner just killed by SIGKILL often is one) is dead.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!HAS_PROC) return true;
  const state = procState(pid);
  return state !== null && state !== 'Z' && state !== 'X'; // X: dead, being torn down
}

export function isAlive(pid: number, start?: string | null): boolean {
  if (!isRunning(pid)) return false;
  if (start) {
    const now = processStart(pid);
    if (now !== null && now !== start) return false;
  }
  return true;
}

/** True when pid is still the node we started (its command line names our data dir). */
export function isOurChild(child: ChildRecord): boolean {
  if (child.pid === undefined || !isRunning(child.pid)) return false;
  try {
    return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').includes(child.data_dir);
  } catch {
    return false;
  }
}

/**
 * Live processes whose --data-dir is inside `dir` (every node of a run has its data dir
 * in the run's temp dir): finds children whose pid never reached the record. Linux only.
 */
export function processesInside(dir: string): Array<{ id: string; pid: number }> {
  if (!HAS_PROC || !dir) return [];
  const out: Array<{ id: string; pid: number }> = [];
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      const dataDir = args[args.indexOf('--data-dir') + 1] ?? '';
      if (!args.includes('--data-dir') || !dataDir.startsWith(prefix) || !isRunning(Number(d))) continue;
      const at = args.indexOf('--node-id');
      out.push({ id: at >= 0 ? args[at + 1] ?? '?' : '?', pid: Number(d) });
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** What to stop of a record: its listed children that still run, plus any found by scanning. */
function survivors(rec: RunRecord): Array<{ id: string; pid: number }> {
  const found = new Map<number, { id: string; pid: number }>();
  for (const c of rec.children) if (isOurChild(c)) found.set(c.pid!, { id: c.id, pid: c.pid! });
  for (const p of processesInside(rec.temp_dir)) if (!found.has(p.pid)) found.set(p.pid, p);
  return [...found.values()];
}

/** Kills a record's surviving children and removes its temp dir and the record. */
export async function reapRecord(rec: RunRecord, opts: { graceful?: boolean } = {}): Promise<ReapResult> {
  const res: ReapResult = { run_id: rec.run_id, kind: rec.kind, killed: [], stopped: [], removed: [], problems: [] };
  if (opts.graceful) {
    // SIGTERM first (SIGCONT in case it is paused), SIGKILL below for whatever is left.
    const ours = survivors(rec);
    for (const c of ours) { try { process.kill(c.pid, 'SIGTERM'); process.kill(c.pid, 'SIGCONT'); } catch { /* gone */ } }
    await pollQuietly(() => !ours.some((c) => isRunning(c.pid)), { timeoutMs: 5000, describe: 'nodes to stop' });
    for (const c of ours) if (!isRunning(c.pid)) res.stopped.push(c);
  }
  for (const child of survivors(rec)) {
    try {
      process.kill(child.pid, 'SIGKILL');
      res.killed.push(child);
    } catch (e) {
      res.problems.push(`could not kill node ${child.id} (pid ${child.pid}): ${(e as Error).message}`);
    }
  }
  // Wait (bounded) for the kills to take effect before removing their data dirs.
  await pollQuietly(() => !res.killed.some((k) => isRunning(k.pid)), { timeoutMs: 5000, describe: 'killed nodes to exit' });
  const left = new Set(survivors(rec).map((s) => s.pid));
  for (const k of res.killed) if (left.has(k.pid)) res.problems.push(`node ${k.id} (pid ${k.pid}) survived SIGKILL`);
  // Our tmpfs mounts under the temp dir go before it does (a mounted dir cannot be removed).
  for (const m of rec.temp_dir ? findLeftoverMounts(`${rec.temp_dir}/`) : []) {
    try {
      await unmount(m);
      res.removed.push(`mount ${m}`);
    } catch (e) {
      res.problems.push((e as Error).message);
    }
  }
  if (rec.clock_files?.length) res.removed.push(...(await reapFaketimeOf(rec.temp_dir)).map((n) => `/dev/shm/${n}`));
  if (rec.temp_dir && existsSync(rec.temp_dir)) {
    try {
      rmSync(rec.temp_dir, { recursive: true, force: true });
      res.removed.push(rec.temp_dir);
    } catch (e) {
      res.problems.push(`could not remove ${rec.temp_dir}: ${(e as Error).message}`);
    }
  }
  if (res.problems.length === 0) removeRecord(rec.run_id);
  return res;
}

/** Records whose owner is gone (kind run), plus kept/cluster ones when `all`. */
export function orphanedRecords(opts: { all?: boolean } = {}): RunRecord[] {
  removeStaleTempRecords();
  return readRecords().filter((r) => (r.kind === 'run' ? !isAlive(r.owner_pid, r.owner_start) : Boolean(opts.all)));
}
