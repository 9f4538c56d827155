// One structured log event per migration transition, on every node as it applies the command:
// {"msg":"migration state", migration_id, shard_id, source, target, from_state, to_state}.
import type { Logger } from '../util/log.js';
import type { Catalog } from '../catalog/catalog.js';
import type { MigrationDef } from '../catalog/state.js';

export function logMigrationTransitions(catalog: Catalog, log: Logger): void {
  catalog.onApplied((cmd) => {
    const state = catalog.state;
    const started = (m: MigrationDef | undefined) => m && event(log, m);
    if (cmd.type === 'start_migration') started(state.migrations[cmd.migration.id]);
    if (cmd.type === 'advance_migration') started(state.migrations[cmd.id]);
    if (cmd.type === 'start_rebalance') for (const id of state.rebalances[cmd.id]?.migration_ids ?? []) started(state.migrations[id]);
  });
}

function event(log: Logger, m: MigrationDef): void {
  const h = m.history;
  log.info(
    {
      migration_id: m.id,
      shard_id: m.shard_id,
      source: m.source,
      target: m.target,
      from_state: h.length > 1 ? h[h.length - 2]!.state : null,
      to_state: h[h.length - 1]!.state,
      ...(m.rebalance_id ? { rebalance_id: m.rebalance_id } : {}),
      ...(m.error ? { error: m.error } : {}),
    },
    'migration state',
  );
}
