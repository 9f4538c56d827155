// Catalog commands and the deterministic function that applies them. The ordering node (the
// catalog leader) validates a command by applying it to a copy; followers apply committed
// commands with the same function, so every node reaches the same state.
import type { ColumnSchema } from '../types.js';
import { HttpError } from '../util/errors.js';
import type { CatalogState, MigrationState, NodeStatus, RebalanceStrategy, ShardDef, TableDef } from './state.js';
import { NODE_STATUSES, names } from './state.js';
import { holdsCopy } from '../sharding/ownership.js';
import { advanceMigration, startMigration, startRebalance, type MigrationStart } from '../migration/catalog-rules.js';

export type CatalogCommand =
  | { type: 'bootstrap'; cluster_id: string; leader: string; nodes: Array<{ id: string; url: string }> }
  | { type: 'create_database'; db: string; if_not_exists?: boolean }
  | { type: 'delete_database'; db: string }
  | ({
      type: 'create_table';
      table: string;
      /** Writes create tables on the fly; a concurrent creation is then not an error. */
      if_not_exists?: boolean;
    } & Omit<TableDef, 'name'>)
  | { type: 'delete_table'; db: string; table: string }
  | { type: 'add_columns'; db: string; table: string; columns: ColumnSchema[] }
  | { type: 'define_shards'; shards: ShardDef[] }
  | { type: 'add_node'; id: string; url: string; status: NodeStatus }
  | { type: 'remove_node'; id: string }
  | { type: 'set_node_status'; id: string; status: NodeStatus }
  /** A shard starts moving from one owner to another node (migration/). `at`: RFC3339 ms. */
  | { type: 'start_migration'; migration: MigrationStart; at: string }
  | { type: 'advance_migration'; id: string; to: MigrationState; at: string; error?: string }
  /** Plans the moves (sharding/rebalance-plan.ts) against the state it applies to, and starts them. */
  | { type: 'start_rebalance'; id: string; strategy: RebalanceStrategy; node: string; at: string };

function overlaps(a: [bigint, bigint] | [number, number], b: [bigint, bigint] | [number, number]): boolean {
  return a[0] < b[1] && b[0] < a[1];
}

function table(state: CatalogState, db: string, name: string): TableDef {
  const d = state.databases[db];
  if (!d) throw new HttpError(404, `database not found: ${db}`);
  const t = d.tables[name];
  if (!t) throw new HttpError(404, `table not found: ${db}.${name}`);
  return t;
}

/** Mutates `state`; throws HttpError when the command is invalid against it. */
export function applyCommand(state: CatalogState, cmd: CatalogCommand): void {
  switch (cmd.type) {
    case 'bootstrap':
      if (state.version !== 0) throw new HttpError(409, 'catalog already bootstrapped');
      state.cluster_id = cmd.cluster_id;
      state.leader = cmd.leader;
      for (const n of cmd.nodes) state.nodes[n.id] = { id: n.id, url: n.url, status: 'Active' };
      break;
    case 'create_database':
      if (state.databases[cmd.db]) {
        if (cmd.if_not_exists) break;
        throw new HttpError(409, `attempted to create a resource that already exists: database ${cmd.db}`);
      }
      state.databases[cmd.db] = { name: cmd.db, tables: names() };
      break;
    case 'delete_database':
      if (!state.databases[cmd.db]) throw new HttpError(404, `database not found: ${cmd.db}`);
      delete state.databases[cmd.db];
      for (const s of Object.values(state.shards)) if (s.db === cmd.db) delete state.shards[s.id];
      break;
    case 'create_table': {
      const d = state.databases[cmd.db];
      if (!d) throw new HttpError(404, `database not found: ${cmd.db}`);
      if (d.tables[cmd.table]) {
        if (cmd.if_not_exists) break;
        throw new HttpError(409, `attempted to create a resource that already exists: table ${cmd.db}.${cmd.table}`);
      }
      const { type: _type, table: name, if_not_exists: _ine, ...def } = cmd;
      d.tables[cmd.table] = { ...def, name };
      break;
    }
    case 'delete_table':
      table(state, cmd.db, cmd.table);
      delete state.databases[cmd.db]!.tables[cmd.table];
      for (const s of Object.values(state.shards)) if (s.db === cmd.db && s.table === cmd.table) delete state.shards[s.id];
      break;
    case 'add_columns': {
      const t = table(state, cmd.db, cmd.table);
      for (const col of cmd.columns) {
        const have = t.columns.find((c) => c.name === col.name);
        if (!have) t.columns.push(col);
        else if (have.kind !== col.kind || have.type !== col.type) {
          throw new HttpError(400, `invalid column type for column '${col.name}', expected ${describe(have)}, got ${describe(col)}`);
        }
      }
      break;
    }
    case 'define_shards': {
      for (const s of cmd.shards) {
        table(state, s.db, s.table);
        if (state.shards[s.id]) throw new HttpError(409, `shard ${s.id} already exists`);
        for (const n of s.node_ids) if (!state.nodes[n]) throw new HttpError(400, `shard ${s.name ?? s.id}: unknown node '${n}'`);
        for (const other of [...Object.values(state.shards), ...cmd.shards]) {
          if (other === s || other.db !== s.db || other.table !== s.table) continue;
          if (overlaps(other.time_range, s.time_range) && overlaps(other.hash_range, s.hash_range)) {
            throw new HttpError(409, `shard ${s.name ?? s.id} overlaps shard ${other.name ?? other.id} of ${s.db}.${s.table}`);
          }
        }
      }
      for (const s of cmd.shards) {
        state.shards[s.id] = s;
        state.next_shard_id = Math.max(state.next_shard_id, s.id + 1);
      }
      break;
    }
    case 'add_node':
      if (state.nodes[cmd.id]) throw new HttpError(409, `node already exists: ${cmd.id}`);
      state.nodes[cmd.id] = { id: cmd.id, url: cmd.url, status: cmd.status };
      break;
    case 'remove_node': {
      if (!state.nodes[cmd.id]) throw new HttpError(404, `node not found: ${cmd.id}`);
      const owning = Object.values(state.shards).filter((s) => holdsCopy(s, cmd.id));
      if (owning.length > 0) {
        throw new HttpError(409, `node ${cmd.id} still owns shards ${owning.map((s) => s.id).join(', ')}; decommission it first`);
      }
      delete state.nodes[cmd.id];
      break;
    }
    case 'set_node_status':
      if (!state.nodes[cmd.id]) throw new HttpError(404, `node not found: ${cmd.id}`);
      if (!NODE_STATUSES.includes(cmd.status)) throw new HttpError(400, `unknown node status: ${cmd.status}`);
      state.nodes[cmd.id]!.status = cmd.status;
      break;
    case 'start_migration':
      startMigration(state, cmd.migration, cmd.at);
      break;
    case 'advance_migration':
      advanceMigration(state, cmd.id, cmd.to, cmd.at, cmd.error);
      break;
    case 'start_rebalance':
      startRebalance(state, cmd.id, cmd.strategy, cmd.node, cmd.at);
      break;
    default: {
      const never: never = cmd;
      throw new HttpError(400, `unknown catalog command ${JSON.stringify(never)}`);
    }
  }
  state.version += 1;
}

function describe(c: ColumnSchema): string {
  if (c.kind !== 'field') return c.kind === 'tag' ? 'Tag' : 'Time';
  return { float: 'Float', integer: 'Integer', uinteger: 'UInteger', string: 'String', boolean: 'Boolean' }[c.type!];
}
