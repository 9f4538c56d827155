// A node that installs a snapshot skips the commands it summarizes, so its apply listeners
// never hear of the deletes among them; the node would keep the rows of a dropped table.
// These are the deletes the jump from one state to the other implies, for the listeners,
// including a table (or database) dropped and created again within the jump.
import type { CatalogCommand } from '../commands.js';
import type { CatalogState } from '../state.js';

export function dropsBetween(before: CatalogState, after: CatalogState): CatalogCommand[] {
  const drops: CatalogCommand[] = [];
  for (const [db, def] of Object.entries(before.databases)) {
    const kept = after.databases[db];
    if (!kept) {
      drops.push({ type: 'delete_database', db });
      continue;
    }
    for (const table of Object.keys(def.tables)) {
      if (!kept.tables[table] || recreated(before, after, db, table)) drops.push({ type: 'delete_table', db, table });
    }
  }
  return drops;
}

/**
 * Whether the table was dropped and created again between the two states: a shard of it is
 * gone (shards go only with their table or database, catalog/commands.ts), so the rows this
 * node holds belong to the old table.
 */
function recreated(before: CatalogState, after: CatalogState, db: string, table: string): boolean {
  return Object.values(before.shards).some((s) => s.db === db && s.table === table && !after.shards[s.id]);
}
