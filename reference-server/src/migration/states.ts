// The rules of the migration state machine, with no I/O: which state may follow which, and
// what each state means for the shard's owners. The catalog commands (catalog/commands.ts)
// apply them; the coordinator (coordinator.ts) drives a migration through them.
//
//   MigratingSnapshot -> MigratingWAL -> AwaitingCutover -> Stable -> Cleaned
//   any state before Stable -> RolledBack (the source keeps the shard, the target's copy goes)
//   Stable -> Failed (the shard is gone: its table or database was deleted mid-cleanup)
import type { MigrationDef, MigrationState, ShardDef } from '../catalog/state.js';
import { MIGRATION_STATES } from '../catalog/state.js';

/** States in which a migration is over: the shard shows no migration any more. */
export const TERMINAL_STATES: readonly MigrationState[] = ['Cleaned', 'RolledBack', 'Failed'];

export function isTerminal(state: MigrationState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** Whether `to` may follow `from`. */
export function canAdvance(from: MigrationState, to: MigrationState): boolean {
  if (isTerminal(from)) return false;
  const i = (MIGRATION_STATES as readonly string[]).indexOf(from);
  if (to === 'RolledBack') return i < MIGRATION_STATES.indexOf('Stable');
  if (to === 'Failed') return from === 'Stable';
  return (MIGRATION_STATES as readonly string[]).indexOf(to) === i + 1;
}

/**
 * The shard as it is once `m` has entered `to`. Before cutover the target is `migrating_to`
 * (it takes writes, not reads); at Stable the target replaces the source in node_ids, at the
 * same position, and the source stays `migrating_from` (it still takes writes, so a node that
 * has not yet applied the cutover reads nothing stale from it) until Cleaned.
 */
export function shardAfter(shard: ShardDef, m: MigrationDef, to: MigrationState): ShardDef {
  const { migrating_to: _to, migrating_from: _from, ...rest } = shard;
  switch (to) {
    case 'MigratingSnapshot':
    case 'MigratingWAL':
    case 'AwaitingCutover':
      return { ...rest, migration_status: to, migrating_to: m.target };
    case 'Stable':
      return { ...rest, node_ids: shard.node_ids.map((n) => (n === m.source ? m.target : n)), migration_status: 'Stable', migrating_from: m.source };
    case 'Cleaned':
    case 'Failed':
    case 'RolledBack':
      return { ...rest, migration_status: 'Stable' };
  }
}

/** Whether the shard has a migration that is not over (copying, or waiting for the source's cleanup). */
export function shardMigrating(shard: ShardDef): boolean {
  return shard.migrating_to !== undefined || shard.migrating_from !== undefined || shard.migration_status !== 'Stable';
}
