import type { Consistency } from '../catalog/state.js';

/** How many durable copies a write to a shard with `owners` replicas must reach. */
export function requiredAcks(level: Consistency, owners: number): number {
  if (owners === 0) return 1;
  if (level === 'one') return 1;
  if (level === 'all') return owners;
  return Math.floor(owners / 2) + 1;
}
