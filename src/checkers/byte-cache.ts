// Values keyed by a run of bytes (a scenario name, a tag set, `{"status":204}`): the
// history repeats them on most lines, so each is decoded once and then found by its
// bytes, without making a string to look it up.

export class ByteCache<T> {
  private readonly byHash = new Map<number, Array<{ bytes: Buffer; value: T }>>();
  private size = 0;
  /** The last value found: most lines repeat the previous line's (the scenario name). */
  private last: { bytes: Buffer; value: T } | undefined;

  /**
   * `make` decodes buf[from, to) the first time; undefined from it is not kept. Past
   * `maxEntries` (values that do not repeat), new ones are made each time, not kept.
   */
  constructor(private readonly make: (buf: Buffer, from: number, to: number) => T | undefined, private readonly maxEntries = 10_000) {}

  get(buf: Buffer, from: number, to: number): T | undefined {
    const n = to - from;
    const last = this.last;
    if (last && last.bytes.length === n) {
      let i = 0;
      while (i < n && last.bytes[i] === buf[from + i]) i++;
      if (i === n) return last.value;
    }
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    let list = this.byHash.get(h);
    if (list) {
      outer: for (const c of list) {
        if (c.bytes.length !== n) continue;
        for (let i = 0; i < n; i++) if (c.bytes[i] !== buf[from + i]) continue outer;
        this.last = c;
        return c.value;
      }
    } else this.byHash.set(h, list = []);
    const value = this.make(buf, from, to);
    if (value !== undefined && this.size < this.maxEntries) { list.push(this.last = { bytes: Buffer.from(buf.subarray(from, to)), value }); this.size++; }
    return value;
  }
}
