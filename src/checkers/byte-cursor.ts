// The cursor both history scanners (history-lines.ts, write-scan.ts) move over a line's
// bytes. It lives on the instance, not in closures, so nothing is allocated per line.
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;

export abstract class ByteCursor {
  protected buf: Buffer = Buffer.alloc(0);
  protected p = 0;
  protected to = 0;

  /** Steps over `l` when the bytes at the cursor are exactly it. */
  protected expect(l: Buffer): boolean {
    const { buf, p } = this;
    if (p + l.length > this.to) return false;
    for (let i = 0; i < l.length; i++) if (buf[p + i] !== l[i]) return false;
    this.p = p + l.length;
    return true;
  }

  /** The closing quote of a string opened just before the cursor, or -1 when it has escapes (or no end). */
  protected stringEnd(): number {
    const { buf, to } = this;
    for (let i = this.p; i < to; i++) {
      const c = buf[i]!;
      if (c === QUOTE) return i;
      if (c === BACKSLASH) return -1;
    }
    return -1;
  }
}
