// Write versions for last-writer-wins merging. A version is (logical time, node tag) packed in a
// safe integer: logical = max(wall-clock ms × 64, previous + 1), so it never goes backwards and
// allows 64 writes per millisecond before running ahead of the wall clock; the 6-bit node tag
// (a hash of the node id) keeps two coordinators writing in the same millisecond apart. Equal
// versions can still happen (two node ids with the same tag); the store then breaks the tie by
// value, so replicas agree either way. Every line of one write shares one version, so lines of
// one body with the same identity are merged first (later-line-wins.ts): the later line wins.
// Fits 2^53 until the year 2039.
import { fnv1a32 } from '../sharding/hash.js';

export class WriteClock {
  private logical = 0;
  private readonly tag: number;

  constructor(nodeId: string) {
    this.tag = fnv1a32(nodeId) % 64;
  }

  next(): number {
    this.logical = Math.max(Date.now() * 64, this.logical + 1);
    return this.logical * 64 + this.tag;
  }
}

/** The lowest version WriteClock hands out at wall-clock time `ms` (on a clock not running ahead). */
export function versionAtMs(ms: number): number {
  return Math.max(0, Math.floor(ms)) * 64 * 64;
}
