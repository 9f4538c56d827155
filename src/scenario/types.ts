// The scenario as the loader hands it to the engine: the YAML's shape (checked by
// schema/scenario.schema.json), plus where it came from.

export type Scalar = string | number | boolean;
export type TimeText = string | number;
export type NodeRefs = string | string[];

export interface NodeSpec {
  id: string;
  start?: boolean;
  args?: string[];
  env?: Record<string, string>;
}

export interface ClusterSpec {
  nodes?: Array<string | NodeSpec>;
  token?: string;
  log_format?: 'json' | 'pretty';
  ready_timeout?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Share one cluster with the run's other compatible reusing scenarios (src/scenario/reuse.ts). */
  reuse?: boolean;
}

export interface ShardSpec {
  time?: 'all' | [TimeText, TimeText];
  hash?: 'all' | [number | string, number | string];
  nodes: string[];
}

export interface TableSpec {
  tags?: string[];
  fields?: Record<string, string>;
  shard_keys?: string[];
  num_hash_partitions?: number;
  partition_duration?: string;
  replication_factor?: number;
  consistency?: 'one' | 'quorum' | 'all';
  shards?: Record<string, ShardSpec>;
}

export interface DatabaseSpec {
  tables?: Record<string, TableSpec>;
}

export interface PickSpec {
  db?: string;
  table: string;
  shard: string;
  tag: string;
  time?: TimeText;
  prefix?: string;
}

export type FieldValueSpec = Scalar | { int?: number | string; uint?: number | string };

export interface PointSpec {
  table: string;
  tags?: Record<string, Scalar>;
  fields: Record<string, FieldValueSpec>;
  time: TimeText;
}

export type RowSpec = Record<string, unknown> | string;

export interface RowExpect {
  status?: number;
  error?: string;
  /** The request gets no HTTP answer; a substring of the client-side error. */
  unreachable?: string;
  rows?: RowSpec[];
  ordered?: boolean;
  contains?: RowSpec[];
  excludes?: RowSpec[];
  count?: number;
  columns?: string[];
  golden?: string;
  tolerance?: number;
}

export interface GenerateSpec {
  table: string;
  count: number;
  start: TimeText;
  interval?: string;
  tags?: Record<string, string | string[]>;
  fields?: Record<string, 'float' | 'integer' | 'uinteger' | 'string' | 'boolean'>;
}

export interface WriteSpec {
  via?: string;
  db?: string;
  lines?: string | string[];
  file?: string;
  points?: Array<string | PointSpec>;
  generate?: GenerateSpec;
  precision?: 'auto' | 's' | 'ms' | 'us' | 'ns';
  accept_partial?: boolean;
  no_sync?: boolean;
  /** Overrides the table's write consistency for this request. */
  consistency?: 'one' | 'quorum' | 'all';
  expect?: { status?: number; error?: string; unreachable?: string; errors?: Array<{ line: number; message?: string }> };
}

export interface QuerySpec {
  via?: string;
  db?: string;
  sql: string;
  local?: boolean;
  format?: 'json' | 'jsonl' | 'csv';
  expect?: RowExpect;
}

export interface AdminSpec {
  via?: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  query?: Record<string, Scalar>;
  body?: unknown;
  expect?: { status?: number; body?: unknown; contains?: string };
}

export interface ExpectCatalogSpec {
  via?: string;
  nodes?: Array<Record<string, unknown>>;
  absent_nodes?: string[];
  db?: string;
  table?: string;
  /** A list (each shard by name or id), or conditions on some / every / no shard. */
  shards?: Array<Record<string, unknown>> | ShardQuantifiers;
  shard_count?: number;
  exact?: boolean;
  raft?: RaftExpect;
  migrations?: MigrationExpect[];
}

/** What `GET /api/v3/cluster/raft` on the `via` node must say (src/engine/steps/catalog-raft.ts). */
export interface RaftExpect {
  /** A node id, `any` (some leader is known) or `none`. */
  leader?: string;
  role?: 'leader' | 'follower' | 'candidate' | 'learner';
  term_at_least?: number | string;
  /** Its term is higher than this (an earlier check's `${steps.<id>.raft.term}`): an election happened since. */
  term_above?: number | string;
  /** Compared as a set. */
  voters?: string[];
  /** Each matched by id, other keys partially. */
  members?: Array<Record<string, unknown>>;
}

/** A shard matcher: keys of the shard partially (node_ids as a set), plus inclusion tests on node_ids. */
export type ShardMatcher = Record<string, unknown> & { node_ids_include?: string[]; node_ids_exclude?: string[] };

export interface ShardQuantifiers { some?: ShardMatcher; every?: ShardMatcher; none?: ShardMatcher }

/** Some migration matches the keys partially; `states` is its history's states, in order. */
export type MigrationExpect = Record<string, unknown> & { states?: string[] };

export const MIGRATION_STATES = ['MigratingSnapshot', 'MigratingWAL', 'AwaitingCutover', 'Stable', 'Cleaned', 'Failed', 'RolledBack'] as const;
export type MigrationState = (typeof MIGRATION_STATES)[number];
export const REBALANCE_STATES = ['Running', 'Done', 'Failed'] as const;

/** await: a migration (by id, or the latest of a shard) reaching a state or one after it. */
export interface AwaitMigrationSpec { via?: string; id?: string | number; shard_id?: string | number; state: MigrationState }

/** await: a rebalance reaching a state. */
export interface AwaitRebalanceSpec { via?: string; id: string | number; state: (typeof REBALANCE_STATES)[number] }

export interface ConsistencySpec {
  nodes?: 'all' | string[];
  db?: string;
  sql?: string;
  local?: boolean;
  ordered?: boolean;
  shards?: string[];
  expect?: RowExpect;
}

/** `{<kind>: value}`, one kind of src/faults/index.ts; each kind's file owns its value's shape. */
export type FaultSpec = Record<string, unknown>;

export interface AwaitSpec {
  timeout?: string;
  interval?: string;
  query?: QuerySpec;
  admin?: AdminSpec;
  expect_catalog?: ExpectCatalogSpec;
  consistency?: ConsistencySpec;
  healthy?: NodeRefs;
  migration?: AwaitMigrationSpec;
  rebalance?: AwaitRebalanceSpec;
}

/** Options of one fault on a nemesis menu (src/engine/nemesis/menu.ts says which apply to which kind). */
export interface NemesisFaultOptions {
  weight?: number;
  targets?: NemesisTargets;
  delay?: string;
  jitter?: string;
  bytes_per_second?: number;
  offset?: string | number;
  drift?: string;
  mode?: 'reject' | 'drop';
  shape?: 'isolate' | 'halves' | 'ring' | 'bridge';
  /** move_shard: the table whose shards it moves (`table` or `db.table`). */
  table?: string;
  /** move_shard: how long a move may take to end, from its request. */
  timeout?: string;
}

/**
 * Nodes drawn from ids (random, minority, majority, all), or read from the cluster when the
 * round starts: the Raft catalog leader, the primary (first owner) of a random shard of a table.
 */
export type NemesisTargets = 'random' | 'minority' | 'majority' | 'all' | 'leader' | { primary: string };

/** A fixed duration, or a random one between min and max. */
export type DurationRange = string | { min: string; max: string };

export interface NemesisSpec {
  /** The menu: a kind, or {kind: options}. */
  faults: Array<string | Record<string, NemesisFaultOptions>>;
  duration: string;
  interval?: DurationRange;
  hold?: DurationRange;
  targets?: NemesisTargets;
  /** The nodes it may hit (default: every node the cluster started with). */
  nodes?: string[];
  heal_between?: boolean;
}

export interface AddNodeSpec { id: string; via?: string; register?: boolean }

export type WorkloadKind = 'set' | 'overwrite' | 'read' | 'mix';

/** Concurrent clients writing and reading a table at a bounded rate (src/engine/workload/). */
export interface WorkloadSpec {
  db?: string;
  table: string;
  clients?: number;
  /** Operations per second over all clients, or `unlimited`. */
  rate?: number | 'unlimited';
  duration?: string;
  ops?: number;
  kind: WorkloadKind;
  /** For `mix`: how often each kind of operation is chosen. */
  weights?: { set?: number; overwrite?: number; read?: number };
  /** How many distinct tag values (series) the writes use. */
  keys?: number;
  consistency?: 'one' | 'quorum' | 'all';
  /** Nodes the clients pick from (default: the nodes running when the workload starts). */
  nodes?: string[];
  /** Reads answer from the picked node's own data only. */
  local?: boolean;
  /** Each operation's own deadline: past it, a write is info and a read fail. */
  op_timeout?: string;
  /** How long the final phase waits for the nodes to agree before its final reads. */
  final_timeout?: string;
  /** Time of the first point written (default: when the workload starts). */
  start?: TimeText;
}

/** Bounds on how long a step's own work takes, measured by the engine. */
export interface ExpectDuration { min?: string; max?: string }

export interface Step {
  name?: string;
  id?: string;
  timeout?: string;
  expect_duration?: ExpectDuration;
  write?: WriteSpec;
  query?: QuerySpec;
  admin?: AdminSpec;
  expect_catalog?: ExpectCatalogSpec;
  consistency?: ConsistencySpec;
  fault?: FaultSpec;
  wait?: string;
  await?: AwaitSpec;
  parallel?: Array<Step | Step[]>;
  add_node?: string | AddNodeSpec;
  workload?: WorkloadSpec;
  nemesis?: NemesisSpec;
}

export const STEP_KINDS = [
  'write', 'query', 'admin', 'expect_catalog', 'consistency', 'fault', 'wait', 'await', 'parallel', 'add_node', 'workload', 'nemesis',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const AWAIT_CONDITIONS = ['query', 'admin', 'expect_catalog', 'consistency', 'healthy', 'migration', 'rebalance'] as const;

export interface ScenarioDoc {
  name: string;
  description?: string;
  timeout?: string;
  cluster?: ClusterSpec;
  vars?: Record<string, Scalar>;
  anchors?: Record<string, TimeText>;
  databases?: Record<string, DatabaseSpec>;
  picks?: Record<string, PickSpec>;
  points?: Record<string, PointSpec>;
  steps: Step[];
  /** History checkers run after the steps (src/checkers, docs/history.md). */
  check?: string[];
  /** Run once per combination of these values (src/scenario/matrix.ts). */
  matrix?: MatrixSpec;
}

export const MATRIX_KEYS = ['nodes', 'replication_factor', 'num_hash_partitions'] as const;
export type MatrixSpec = Partial<Record<(typeof MATRIX_KEYS)[number], number[]>>;

/** A loaded, valid scenario. */
export interface Scenario {
  /** Path as the user gave it (used in messages). */
  file: string;
  /** Absolute directory of the file: golden and line-protocol files are relative to it. */
  dir: string;
  doc: ScenarioDoc;
  /** file:line:col of a JSON path into the document, for runtime messages. */
  where(path: Array<string | number>): string;
  /** One combination of the file's `matrix` (src/scenario/matrix.ts): its values, as ` [nodes=3, replication_factor=2]`. */
  variant?: string;
  /** Why this combination cannot run (e.g. replication_factor above its node count): it is reported skipped. */
  skip?: string;
}

export function stepKind(step: Step): StepKind | undefined {
  return STEP_KINDS.find((k) => (step as Record<string, unknown>)[k] !== undefined);
}

/** Normalized node list of a topology; the default is three nodes a, b, c. */
export function topologyNodes(cluster: ClusterSpec | undefined): NodeSpec[] {
  const raw = cluster?.nodes ?? ['a', 'b', 'c'];
  return raw.map((n) => (typeof n === 'string' ? { id: n } : n));
}
