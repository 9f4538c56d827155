// reports/<run-id>/ for a run's files, and reports/latest pointing at the newest.

import { mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export function newRunId(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

export function createRunDir(out: string, runId: string): string {
  const dir = join(out, runId);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  return dir;
}

/** Points out/latest at runId (a relative symlink, swapped in atomically). */
export function linkLatest(out: string, runId: string): void {
  const tmp = join(out, `.latest-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(runId, tmp);
  renameSync(tmp, join(out, 'latest'));
}
