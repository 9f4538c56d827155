// What a peer may send to the /internal endpoints, checked before anything acts on it. A peer
// is trusted to be honest, not to be well-formed: a garbled body must be a 400, never a 500,
// a catalog entry that breaks later readers, or a WAL record that replay cannot apply.
import { HttpError } from '../../util/errors.js';
import {
  isJsonObject,
  optionalBoolean,
  optionalString,
  requiredInteger,
  requiredList,
  requiredObject,
  requiredString,
  typeName,
  type JsonObject,
} from '../json-body.js';
import type { CatalogCommand } from '../../catalog/commands.js';
import type { AppendRequest, RaftEntry, SnapshotRequest, VoteRequest } from '../../catalog/raft/messages.js';
import type { CatalogRequest } from '../../catalog/consensus.js';
import { CONSISTENCY_LEVELS, MIGRATION_STATES, NODE_STATUSES, REBALANCE_STRATEGIES, cloneCatalog, type CatalogState, type MigrationState, type ShardDef } from '../../catalog/state.js';
import type { MigrationStart } from '../../migration/catalog-rules.js';
import type { ColumnSchema, FieldType, Point } from '../../types.js';
import type { WalEntry } from '../../storage/wal.js';
import { decodePoint, type EncodedPoint } from '../../storage/point-codec.js';
import type { TableScan } from '../../query/planner.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const FIELD_CODES: FieldType[] = ['float', 'integer', 'uinteger', 'string', 'boolean'];
const COLUMN_KINDS = ['time', 'tag', 'field'];
const SCAN_MODES = ['raw', 'partial', 'distinct'];

function bad(where: string, what: string): HttpError {
  return new HttpError(400, `${where}: ${what}`);
}

function list<T>(o: JsonObject, name: string, where: string, item: (v: unknown, where: string) => T): T[] {
  return requiredList(o, name, where).map((v, i) => item(v, `${where}.${name}[${i}]`));
}

function object(v: unknown, where: string): JsonObject {
  if (!isJsonObject(v)) throw bad(where, `must be an object, not ${typeName(v)}`);
  return v;
}

function oneOf<T extends string>(o: JsonObject, name: string, where: string, allowed: readonly T[]): T {
  const v = requiredString(o, name, where);
  if (!allowed.includes(v as T)) throw bad(`${where}.${name}`, `must be one of ${allowed.join(', ')}, not '${v}'`);
  return v as T;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw bad(where, `must be a string, not ${typeName(v)}`);
  return v;
}

function int64(v: unknown, where: string): bigint {
  if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) throw bad(where, 'must be a 64-bit integer ({"$n": "..."})');
  return v;
}

function pair<T>(o: JsonObject, name: string, where: string, item: (v: unknown, where: string) => T): [T, T] {
  const v = list(o, name, where, item);
  if (v.length !== 2) throw bad(`${where}.${name}`, 'must be [start, end)');
  return [v[0]!, v[1]!];
}

const hashBound = (v: unknown, where: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** 32) throw bad(where, 'must be an integer in [0, 2^32]');
  return v;
};

function column(v: unknown, where: string): ColumnSchema {
  const o = object(v, where);
  const kind = oneOf(o, 'kind', where, COLUMN_KINDS) as ColumnSchema['kind'];
  const c: ColumnSchema = { name: requiredString(o, 'name', where), kind };
  if (kind === 'field') c.type = oneOf(o, 'type', where, FIELD_CODES);
  return c;
}

function shard(v: unknown, where: string): ShardDef {
  const o = object(v, where);
  const name = optionalString(o, 'name', where);
  return {
    id: requiredInteger(o, 'id', where),
    ...(name !== undefined ? { name } : {}),
    db: requiredString(o, 'db', where),
    table: requiredString(o, 'table', where),
    time_range: pair(o, 'time_range', where, int64),
    hash_range: pair(o, 'hash_range', where, hashBound),
    node_ids: list(o, 'node_ids', where, str),
    migration_status: oneOf(o, 'migration_status', where, MIGRATION_STATES),
    ...optionalNode(o, 'migrating_to', where),
    ...optionalNode(o, 'migrating_from', where),
  };
}

function optionalNode(o: JsonObject, name: 'migrating_to' | 'migrating_from', where: string): Partial<ShardDef> {
  const v = optionalString(o, name, where);
  return v === undefined ? {} : { [name]: v };
}

const MIGRATION_END_STATES: readonly MigrationState[] = [...MIGRATION_STATES, 'Failed', 'RolledBack'];

function migrationStart(v: unknown, where: string): MigrationStart {
  const o = object(v, where);
  const rb = optionalString(o, 'rebalance_id', where);
  return {
    id: requiredString(o, 'id', where),
    shard_id: requiredInteger(o, 'shard_id', where),
    source: requiredString(o, 'source', where),
    target: requiredString(o, 'target', where),
    ...(rb !== undefined ? { rebalance_id: rb } : {}),
  };
}

function node(v: unknown, where: string): { id: string; url: string } {
  const o = object(v, where);
  return { id: requiredString(o, 'id', where), url: requiredString(o, 'url', where) };
}

/** One catalog command, field by field (what applyCommand and every reader of the state rely on). */
export function readCommand(v: unknown, where = 'command'): CatalogCommand {
  const o = object(v, where);
  const type = requiredString(o, 'type', where);
  const s = (name: string) => requiredString(o, name, where);
  const flag = () => optionalBoolean(o, 'if_not_exists', where);
  switch (type) {
    case 'bootstrap':
      return { type, cluster_id: s('cluster_id'), leader: s('leader'), nodes: list(o, 'nodes', where, node) };
    case 'create_database':
      return { type, db: s('db'), if_not_exists: flag() };
    case 'delete_database':
      return { type, db: s('db') };
    case 'create_table':
      return {
        type,
        db: s('db'),
        table: s('table'),
        columns: list(o, 'columns', where, column),
        shard_keys: list(o, 'shard_keys', where, str),
        num_hash_partitions: requiredInteger(o, 'num_hash_partitions', where),
        partition_duration: int64(o.partition_duration, `${where}.partition_duration`),
        replication_factor: requiredInteger(o, 'replication_factor', where),
        consistency: oneOf(o, 'consistency', where, CONSISTENCY_LEVELS),
        if_not_exists: flag(),
      };
    case 'delete_table':
      return { type, db: s('db'), table: s('table') };
    case 'add_columns':
      return { type, db: s('db'), table: s('table'), columns: list(o, 'columns', where, column) };
    case 'define_shards':
      return { type, shards: list(o, 'shards', where, shard) };
    case 'add_node':
      return { type, id: s('id'), url: s('url'), status: oneOf(o, 'status', where, NODE_STATUSES) };
    case 'remove_node':
      return { type, id: s('id') };
    case 'set_node_status':
      return { type, id: s('id'), status: oneOf(o, 'status', where, NODE_STATUSES) };
    case 'start_migration':
      return { type, migration: migrationStart(o.migration, `${where}.migration`), at: s('at') };
    case 'advance_migration': {
      const error = optionalString(o, 'error', where);
      return { type, id: s('id'), to: oneOf(o, 'to', where, MIGRATION_END_STATES), at: s('at'), ...(error !== undefined ? { error } : {}) };
    }
    case 'start_rebalance':
      return { type, id: s('id'), strategy: oneOf(o, 'strategy', where, REBALANCE_STRATEGIES), node: s('node'), at: s('at') };
    default:
      throw bad(`${where}.type`, `unknown catalog command '${type}'`);
  }
}

/** Body of POST /internal/catalog/append: a page of the leader's log. */
function raftEntry(v: unknown, where: string): RaftEntry {
  const e = object(v, where);
  const entry: RaftEntry = { index: requiredInteger(e, 'index', where), term: requiredInteger(e, 'term', where) };
  if (e.command !== undefined) entry.command = readCommand(e.command, `${where}.command`);
  if (e.voters !== undefined) entry.voters = list(e, 'voters', where, str);
  return entry;
}

/** Body of POST /internal/catalog/vote. */
export function readVoteRequest(o: JsonObject): VoteRequest {
  return {
    term: requiredInteger(o, 'term'),
    candidate_id: requiredString(o, 'candidate_id'),
    last_log_index: requiredInteger(o, 'last_log_index'),
    last_log_term: requiredInteger(o, 'last_log_term'),
    pre_vote: optionalBoolean(o, 'pre_vote') ?? false,
    cluster_id: optionalString(o, 'cluster_id') ?? '',
  };
}

/** Body of POST /internal/catalog/append. */
export function readAppendRequest(o: JsonObject): AppendRequest {
  return {
    term: requiredInteger(o, 'term'),
    leader_id: requiredString(o, 'leader_id'),
    prev_log_index: requiredInteger(o, 'prev_log_index'),
    prev_log_term: requiredInteger(o, 'prev_log_term'),
    entries: list(o, 'entries', 'append', raftEntry),
    leader_commit: requiredInteger(o, 'leader_commit'),
    cluster_id: optionalString(o, 'cluster_id') ?? '',
  };
}

/** Body of POST /internal/catalog/snapshot: the catalog state is the leader's, taken whole. */
export function readSnapshotRequest(o: JsonObject): SnapshotRequest {
  const snap = requiredObject(o, 'snapshot');
  const state = requiredObject(snap, 'state', 'snapshot');
  for (const k of ['nodes', 'databases', 'shards']) if (!isJsonObject(state[k])) throw bad(`snapshot.state.${k}`, 'must be an object');
  // Absent in a snapshot from a node that predates migrations (cloneCatalog fills them in).
  for (const k of ['migrations', 'rebalances']) if (state[k] !== undefined && !isJsonObject(state[k])) throw bad(`snapshot.state.${k}`, 'must be an object');
  requiredInteger(state, 'version', 'snapshot.state');
  return {
    term: requiredInteger(o, 'term'),
    leader_id: requiredString(o, 'leader_id'),
    cluster_id: optionalString(o, 'cluster_id') ?? '',
    snapshot: {
      index: requiredInteger(snap, 'index', 'snapshot'),
      term: requiredInteger(snap, 'term', 'snapshot'),
      voters: list(snap, 'voters', 'snapshot', str),
      state: cloneCatalog(state as unknown as CatalogState),
    },
  };
}

/** Body of POST /internal/catalog/propose. */
export function readCatalogRequest(o: JsonObject): CatalogRequest {
  const kind = requiredString(o, 'kind');
  const where = 'request';
  switch (kind) {
    case 'command': {
      const command = readCommand(o.command);
      // Only the leader founds a catalog, in start(); a peer never asks for it.
      if (command.type === 'bootstrap') throw bad('command.type', 'bootstrap cannot be proposed');
      return { kind, command };
    }
    case 'ensure_schema':
      return {
        kind,
        db: requiredString(o, 'db'),
        tables: list(o, 'tables', where, (v, w) => {
          const t = object(v, w);
          return { table: requiredString(t, 'table', w), columns: list(t, 'columns', w, column) };
        }),
      };
    case 'ensure_shards':
      return {
        kind,
        db: requiredString(o, 'db'),
        tables: list(o, 'tables', where, (v, w) => {
          const t = object(v, w);
          return {
            table: requiredString(t, 'table', w),
            points: list(t, 'points', w, (p, pw) => {
              if (!Array.isArray(p) || p.length !== 2) throw bad(pw, 'must be [time, hash]');
              return [int64(p[0], `${pw}[0]`), hashBound(p[1], `${pw}[1]`)] as [bigint, number];
            }),
          };
        }),
      };
    case 'define_layout':
      return {
        kind,
        shards: list(o, 'shards', where, (v, w) => {
          const { id: _id, ...rest } = shard({ ...object(v, w), id: 0 }, w);
          return rest;
        }),
      };
    default:
      throw bad('kind', `unknown catalog request kind '${kind}'`);
  }
}

/** One encoded point, decoded; every value checked against its type code. */
function point(v: unknown, where: string): Point {
  if (!Array.isArray(v) || v.length !== 4) throw bad(where, 'must be [measurement, tags, fields, time]');
  const [measurement, tags, fields, time] = v as unknown[];
  str(measurement, `${where}[0]`);
  const t = object(tags, `${where}[1]`);
  for (const k in t) str(t[k], `${where}[1].${k}`);
  if (!Array.isArray(fields) || fields.length % 3 !== 0) throw bad(`${where}[2]`, 'must be [name, type code, value, ...]');
  for (let i = 0; i < fields.length; i += 3) {
    const w = `${where}[2][${i}]`;
    str(fields[i], w);
    const type = FIELD_CODES[fields[i + 1] as number];
    if (typeof fields[i + 1] !== 'number' || !type) throw bad(w, `type code must be 0-4, not ${JSON.stringify(fields[i + 1])}`);
    const value = fields[i + 2];
    const ok =
      type === 'float' ? typeof value === 'number' && Number.isFinite(value)
      : type === 'string' ? typeof value === 'string'
      : type === 'boolean' ? typeof value === 'boolean'
      : typeof value === 'string' && /^-?\d{1,20}$/.test(value) && inRange(BigInt(value), type === 'integer' ? INT64_MIN : 0n, type === 'integer' ? INT64_MAX : UINT64_MAX);
    if (!ok) throw bad(w, `value ${JSON.stringify(value)} is not a valid ${type}`);
  }
  if (typeof time !== 'string' || !/^-?\d{1,19}$/.test(time) || !inRange(BigInt(time), INT64_MIN, INT64_MAX)) {
    throw bad(`${where}[3]`, 'time must be a decimal 64-bit integer string');
  }
  return decodePoint(v as EncodedPoint);
}

function inRange(v: bigint, lo: bigint, hi: bigint): boolean {
  return v >= lo && v <= hi;
}

/** Body of POST /internal/write: replica entries, with their points decoded once here. */
export function readReplicaWrite(o: JsonObject): { entries: WalEntry[]; decoded: Point[][]; sync: boolean } {
  const decoded: Point[][] = [];
  const entries = list(o, 'entries', 'write', (v, where) => {
    const e = object(v, where);
    const ver = e.ver;
    if (typeof ver !== 'number' || !Number.isFinite(ver)) throw bad(`${where}.ver`, 'must be a number');
    const entry: WalEntry = {
      db: requiredString(e, 'db', where),
      table: requiredString(e, 'table', where),
      shard: requiredInteger(e, 'shard', where),
      ver,
      points: requiredList(e, 'points', where) as EncodedPoint[],
    };
    decoded.push(entry.points.map((p, i) => point(p, `${where}.points[${i}]`)));
    return entry;
  });
  return { entries, decoded, sync: optionalBoolean(o, 'sync') ?? true };
}

/** Body of POST /internal/scan: a pushed-down table scan and the shards to run it on. */
export function readScanRequest(o: JsonObject): { scan: TableScan; shards: number[] | null; timeout_ms?: number } {
  const where = 'scan';
  const s = requiredObject(o, 'scan');
  const p = requiredObject(s, 'pruning', where);
  const tagEquals = requiredObject(p, 'tagEquals', `${where}.pruning`);
  for (const k in tagEquals) list(tagEquals, k, `${where}.pruning.tagEquals`, str);
  const bound = (name: string) => (p[name] === undefined ? undefined : int64(p[name], `${where}.pruning.${name}`));
  const scan: TableScan = {
    db: requiredString(s, 'db', where),
    table: requiredString(s, 'table', where),
    relation: requiredString(s, 'relation', where),
    pruning: { tagEquals: tagEquals as Record<string, string[]>, timeMin: bound('timeMin'), timeMax: bound('timeMax'), empty: optionalBoolean(p, 'empty') },
    scanSql: requiredString(s, 'scanSql', where),
    columns: list(s, 'columns', where, str),
    mode: oneOf(s, 'mode', where, SCAN_MODES) as TableScan['mode'],
  };
  const shards =
    o.shards === null || o.shards === undefined
      ? null
      : list(o, 'shards', 'request', (v, w) => {
          if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(w, 'must be a shard id');
          return v;
        });
  const timeout = o.timeout_ms;
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0)) throw bad('request.timeout_ms', 'must be a positive number of milliseconds');
  return { scan, shards, ...(timeout !== undefined ? { timeout_ms: timeout } : {}) };
}
