// What the HTTP layer may use of a node: the routes and the server depend on this, not on
// ReferenceNode, so http/ does not import node.ts and a route can be driven by a test double.
import type { NodeConfig } from '../config.js';
import type { Logger } from '../util/log.js';
import type { Metrics } from '../util/metrics.js';
import type { Gate } from '../util/gate.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ShardStore } from '../storage/store.js';
import type { WalEntry } from '../storage/wal.js';
import type { WriteCoordinator } from '../write/coordinator.js';
import type { DistributedQuery } from '../cluster/distributed-query.js';
import type { PeerResponse } from '../cluster/peer-client.js';
import type { Point } from '../types.js';
import type { ShardCopy } from '../migration/copy.js';

type Counter = ReturnType<Metrics['counter']>;

export interface NodeApi {
  readonly config: Pick<NodeConfig, 'nodeId' | 'token' | 'maxBodyBytes' | 'queryLimits'>;
  readonly log: Logger;
  readonly metrics: Pick<Metrics, 'render'>;
  readonly count: Record<'writes' | 'lines' | 'lineErrors' | 'replicaApplied' | 'queries' | 'http', Counter>;
  readonly catalog: Catalog;
  readonly store: Pick<ShardStore, 'cachedDigest' | 'digestOlderThan' | 'exportRows' | 'exportRaw'>;
  readonly writer: Pick<WriteCoordinator, 'write'>;
  /** A migration's copy on this node: pull a shard's rows from a peer, drop a copy no longer owned. */
  readonly shardCopy: Pick<ShardCopy, 'pull' | 'drop' | 'count'>;
  readonly query: Pick<DistributedQuery, 'query' | 'scanLocal'>;
  /** True once stop() began: requests are refused. */
  readonly shuttingDown: boolean;
  /** Opens when the node has started; until then client requests wait. */
  readonly started: Pick<Gate, 'isOpen' | 'wait'>;
  /** What start() is busy with, for the 503 a starting node answers. */
  readonly startPhase: string;
  /** Resolves once this node has compared its shards with co-owners (or after `timeoutMs`). */
  waitCaughtUp(timeoutMs?: number): Promise<void>;
  /** Durable local apply of replica entries (WAL, then store). */
  applyLocal(entries: WalEntry[], sync: boolean, decoded?: Point[][]): void;
  callPeer(nodeId: string, method: string, path: string, body?: string, traceId?: string, timeoutMs?: number): Promise<PeerResponse>;
}
