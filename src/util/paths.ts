// Locations the runner uses: the package root, and a per-user state folder that
// holds the records of started children (for reaping) and `cluster up` state.

import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (works from src/ under tap and from dist/ when built). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function stateDir(): string {
  if (process.env.PHANTOM_TEST_STATE_DIR) return process.env.PHANTOM_TEST_STATE_DIR;
  let user = 'user';
  try { user = String(userInfo().uid); } catch { /* no passwd entry: shared name */ }
  return join(tmpdir(), `phantom-test-${user}`);
}

export function defaultServerEntry(): string {
  return process.env.PHANTOM_SERVER ?? join(PACKAGE_ROOT, 'reference-server', 'dist', 'main.js');
}
