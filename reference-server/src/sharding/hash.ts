// The shard-key hash. Documented in docs/protocol.md so other clusters can route the same way:
//   hash = FNV-1a 32-bit over the UTF-8 bytes of the shard-key tag values, in shard_keys order,
//   each value followed by one 0x00 byte (a missing tag hashes as the empty string).
// If a table has no shard_keys, every tag value is used, in tag-key order.

export const HASH_SPACE = 2 ** 32;

/** FNV-1a 32-bit over the UTF-8 encoding of `s` (encoded on the fly: no allocation). */
export function fnv1a32(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  const step = (byte: number) => {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  };
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      h ^= c;
      h = Math.imul(h, 0x01000193);
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd; // lone surrogate: what TextEncoder writes
    if (c < 0x800) {
      step(0xc0 | (c >> 6));
      step(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      step(0xe0 | (c >> 12));
      step(0x80 | ((c >> 6) & 0x3f));
      step(0x80 | (c & 0x3f));
    } else {
      step(0xf0 | (c >> 18));
      step(0x80 | ((c >> 12) & 0x3f));
      step(0x80 | ((c >> 6) & 0x3f));
      step(0x80 | (c & 0x3f));
    }
  }
  return h >>> 0;
}

export function shardKeyHash(tags: Record<string, string>, shardKeys: string[]): number {
  const keys = shardKeys.length > 0 ? shardKeys : Object.keys(tags).sort();
  let text = '';
  for (const k of keys) text += (tags[k] ?? '') + '\u0000';
  return fnv1a32(text);
}

/**
 * Series key: measurement and tags, unambiguous. Points carry their tags in sorted insertion
 * order (the parser and the point codec keep it), and JavaScript iterates keys the same way on
 * every node, so no per-point sort is needed for a stable key. Parts are NUL separated;
 * measurements and tag keys never hold a NUL (catalog/limits.ts) but tag values may, and a key
 * with such a value is written as NUL + JSON instead (no plain key starts with a NUL), so
 * `a="x\0b\0c"` and `a="x",b="c"` stay two series.
 */
export function seriesKey(measurement: string, tags: Record<string, string>): string {
  let s = measurement;
  for (const k in tags) {
    const v = tags[k]!;
    if (v.includes('\u0000')) return '\u0000' + JSON.stringify([measurement, Object.entries(tags)]);
    s += '\u0000' + k + '\u0000' + v;
  }
  return s;
}

/**
 * A 53-bit series id (safe JS integer, stored as SQLite INTEGER): two FNV-1a passes with
 * different seeds. Identical on every node, so rows sort the same way everywhere.
 */
export function seriesId(key: string): number {
  const hi = fnv1a32(key) & 0x1fffff; // 21 bits
  const lo = fnv1a32(key, 0x050c5d1f); // 32 bits
  return hi * 2 ** 32 + lo;
}
