// A node that installs a snapshot skips the commands it summarizes, so its apply listeners
// never hear of the deletes among them; the node would keep the rows of a dropped table.
// These are the deletes the jump from one state to the other implies, for the listeners.
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
    for (const table of Object.keys(def.tables)) if (!kept.tables[table]) drops.push({ type: 'delete_table', db, table });
  }
  return drops;
}
