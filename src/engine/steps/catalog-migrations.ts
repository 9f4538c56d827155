// expect_catalog's `migrations:` part: each expected entry must match some migration of
// `GET /api/v3/cluster/migrations` partially, and `states` is the exact sequence of
// states its `history` went through (seed 002 section 4: MigratingSnapshot ->
// MigratingWAL -> AwaitingCutover -> Stable -> Cleaned).

import type { MigrationExpect } from '../../scenario/types.js';
import { partialMismatch } from '../../verifiers/partial.js';
import { VerificationError } from '../errors.js';

type Obj = Record<string, unknown>;

/** The states a migration's history went through, in order. */
export function historyStates(m: Obj): string[] {
  return Array.isArray(m.history) ? (m.history as Obj[]).map((h) => String(h?.state)) : [];
}

/** One line per migration, for messages: `3 (shard 7 a->d): Stable`. */
export function describeMigration(m: Obj): string {
  return `${String(m.id)} (shard ${String(m.shard_id)} ${String(m.source)}->${String(m.target)}): ${String(m.state)}`;
}

export function checkMigrations(node: string, wants: MigrationExpect[], migrations: Obj[]): void {
  for (const want of wants) {
    const { states, ...keys } = want;
    const candidates = migrations.filter((m) => partialMismatch(keys, m) === undefined);
    if (candidates.length === 0) {
      // The closest one (same id, else same shard) says what differs.
      const near = migrations.find((m) => keys.id !== undefined && String(m.id) === String(keys.id))
        ?? migrations.find((m) => keys.shard_id !== undefined && String(m.shard_id) === String(keys.shard_id));
      const why = near ? `: migration ${String(near.id)} differs at ${partialMismatch(keys, near)!.replace('$', 'migration')}` : '';
      throw new VerificationError(
        `migrations via ${node}: none matches ${JSON.stringify(keys)}${why} (migrations: ${migrations.map(describeMigration).join('; ') || 'none'})`,
        { expected: want, actual: near ?? migrations },
      );
    }
    if (states === undefined) continue;
    if (candidates.some((m) => historyStates(m).join() === states.join())) continue;
    const m = candidates[0]!;
    throw new VerificationError(
      `migration ${String(m.id)} via ${node}: went through ${historyStates(m).join(' -> ') || 'no states'}, expected ${states.join(' -> ')}`,
      { expected: states, actual: m.history },
    );
  }
}
