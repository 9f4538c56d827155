// The catalog: cluster membership, databases, table schemas and sharding, and shard layouts.
// It changes only through commands (catalog/commands.ts) applied in the same order on every node.
import type { ColumnSchema } from '../types.js';

export const NODE_STATUSES = ['Joining', 'Active', 'Inactive', 'Draining', 'Down', 'Decommissioned'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export const CONSISTENCY_LEVELS = ['one', 'quorum', 'all'] as const;
export type Consistency = (typeof CONSISTENCY_LEVELS)[number];

export const MIGRATION_STATES = ['MigratingSnapshot', 'MigratingWAL', 'AwaitingCutover', 'Stable', 'Cleaned'] as const;
export type MigrationStatus = (typeof MIGRATION_STATES)[number];
/** A migration's state: one of the steps above, or how it ended without finishing. */
export type MigrationState = MigrationStatus | 'Failed' | 'RolledBack';

export interface MigrationDef {
  id: string;
  shard_id: number;
  db: string;
  table: string;
  source: string;
  target: string;
  state: MigrationState;
  /** Each state entered, with when (RFC3339, ms), in order. */
  history: Array<{ state: MigrationState; at: string }>;
  rebalance_id?: string;
  error?: string;
}

export const REBALANCE_STRATEGIES = ['add_node', 'decommission_node'] as const;
export type RebalanceStrategy = (typeof REBALANCE_STRATEGIES)[number];

export interface ShardMove {
  shard_id: number;
  from: string;
  to: string;
}

export interface RebalanceDef {
  id: string;
  strategy: RebalanceStrategy;
  /** The node added or decommissioned. */
  node: string;
  state: 'Running' | 'Done' | 'Failed';
  moves: ShardMove[];
  migration_ids: string[];
  error?: string;
}

export interface NodeDef {
  id: string;
  url: string;
  status: NodeStatus;
}

export interface TableDef {
  db: string;
  name: string;
  /** time first, then tags and fields in the order they were added. */
  columns: ColumnSchema[];
  shard_keys: string[];
  num_hash_partitions: number;
  /** Nanoseconds. */
  partition_duration: bigint;
  replication_factor: number;
  consistency: Consistency;
}

export interface DatabaseDef {
  name: string;
  tables: Record<string, TableDef>;
}

export interface ShardDef {
  id: number;
  name?: string;
  db: string;
  table: string;
  /** [start, end) in ns. */
  time_range: [bigint, bigint];
  /** [start, end) within [0, 2^32). */
  hash_range: [number, number];
  node_ids: string[];
  migration_status: MigrationStatus;
  /** While a migration copies the shard (MigratingSnapshot .. AwaitingCutover): its target. */
  migrating_to?: string;
  /** After cutover until the source's copy is deleted (Stable): the former owner. */
  migrating_from?: string;
}

export interface CatalogState {
  /** Index of the last applied command; 0 = empty catalog. */
  version: number;
  /** Random id chosen at bootstrap: catalogs of different clusters never mix. */
  cluster_id: string;
  /** The node that founded the catalog. Who orders changes now is the Raft leader (Catalog.leaderId). */
  leader: string;
  nodes: Record<string, NodeDef>;
  databases: Record<string, DatabaseDef>;
  shards: Record<number, ShardDef>;
  next_shard_id: number;
  /** Shard migrations by id, running and finished (see migration/). */
  migrations: Record<string, MigrationDef>;
  rebalances: Record<string, RebalanceDef>;
}

export function emptyCatalog(): CatalogState {
  return { version: 0, cluster_id: '', leader: '', nodes: names(), databases: names(), shards: names(), next_shard_id: 1, migrations: names(), rebalances: names() };
}

/**
 * A record keyed by user-given names, without Object.prototype: a database, table or node called
 * 'constructor', 'toString' or '__proto__' is then a plain key, not an inherited member.
 */
export function names<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A deep copy that keeps the name records prototype-free (structuredClone alone does not). */
export function cloneCatalog(state: CatalogState): CatalogState {
  const copy = structuredClone(state);
  copy.nodes = Object.assign(names(), copy.nodes);
  copy.shards = Object.assign(names(), copy.shards);
  copy.databases = Object.assign(names(), copy.databases);
  copy.migrations = Object.assign(names(), copy.migrations);
  copy.rebalances = Object.assign(names(), copy.rebalances);
  for (const db of Object.values(copy.databases)) db.tables = Object.assign(names(), db.tables);
  return copy;
}

export const DEFAULT_PARTITION_DURATION = 86_400n * 1_000_000_000n;

export function tableShards(state: CatalogState, db: string, table: string): ShardDef[] {
  return Object.values(state.shards).filter((s) => s.db === db && s.table === table);
}

/**
 * A copy of `state` that the commands writes ask for (create_database, create_table,
 * add_columns, define_shards) can be applied to without changing `state`: those only add map
 * keys, push onto the `columns` of the tables in `touched` and set counters, so only the
 * containers on that path are copied. Much cheaper than structuredClone on a catalog with
 * many wide tables, which every schema change of a write would otherwise pay for.
 */
export function forkForWrites(state: CatalogState, db: string, touched: readonly string[]): CatalogState {
  // Copied into prototype-free records, like cloneCatalog: a table called 'constructor' stays a key.
  const databases = Object.assign(names<DatabaseDef>(), state.databases);
  const d = databases[db];
  if (d) {
    const tables = Object.assign(names<DatabaseDef['tables'][string]>(), d.tables);
    for (const name of touched) {
      const t = tables[name];
      if (t) tables[name] = { ...t, columns: [...t.columns] };
    }
    databases[db] = { ...d, tables };
  }
  return { ...state, databases, shards: Object.assign(names<ShardDef>(), state.shards) };
}
