// A checker's state per identity id, as typed columns rather than an object per point: a
// million points then cost tens of bytes each and nothing for the garbage collector to
// walk. Columns grow with the session's identity table (ids are dense, 0, 1, 2, ...).

type Column = Float64Array | Int32Array | Uint8Array | Int8Array;

/** A capacity of at least `need`, doubling so that growth stays amortised. */
export function capacityFor(have: number, need: number, least = 1024): number {
  let n = Math.max(have, least);
  while (n < need) n *= 2;
  return n;
}

/** `col` copied into a column of `n` entries, the new ones set to `fill`. */
export function grown<T extends Column>(col: T, n: number, fill: number): T {
  const out = new (col.constructor as new (n: number) => T)(n);
  out.set(col);
  if (fill !== 0) out.fill(fill, col.length);
  return out;
}

/** The same for a column of references, grown in place (one resize, not a push per entry). */
export function grownRefs<T>(col: T[], n: number, fill: T): T[] {
  const from = col.length;
  col.length = n;
  return col.fill(fill, from);
}

/** Strings a column stores as small numbers (node names: a few per run), null included. */
export class Numbered<T extends string | null> {
  private readonly numbers = new Map<T, number>();
  private readonly values: T[] = [];

  of(value: T): number {
    let n = this.numbers.get(value);
    if (n === undefined) { n = this.values.length; this.numbers.set(value, n); this.values.push(value); }
    return n;
  }

  value(n: number): T { return this.values[n]!; }
}
