// Which nodes take a shard's writes and which serve its reads. For a Stable shard both are its
// `node_ids`. A live migration (migration/states.ts) makes them differ: while the target copies
// the shard it takes writes too (`migrating_to`), but reads stay on node_ids until cutover; after
// cutover the former owner (`migrating_from`) still takes writes until its copy is deleted, so a
// node that has not yet applied the cutover reads nothing stale from it. Every reader of shard
// ownership asks here.
import type { ShardDef } from '../catalog/state.js';

/** Nodes a write to the shard must be sent to (its owners first, then a migration's extra copy). */
export function writeNodes(shard: ShardDef): readonly string[] {
  const extra = shard.migrating_to ?? shard.migrating_from;
  return extra === undefined || shard.node_ids.includes(extra) ? shard.node_ids : [...shard.node_ids, extra];
}

/** Nodes that may answer a read of the shard, in the catalog's order. */
export function readNodes(shard: ShardDef): readonly string[] {
  return shard.node_ids;
}

/**
 * Nodes whose acks count toward a write's consistency level: the real owners only. A write is
 * never acknowledged on the strength of a migration target (it may still be rolled back) or of
 * a former owner (its copy is about to be deleted).
 */
export function ackNodes(shard: ShardDef): readonly string[] {
  return shard.node_ids;
}

/** Nodes that compare and repair the shard among themselves (anti-entropy): the owners. A
 * migration target is brought up to date by the migration itself, not by repair passes that
 * would copy the whole shard a second time. */
export function repairNodes(shard: ShardDef): readonly string[] {
  return shard.node_ids;
}

/**
 * Nodes that hold (or are receiving) a copy of the shard: those that report its checksum, and
 * keep a node from being removed. Writers first, then readers.
 */
export function copyNodes(shard: ShardDef): readonly string[] {
  const w = writeNodes(shard);
  const r = readNodes(shard);
  return w === r ? w : [...new Set([...w, ...r])];
}

/** Whether `nodeId` holds (or is receiving) a copy of the shard. */
export function holdsCopy(shard: ShardDef, nodeId: string): boolean {
  return copyNodes(shard).includes(nodeId);
}
