// One directed link (from → to) as a TCP proxy: it listens on 127.0.0.1:<free port> and
// forwards every connection to the upstream (the `to` node). Its faults change at run time,
// without restarting the listener:
//
//   cut('drop')    nothing flows, like an iptables DROP. New connections are accepted (by the
//                  kernel) and held, unconnected upstream; existing ones are paused. A request
//                  hangs until its client gives up.
//   cut('reject')  new connections are reset at once, existing ones reset (RST). The kernel has
//                  already accepted by then, so a client sees its connect succeed and the
//                  connection reset before any byte: ECONNRESET, not ECONNREFUSED.
//   shape(spec)    latency ± jitter and/or a bandwidth cap, per direction.
//   resetPeer()    resets every live connection now (the link stays up).
//   heal()         back to the fast path (plain pipe()).
//
// Heal after a drop: held connections RESUME and their held bytes are delivered in order, as
// TCP's retransmissions would deliver them once an iptables DROP is lifted (data is delayed,
// never lost). A connection accepted during the drop connects upstream only then; a client
// that gave up meanwhile closed its socket, and a close seen during the drop is forwarded (as a
// reset) on heal. Clients with timeouts shorter than the partition therefore see failures,
// clients with longer ones see a slow answer: the same as on a real network.
import net from 'node:net';
import { appliesTo, directionShape, type DirectionShape, type ShapeSpec } from './link-shape.js';
import type { PumpMode } from './pump.js';
import { ProxiedConnection, resetSocket, type Upstream } from './proxied-connection.js';

export type CutMode = 'drop' | 'reject';

export interface LinkProxyOptions {
  from: string;
  to: string;
  upstream: Upstream;
  /** Source of jitter; pass the run's seeded generator for repeatable delays. */
  random?: () => number;
  /** Default 0: a free port. */
  port?: number;
  /** Where to listen; default 127.0.0.1 (the Docker driver listens on its network's gateway). */
  host?: string;
}

/** What a link currently does, for the history and for reports. */
export interface LinkState {
  from: string;
  to: string;
  port: number;
  cut?: CutMode;
  upstream?: DirectionShape;
  downstream?: DirectionShape;
}

export class LinkProxy {
  readonly from: string;
  readonly to: string;
  readonly upstream: Upstream;
  readonly host: string;
  private readonly server: net.Server;
  private readonly connections = new Set<ProxiedConnection>();
  private readonly random: () => number;
  private cutMode?: CutMode;
  private shapes: { upstream?: DirectionShape; downstream?: DirectionShape } = {};
  private closing?: Promise<void>;

  private constructor(opts: LinkProxyOptions) {
    this.from = opts.from;
    this.to = opts.to;
    this.upstream = opts.upstream;
    this.host = opts.host ?? '127.0.0.1';
    this.random = opts.random ?? Math.random;
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', () => undefined); // after listen() succeeded, only accept() failures (EMFILE): the client sees them
  }

  /** Starts listening on 127.0.0.1 or `opts.host` (a free port unless `opts.port`). */
  static async listen(opts: LinkProxyOptions): Promise<LinkProxy> {
    const link = new LinkProxy(opts);
    await new Promise<void>((resolve, reject) => {
      link.server.once('error', reject);
      link.server.listen(opts.port ?? 0, link.host, () => {
        link.server.off('error', reject);
        resolve();
      });
    });
    return link;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo | null)?.port ?? 0;
  }

  /** The URL the `from` node uses to reach `to` through this link. */
  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** Connections currently open through the link (held ones included). */
  get openConnections(): number {
    return this.connections.size;
  }

  state(): LinkState {
    return { from: this.from, to: this.to, port: this.port, cut: this.cutMode, ...this.shapes };
  }

  cut(mode: CutMode): void {
    this.cutMode = mode;
    for (const conn of this.connections) {
      if (mode === 'reject') conn.reset();
      else conn.open({ kind: 'held' }, { kind: 'held' });
    }
  }

  /** Adds latency, jitter and/or a bandwidth cap to one or both directions (replacing theirs). */
  shape(spec: ShapeSpec): void {
    const shape = directionShape(spec);
    const idle = shape.latencyMs === 0 && shape.jitterMs === 0 && shape.bytesPerSecond === undefined;
    for (const side of ['upstream', 'downstream'] as const) {
      if (appliesTo(spec.direction, side)) this.shapes[side] = idle ? undefined : shape;
    }
    if (this.cutMode === undefined) this.applyModes();
  }

  /** Resets every live connection now; new ones are accepted as before. */
  resetPeer(): void {
    for (const conn of this.connections) conn.reset();
  }

  /** Removes every cut and shape: the fast path again, held bytes delivered in order. */
  heal(): void {
    const wasHeld = this.cutMode === 'drop';
    this.cutMode = undefined;
    this.shapes = {};
    for (const conn of this.connections) {
      if (wasHeld) conn.release({ kind: 'pipe' }, { kind: 'pipe' });
      else conn.open({ kind: 'pipe' }, { kind: 'pipe' });
    }
  }

  /** Stops listening and resets every connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const conn of this.connections) conn.reset();
    });
    return this.closing;
  }

  private accept(socket: net.Socket): void {
    if (this.closing || this.cutMode === 'reject') {
      socket.on('error', () => undefined);
      resetSocket(socket);
      return;
    }
    const conn = new ProxiedConnection(socket, this.upstream, this.random, () => this.cutMode === 'drop', (c) => this.connections.delete(c));
    this.connections.add(conn);
    conn.open(this.modeOf('upstream'), this.modeOf('downstream'));
  }

  private applyModes(): void {
    for (const conn of this.connections) conn.open(this.modeOf('upstream'), this.modeOf('downstream'));
  }

  private modeOf(side: 'upstream' | 'downstream'): PumpMode {
    if (this.cutMode === 'drop') return { kind: 'held' };
    const shape = this.shapes[side];
    return shape ? { kind: 'shaped', shape } : { kind: 'pipe' };
  }
}
