// The record of what a run started: one JSON file per run under the state folder,
// rewritten whenever a child starts. If the runner dies (even by SIGKILL), the next
// run or `phantom-test clean` finds the record, sees its owner gone, and reaps the
// children and temp dirs it lists.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../../util/paths.js';

export interface ChildRecord {
  id: string;
  pid: number;
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
}

export function runsDir(): string {
  return join(stateDir(), 'runs');
}

export function recordPath(runId: string): string {
  return join(runsDir(), `${runId}.json`);
}

export function writeRecord(rec: RunRecord): void {
  mkdirSync(runsDir(), { recursive: true });
  const path = recordPath(rec.run_id);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec, null, 2), { mode: 0o600 }); // names pids and data dirs: ours only
  renameSync(tmp, path);
}

export function removeRecord(runId: string): void {
  try { unlinkSync(recordPath(runId)); } catch { /* already gone */ }
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

export function isAlive(pid: number, start?: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (start) {
    const now = processStart(pid);
    if (now !== null && now !== start) return false;
  }
  return true;
}

/** True when pid is still the node we started (its command line names our data dir). */
export function isOurChild(child: ChildRecord): boolean {
  try {
    process.kill(child.pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').includes(child.data_dir);
  } catch {
    return false;
  }
}

export interface ReapResult {
  run_id: string;
  kind: RunRecord['kind'];
  killed: Array<{ id: string; pid: number }>;
  /** Stopped gracefully (SIGTERM) before any kill. */
  stopped: Array<{ id: string; pid: number }>;
  removed: string[];
  problems: string[];
}

/** Kills a record's surviving children and removes its temp dir and the record. */
export async function reapRecord(rec: RunRecord, opts: { graceful?: boolean } = {}): Promise<ReapResult> {
  const res: ReapResult = { run_id: rec.run_id, kind: rec.kind, killed: [], stopped: [], removed: [], problems: [] };
  if (opts.graceful) {
    // SIGTERM first (SIGCONT in case it is paused), SIGKILL below for whatever is left.
    const ours = rec.children.filter(isOurChild);
    for (const c of ours) { try { process.kill(c.pid, 'SIGTERM'); process.kill(c.pid, 'SIGCONT'); } catch { /* gone */ } }
    const until = Date.now() + 5000;
    while (ours.some((c) => isAlive(c.pid)) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    for (const c of ours) if (!isAlive(c.pid)) res.stopped.push({ id: c.id, pid: c.pid });
  }
  for (const child of rec.children) {
    if (!isOurChild(child)) continue;
    try {
      process.kill(child.pid, 'SIGKILL');
      res.killed.push({ id: child.id, pid: child.pid });
    } catch (e) {
      res.problems.push(`could not kill node ${child.id} (pid ${child.pid}): ${(e as Error).message}`);
    }
  }
  // Wait (bounded) for the kills to take effect before removing their data dirs.
  const deadline = Date.now() + 5000;
  while (res.killed.some((k) => isAlive(k.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const k of res.killed) if (isAlive(k.pid) && isOurChild(rec.children.find((c) => c.pid === k.pid)!)) res.problems.push(`node ${k.id} (pid ${k.pid}) survived SIGKILL`);
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
  return readRecords().filter((r) => (r.kind === 'run' ? !isAlive(r.owner_pid, r.owner_start) : Boolean(opts.all)));
}
