// The leader's side of a request, with no I/O: turn it into the commands that realise it and
// check them against the current state. Whatever orders the log (today's leader, or a Raft
// leader) calls this under its lock, then makes the commands durable and applies `next`.
import { HttpError } from '../util/errors.js';
import { applyCommand, type CatalogCommand } from './commands.js';
import type { CatalogRequest } from './consensus.js';
import { cloneCatalog, DEFAULT_PARTITION_DURATION, forkForWrites, type CatalogState } from './state.js';
import { planAutoShards } from '../sharding/placement.js';
import { nameProblem, tableLimitProblem } from './limits.js';

export interface PlannedChange {
  /** The commands to commit, in order; empty if nothing changes. */
  commands: CatalogCommand[];
  /** The state with them applied (`state` itself untouched). */
  next: CatalogState;
  /** Per-table requests: the tables whose change was refused, with why. */
  rejected: Record<string, string>;
}

/** Commands that realise one part of a request; `table` names the part that may fail alone. */
interface CommandGroup {
  table?: string;
  commands: CatalogCommand[];
  /** Set when planning the table's commands already failed (nothing to commit for it). */
  error?: string;
}

/** Plans `req` against `state`; throws (an HttpError) if the whole request is invalid. */
export function planChange(state: CatalogState, req: CatalogRequest): PlannedChange {
  // Write intents only add tables, columns and shards: a cheap copy is enough for them.
  const fork =
    req.kind === 'ensure_schema' || req.kind === 'ensure_shards'
      ? (st: CatalogState) => forkForWrites(st, req.db, req.tables.map((x) => x.table))
      : (st: CatalogState) => cloneCatalog(st);
  return validateGroups(state, resolve(state, req), fork);
}

/**
 * Turns an intent into the commands that realise it, planned against the current state,
 * grouped by the table they serve. Groups commit in order (a table's creation follows its
 * database's).
 */
function resolve(state: CatalogState, req: CatalogRequest): CommandGroup[] {
  if (req.kind === 'command') return [{ commands: [req.command] }];
  if (req.kind === 'define_layout') {
    const first = state.next_shard_id;
    return [{ commands: [{ type: 'define_shards', shards: req.shards.map((s, i) => ({ ...s, id: first + i })) }] }];
  }
  const db = state.databases[req.db];
  if (req.kind === 'ensure_schema') {
    const groups: CommandGroup[] = [];
    if (!db) groups.push({ commands: [{ type: 'create_database', db: req.db, if_not_exists: true }] });
    for (const { table: name, columns } of req.tables) {
      const table = db?.tables[name];
      if (!table) {
        groups.push({
          table: name,
          commands: [{
            type: 'create_table',
            db: req.db,
            table: name,
            columns: [{ name: 'time', kind: 'time' }, ...columns],
            shard_keys: [],
            num_hash_partitions: 1,
            partition_duration: DEFAULT_PARTITION_DURATION,
            replication_factor: 1,
            consistency: 'one',
            if_not_exists: true,
          }],
        });
        continue;
      }
      const missing = columns.filter((c) => !table.columns.some((have) => have.name === c.name && have.kind === c.kind && have.type === c.type));
      if (missing.length > 0) groups.push({ table: name, commands: [{ type: 'add_columns', db: req.db, table: name, columns: missing }] });
    }
    return groups;
  }
  // Plan against a scratch copy so several points of one new partition yield one set of shards.
  const scratch = forkForWrites(state, req.db, []);
  const groups: CommandGroup[] = [];
  for (const { table: name, points } of req.tables) {
    const group: CommandGroup = { table: name, commands: [] };
    groups.push(group);
    const table = db?.tables[name];
    if (!table) throw new HttpError(404, `table not found: ${req.db}.${name}`);
    try {
      for (const [time, hash] of points) {
        const shards = planAutoShards(scratch, table, time, hash);
        if (shards.length === 0) continue;
        const cmd: CatalogCommand = { type: 'define_shards', shards };
        applyCommand(scratch, cmd);
        group.commands.push(cmd);
      }
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 400) throw err;
      // Planning failed: commit nothing for this table, and say why.
      group.commands = [];
      group.error = err.message;
    }
  }
  return groups;
}

/**
 * Checks each group's commands; a table's invalid change is recorded in `rejected`. The groups
 * are validated on one working copy of the state (`fork`, again only after a failed group): a
 * write bringing hundreds of tables costs one copy, not one per command.
 */
function validateGroups(base: CatalogState, groups: CommandGroup[], fork: (state: CatalogState) => CatalogState): PlannedChange {
  const rejected: Record<string, string> = {};
  let work = fork(base);
  const applied: CatalogCommand[] = [];
  for (const group of groups) {
    if (group.error !== undefined) {
      rejected[group.table!] = group.error;
      continue;
    }
    try {
      for (const cmd of group.commands) {
        applyCommand(work, cmd);
        checkLimits(work, cmd);
      }
      applied.push(...group.commands);
    } catch (err) {
      // One table's invalid change fails that table only; anything else fails the request.
      if (group.table === undefined || !(err instanceof HttpError) || err.status !== 400) throw err;
      rejected[group.table] = err.message;
      work = fork(base); // the failed group may have changed it part way
      for (const cmd of applied) applyCommand(work, cmd);
    }
  }
  return { commands: applied, next: work, rejected };
}

/**
 * New schema must stay within the limits every store can apply (catalog/limits.ts). Checked
 * only when the leader commits a command, never when a committed entry is replayed.
 */
function checkLimits(next: CatalogState, cmd: CatalogCommand): void {
  if (cmd.type !== 'create_table' && cmd.type !== 'add_columns') return;
  const table = next.databases[cmd.db]?.tables[cmd.table];
  if (!table) return;
  const problem =
    nameProblem('measurement', table.name) ??
    cmd.columns.map((c) => nameProblem(c.kind === 'tag' ? 'tag key' : 'field key', c.name)).find(Boolean) ??
    tableLimitProblem(table.name, table.columns);
  if (problem) throw new HttpError(400, problem);
}
