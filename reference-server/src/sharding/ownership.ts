// Which nodes take a shard's writes and which serve its reads. Today both are the shard's
// `node_ids`; a live migration will make them differ (writes to source and target while the
// target catches up, reads from the source until cutover). Every reader of shard ownership
// asks here, so that change is made in this one file.
import type { ShardDef } from '../catalog/state.js';

/** Nodes a write to the shard must be sent to; its consistency level counts acks among them. */
export function writeNodes(shard: ShardDef): readonly string[] {
  return shard.node_ids;
}

/** Nodes that may answer a read of the shard, in the catalog's order. */
export function readNodes(shard: ShardDef): readonly string[] {
  return shard.node_ids;
}

/**
 * Nodes that hold (or are receiving) a copy of the shard: those that compare and repair it,
 * report its checksum, and keep a node from being removed. Writers first, then readers.
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
