// JSON with bigint support: the cluster moves nanosecond timestamps and 64-bit integers
// between nodes, which plain JSON numbers would round.

const BIG = '$n';

/** JSON.stringify that writes bigints as {"$n":"123"}. */
export function stringifyWithBigInt(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? { [BIG]: v.toString() } : v));
}

/** JSON.parse that turns {"$n":"123"} back into bigints. */
export function parseWithBigInt<T = unknown>(text: string): T {
  return JSON.parse(text, (_k, v) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const s = (v as Record<string, unknown>)[BIG];
      if (typeof s === 'string' && Object.keys(v).length === 1) return BigInt(s);
    }
    return v;
  }) as T;
}
