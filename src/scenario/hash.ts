// Hash bounds of shard layouts: integers in [0, 2^32], or percentages of that space.

export const HASH_SPACE = 2n ** 32n;

export function hashBound(v: number | string): bigint | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? BigInt(v) : undefined;
  const m = /^(\d+(?:\.\d+)?)%$/.exec(v);
  if (!m) return undefined;
  return BigInt(Math.round((Number(m[1]) / 100) * 2 ** 32));
}
