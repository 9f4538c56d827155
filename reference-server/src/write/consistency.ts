import type { Consistency } from '../catalog/state.js';
import { bugs } from '../bugs.js';

/** How many durable copies a write to a shard with `owners` replicas must reach. */
export function requiredAcks(level: Consistency, owners: number): number {
  if (owners === 0) return 1;
  if (level === 'one') return 1;
  if (level === 'all') return owners;
  if (bugs.has('quorum-ack-after-one')) return 1; // PLANTED BUG (bugs.ts)
  return Math.floor(owners / 2) + 1;
}
