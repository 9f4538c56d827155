// The shard-key hash. Documented in docs/protocol.md so other clusters can route the same way:
//   hash = FNV-1a 32-bit over the UTF-8 bytes of the shard-key tag values, in shard_keys order,
//   each value followed by one 0x00 byte (a missing tag hashes as the empty string).
// If a table has no shard_keys, every tag value is used, in tag-key order.

export const HASH_SPACE = 2 ** 32;

const encoder = new TextEncoder();

export function fnv1a32(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardKeyHash(tags: Record<string, string>, shardKeys: string[]): number {
  const keys = shardKeys.length > 0 ? shardKeys : Object.keys(tags).sort();
  let text = '';
  for (const k of keys) text += (tags[k] ?? '') + '\u0000';
  return fnv1a32(encoder.encode(text));
}

/** Canonical series key: measurement and tags, unambiguous (NUL separated). */
export function seriesKey(measurement: string, tags: Record<string, string>): string {
  let s = measurement;
  for (const k of Object.keys(tags).sort()) s += '\u0000' + k + '\u0000' + tags[k];
  return s;
}

/**
 * A 53-bit series id (safe JS integer, stored as SQLite INTEGER): two FNV-1a passes with
 * different seeds. Identical on every node, so rows sort the same way everywhere.
 */
export function seriesId(key: string): number {
  const bytes = encoder.encode(key);
  const hi = fnv1a32(bytes) & 0x1fffff; // 21 bits
  const lo = fnv1a32(bytes, 0x050c5d1f); // 32 bits
  return hi * 2 ** 32 + lo;
}
