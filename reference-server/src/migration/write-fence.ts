// The write fence of a migration's cutover. While a shard is AwaitingCutover, writes to it wait
// (bounded, never failed) so the target's final catch-up meets a shard that holds still and its
// digests can equal the source's. A write that waited the whole bound goes on anyway: it still
// reaches both source and target (ownership.ts), so nothing is lost, the cutover just waits (up
// to its deadline, coordinator.ts CUTOVER_DEADLINE_MS, then it rolls back and the fence lifts).
import type { CatalogState, ShardDef } from '../catalog/state.js';

export const FENCE_WAIT_MS = 3000;
const POLL_MS = 10;

export function fenced(shard: ShardDef): boolean {
  return shard.migration_status === 'AwaitingCutover';
}

/** Resolves once none of `shardIds` is fenced in the catalog (or after `timeoutMs`); true if the fence lifted. */
export async function waitForFence(catalog: () => CatalogState, shardIds: number[], timeoutMs = FENCE_WAIT_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shards = catalog().shards;
    if (!shardIds.some((id) => shards[id] && fenced(shards[id]!))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
