// The seam between the catalog and how its changes are agreed on. The catalog (and everything
// that reads it) sees only this: submit a request, read the applied state, hear of each applied
// command. The implementation is Raft (raft/raft-node.ts); the seam keeps the callers (and
// tests) apart from how it elects and replicates.
import type { ColumnSchema } from '../types.js';
import type { CatalogCommand } from './commands.js';
import type { CatalogState, ShardDef } from './state.js';
import type { RaftStatus } from './raft/messages.js';

/** What a node asks of the leader: a command, or an intent the leader turns into commands. */
export type CatalogRequest =
  | { kind: 'command'; command: CatalogCommand }
  /**
   * Create the database and tables if missing and add missing columns (writes). All tables of
   * one write in one request: one round trip and one broadcast, however many tables.
   */
  | { kind: 'ensure_schema'; db: string; tables: Array<{ table: string; columns: ColumnSchema[] }> }
  /** Create shards so each (time, hash) of each table is covered. */
  | { kind: 'ensure_shards'; db: string; tables: Array<{ table: string; points: Array<[bigint, number]> }> }
  /** An explicit layout; the leader assigns the shard ids. */
  | { kind: 'define_layout'; shards: Array<Omit<ShardDef, 'id'>> };

/**
 * What a request did. Per-table requests (ensure_*) go on past a table whose change is invalid
 * (a type conflict, a limit): its error is in `rejected`, the other tables' changes commit.
 */
export interface ProposeResult {
  version: number;
  cluster_id: string;
  rejected: Record<string, string>;
}

export interface Consensus {
  /** The catalog as applied on this node. */
  readonly state: CatalogState;
  /** The node this one believes orders changes; undefined while none is known (an election). */
  readonly leader: string | undefined;
  /** Whether start() has finished: changes can be proposed and ordered. */
  readonly ready: boolean;
  /** Submits a request to the leader; resolves once this node has applied its outcome. */
  propose(req: CatalogRequest, traceId?: string): Promise<ProposeResult>;
  /** Role, term, commit index and members, for GET /api/v3/cluster/raft. */
  status(): RaftStatus;
  /** Called with every command this node applies, in order (replayed ones included). */
  onApplied(listener: (cmd: CatalogCommand) => void): void;
  /** Replays the durable log into the state. */
  open(): void;
  /** Joins the cluster's log (catch up, or found it); resolves once catalog requests can be served. */
  start(): Promise<void>;
  stop(): void;
  /** Catches up with the leader, or with `from` (any node that knows newer entries). */
  sync(from?: string): Promise<void>;
  /** A peer showed catalog version `version`: catch up if that is newer. */
  noteVersion(version: number, from?: string): Promise<void>;
}
