// Locations the runner uses: the package root, and a state folder per project that
// holds the records of started children (for reaping) and `cluster up` state.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (works from src/ under tap and from dist/ when built). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The project a command runs for: the checkout the current directory is in (the nearest
 * directory at or above it holding .git), else the nearest holding package.json, else
 * the current directory itself. So every subdirectory of a checkout shares one state
 * folder, and two checkouts (or worktrees) never share one.
 */
export function projectRoot(cwd = process.cwd()): string {
  const start = resolve(cwd);
  for (const marker of ['.git', 'package.json']) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (existsSync(join(dir, marker))) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  return start;
}

/**
 * Where run records and `cluster up` state live: $PHANTOM_TEST_STATE_DIR if set, else
 * <tmp>/phantom-test-<uid>/<project name>-<hash of the project root>.
 */
export function stateDir(): string {
  if (process.env.PHANTOM_TEST_STATE_DIR) return resolve(process.env.PHANTOM_TEST_STATE_DIR);
  let user = 'user';
  try { user = String(userInfo().uid); } catch { /* no passwd entry: shared name */ }
  const root = projectRoot();
  const key = createHash('sha256').update(root).digest('hex').slice(0, 12);
  const name = basename(root).replace(/[^A-Za-z0-9_.-]+/g, '_') || 'root';
  return join(tmpdir(), `phantom-test-${user}`, `${name}-${key}`);
}

export function defaultServerEntry(): string {
  return process.env.PHANTOM_SERVER ?? join(PACKAGE_ROOT, 'reference-server', 'dist', 'main.js');
}
