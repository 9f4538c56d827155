// Where new shards go. When a write lands in a time partition no shard covers, the catalog
// leader creates `num_hash_partitions` shards for it (clipped so they never overlap an explicit
// layout) and assigns owners deterministically: active nodes sorted by id, replication_factor
// consecutive nodes starting at (partition index + hash partition index) mod node count.
import { HttpError } from '../util/errors.js';
import { formatRfc3339 } from '../util/time.js';
import { HASH_SPACE } from './hash.js';
import type { CatalogState, ShardDef, TableDef } from '../catalog/state.js';
import { tableShards } from '../catalog/state.js';

export function partitionStart(time: bigint, duration: bigint): bigint {
  const q = time / duration;
  const floor = time < 0n && q * duration !== time ? q - 1n : q;
  return floor * duration;
}

/** Equal split of the hash space into n ranges. */
export function hashRanges(n: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) out.push([Math.floor((i * HASH_SPACE) / n), Math.floor(((i + 1) * HASH_SPACE) / n)]);
  return out;
}

/** Nodes that receive new shards: Active ones, sorted by id. */
export function placementNodes(state: CatalogState): string[] {
  return Object.values(state.nodes)
    .filter((n) => n.status === 'Active')
    .map((n) => n.id)
    .sort();
}

export function ownersFor(nodes: string[], rf: number, slot: bigint): string[] {
  const n = nodes.length;
  const start = Number(((slot % BigInt(n)) + BigInt(n)) % BigInt(n));
  const out: string[] = [];
  for (let i = 0; i < Math.min(rf, n); i++) out.push(nodes[(start + i) % n]!);
  return out;
}

/** The shards to create so that (time, hash) of `table` is covered; [] if already covered. */
export function planAutoShards(state: CatalogState, table: TableDef, time: bigint, hash: number): ShardDef[] {
  const existing = tableShards(state, table.db, table.name);
  const dur = table.partition_duration;
  const pStart = partitionStart(time, dur);
  const pEnd = pStart + dur;
  const inTime = existing.filter((s) => s.time_range[0] <= time && time < s.time_range[1]);
  if (inTime.some((s) => s.hash_range[0] <= hash && hash < s.hash_range[1])) return [];
  if (inTime.length > 0) {
    throw new HttpError(
      400,
      `no shard of ${table.db}.${table.name} covers time ${formatRfc3339(time)} and hash ${hash}: the explicit shard layout leaves a gap there`,
    );
  }
  let lo = pStart;
  let hi = pEnd;
  for (const s of existing) {
    if (s.time_range[1] <= time && s.time_range[1] > lo) lo = s.time_range[1];
    if (s.time_range[0] > time && s.time_range[0] < hi) hi = s.time_range[0];
  }
  const nodes = placementNodes(state);
  if (nodes.length === 0) throw new HttpError(503, 'no Active node can own new shards');
  const partitionIndex = pStart / dur;
  return hashRanges(table.num_hash_partitions).map((range, i) => ({
    id: state.next_shard_id + i,
    db: table.db,
    table: table.name,
    time_range: [lo, hi],
    hash_range: range,
    node_ids: ownersFor(nodes, table.replication_factor, partitionIndex + BigInt(i)),
    migration_status: 'Stable',
  }));
}
