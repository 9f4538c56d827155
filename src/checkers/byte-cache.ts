// Values keyed by a run of bytes (a scenario name, a tag set, `{"status":204}`): the
// history repeats them on most lines, so each is decoded once and then found by its
// bytes, without making a string to look it up.

export class ByteCache<T> {
  private readonly byHash = new Map<number, Array<{ bytes: Buffer; value: T }>>();
  private size = 0;

  /**
   * `make` decodes buf[from, to) the first time; undefined from it is not kept. Past
   * `maxEntries` (values that do not repeat), new ones are made each time, not kept.
   */
  constructor(private readonly make: (buf: Buffer, from: number, to: number) => T | undefined, private readonly maxEntries = 10_000) {}

  get(buf: Buffer, from: number, to: number): T | undefined {
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    let list = this.byHash.get(h);
    if (list) {
      const n = to - from;
      outer: for (const c of list) {
        if (c.bytes.length !== n) continue;
        for (let i = 0; i < n; i++) if (c.bytes[i] !== buf[from + i]) continue outer;
        return c.value;
      }
    } else this.byHash.set(h, list = []);
    const value = this.make(buf, from, to);
    if (value !== undefined && this.size < this.maxEntries) { list.push({ bytes: Buffer.from(buf.subarray(from, to)), value }); this.size++; }
    return value;
  }
}
