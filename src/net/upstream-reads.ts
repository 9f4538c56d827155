// Reads from the socket a proxied connection dials upstream into buffers of our own (net.connect's
// `onread`), instead of a fresh 64 KiB buffer per read. Once a read fills its buffer (a bulk
// transfer), the next reads go into 1 MiB buffers: a sixteenth of the read syscalls, callbacks
// and allocations per byte, which is most of what the proxy costs per byte (the kernel copies
// each byte in and out either way). bench/proxy.mjs: ~0.75 -> ~0.4 CPU s per GiB downloaded.
// Node offers `onread` only on sockets it dials: the accepted (client) side of a link still
// reads 64 KiB at a time.
//
// A buffer is read into again only after `done` says the bytes read into it were written (the
// write's callback) or copied; until then the next read gets another buffer. A connection keeps
// at most its current buffer and SPARES spare ones, freed when it closes.

/** Node's own read size: a connection that never fills it never allocates more. */
const FIRST_SIZE = 64 << 10;
const BULK_SIZE = 1 << 20;
const SPARES = 2;

/**
 * Takes a chunk; calls `done` once nothing refers to its bytes any more. Returns false to stop
 * reading (the socket is paused; `resume()` reads again).
 */
export type Deliver = (chunk: Buffer, done: () => void) => boolean;

export class UpstreamReads {
  /** Where chunks go; the pump of this direction sets it. */
  deliver: Deliver = () => false;
  private size = FIRST_SIZE;
  private readonly spares: Buffer[] = [];

  /** The `onread` option for net.connect. */
  readonly onread = {
    buffer: (): Buffer => this.spares.pop() ?? Buffer.allocUnsafeSlow(this.size),
    callback: (nread: number, buf: Buffer): boolean => {
      if (nread === buf.length) this.size = BULK_SIZE;
      let given = false; // a second `done` must not hand out a buffer being read into
      return this.deliver(buf.subarray(0, nread), () => {
        if (!given) (given = true), this.recycle(buf);
      });
    },
  };

  private recycle(buf: Buffer): void {
    if (buf.length === this.size && this.spares.length < SPARES) this.spares.push(buf);
  }
}
