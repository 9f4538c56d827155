// One client connection accepted by a LinkProxy and its upstream connection: two pumps (client
// to upstream, upstream to client) and what happens when either side goes away.
//
// Ends and resets cross the proxy as they would a wire: an orderly end (FIN) is forwarded after
// the bytes before it; a socket that closes before both directions finished (a reset, a refused
// upstream, a destroyed client) resets the other side. While the link is cut with `drop`, a
// close is not forwarded either (the packet would be lost): it is forwarded on release.
import net from 'node:net';
import { Pump, type PumpMode } from './pump.js';
import { UpstreamReads } from './upstream-reads.js';

export interface Upstream {
  host: string;
  port: number;
}

/**
 * Sends a TCP RST and destroys the socket (once connected, if it is still connecting). A socket
 * whose writing side is already ended is just destroyed: the kernel refuses to reset it (EINVAL),
 * and Node 20 then never finishes its close, spinning at exit.
 */
export function resetSocket(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}

export class ProxiedConnection {
  private upstream?: net.Socket;
  private up?: Pump;
  private down?: Pump;
  /** A side closed abruptly while the link was held: reset the other on release. */
  private resetOnRelease = false;
  private closed = false;

  constructor(
    readonly client: net.Socket,
    private readonly target: Upstream,
    private readonly random: () => number,
    private readonly isHeld: () => boolean,
    private readonly onGone: (conn: ProxiedConnection) => void,
  ) {
    client.pause();
    client.on('error', () => undefined); // every failure also ends in 'close'
    client.on('close', () => this.sideClosed(client));
  }

  /** Starts forwarding (or keeps the client waiting, if the link is held: nothing is sent upstream yet). */
  open(up: PumpMode, down: PumpMode): void {
    if (this.closed) return;
    if (this.upstream) {
      this.up!.set(up);
      this.down!.set(down);
      return;
    }
    if (up.kind === 'held') return; // like a dropped SYN: the server never hears of it
    // What upstream answers is read into our own buffers (see UpstreamReads); the client's
    // socket was accepted, and Node offers no such option for those.
    const reads = new UpstreamReads();
    const upstream = net.connect({ host: this.target.host, port: this.target.port, allowHalfOpen: true, noDelay: true, onread: reads.onread });
    this.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('close', () => this.sideClosed(upstream));
    this.up = new Pump(this.client, upstream, this.random);
    this.down = new Pump(upstream, this.client, this.random, reads);
    this.up.set(up);
    this.down.set(down);
  }

  /** The link is released from a hold: forward a close that happened meanwhile. */
  release(up: PumpMode, down: PumpMode): void {
    this.open(up, down);
    if (this.resetOnRelease) this.reset();
  }

  reset(): void {
    resetSocket(this.client);
    if (this.upstream) resetSocket(this.upstream);
  }

  private sideClosed(side: net.Socket): void {
    const other = side === this.client ? this.upstream : this.client;
    const orderly = (this.up?.done ?? false) && (this.down?.done ?? false);
    if (!orderly && other && !other.destroyed) {
      if (this.isHeld()) this.resetOnRelease = true;
      else resetSocket(other);
    }
    if (this.client.destroyed && (this.upstream?.destroyed ?? true)) this.gone();
    else if (side === this.client && !this.upstream) this.gone();
  }

  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.up?.dispose();
    this.down?.dispose();
    this.onGone(this);
  }
}
