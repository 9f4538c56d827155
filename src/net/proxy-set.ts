// Every directed link of a cluster, each a LinkProxy: (from, to) → the listener `from` dials to
// reach `to`. Faults name links; a partition is a set of links to cut (computing which is the
// fault's job, like Jepsen's grudges; applying them is this file's). The listeners live in the
// runner's process, so a runner that dies takes them along; `ports()` is what to record.
import { LinkProxy, type CutMode, type LinkState } from './link-proxy.js';
import type { ShapeSpec } from './link-shape.js';
import type { Upstream } from './proxied-connection.js';

export interface LinkRef {
  from: string;
  to: string;
}

export const linkName = (l: LinkRef): string => `${l.from}->${l.to}`;

export class ProxySet {
  private readonly links = new Map<string, LinkProxy>();
  private closing?: Promise<void>;

  constructor(private readonly random: () => number = Math.random) {}

  /** Opens the listener for from → to (upstream: where `to` listens), on `port` or any free one, on 127.0.0.1 or `host`. */
  async add(from: string, to: string, upstream: Upstream, port?: number, host?: string): Promise<LinkProxy> {
    const name = linkName({ from, to });
    if (this.closing) throw new Error(`cannot add link ${name}: the proxy set is closed`);
    if (this.links.has(name)) throw new Error(`link ${name} already has a proxy`);
    const link = await LinkProxy.listen({ from, to, upstream, random: this.random, ...(port !== undefined ? { port } : {}), ...(host !== undefined ? { host } : {}) });
    if (this.closing) {
      await link.close();
      throw new Error(`cannot add link ${name}: the proxy set is closed`);
    }
    this.links.set(name, link);
    return link;
  }

  link(ref: LinkRef): LinkProxy {
    const link = this.links.get(linkName(ref));
    if (!link) throw new Error(`no proxy for link ${linkName(ref)} (known: ${[...this.links.keys()].join(', ') || 'none'})`);
    return link;
  }

  all(): LinkProxy[] {
    return [...this.links.values()];
  }

  /** Listener ports, for the reaper's record. */
  ports(): number[] {
    return this.all().map((l) => l.port);
  }

  /** Cuts each link; every link is looked up first, so an unknown one changes nothing. */
  cut(refs: LinkRef[], mode: CutMode): void {
    for (const link of refs.map((r) => this.link(r))) link.cut(mode);
  }

  shape(refs: LinkRef[], spec: ShapeSpec): void {
    const links = refs.map((r) => this.link(r));
    for (const link of links) link.shape(spec);
  }

  resetPeer(refs: LinkRef[] = this.all()): void {
    for (const link of refs.map((r) => this.link(r))) link.resetPeer();
  }

  /** Heals the given links (default: all). */
  heal(refs: LinkRef[] = this.all()): void {
    for (const link of refs.map((r) => this.link(r))) link.heal();
  }

  /** Links that are cut or shaped now (the value of a nemesis operation in the history). */
  faulted(): LinkState[] {
    return this.all()
      .map((l) => l.state())
      .filter((s) => s.cut || s.upstream || s.downstream);
  }

  /** Closes every listener and connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.all(this.all().map((l) => l.close())).then(() => undefined);
    return this.closing;
  }
}
