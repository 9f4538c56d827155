// Network faults on the process driver: every directed link between declared nodes,
// and from the runner (`client`) to each node, is a LinkProxy this process owns. Node a
// gets `--peer-url b=<proxy a->b>` for every other declared node b, so its calls to b
// cross link a->b; the catalog keeps each node's direct URL (what --peers names).
//
// Links are opened for every declared node at cluster start, also those added later with
// add_node (their ports are known then): a node started first already routes to a late
// node through its proxy once the catalog names it, and the late node gets its flags when
// it starts. The listeners live in the runner: a runner that dies (even SIGKILLed) takes
// them along, so there is nothing to reap; but a kept cluster (`run --keep`) loses its
// node-to-node routes with the runner (documented in the README).
import { CLIENT, type LinkControl } from '../driver.js';
import { ProxySet, type CutMode, type Dialable, type LinkRef, type LinkState, type ShapeSpec } from '../../net/fault-proxy.js';
import { missingLink, peerUrlArgs, routedLinks } from '../proxied-links.js';

export class ProcessLinks implements LinkControl {
  private constructor(private readonly proxies: ProxySet) {}

  /** How many links `nodes` nodes need: every ordered pair, and client->node. */
  static count(nodes: number): number {
    return nodes * nodes;
  }

  /**
   * Opens a proxy for every ordered pair of nodes and client->node; `ports` are where nodes
   * listen, `listenPorts` (ProcessLinks.count of them) where the proxies do. Both come from one
   * freePorts call: a proxy listening on "any free port" could take a port handed out for a
   * node that has not bound it yet, and then answer /health for it with another node's voice.
   */
  static async open(ports: ReadonlyMap<string, number>, listenPorts: readonly number[], random?: () => number): Promise<ProcessLinks> {
    const set = new ProxySet(random);
    const ids = [...ports.keys()];
    const pairs = ids.flatMap((to) => [CLIENT, ...ids].filter((from) => from !== to).map((from) => ({ from, to })));
    if (listenPorts.length < pairs.length) throw new Error(`${pairs.length} links need as many ports, got ${listenPorts.length}`);
    try {
      await Promise.all(pairs.map(({ from, to }, i) => set.add(from, to, { host: '127.0.0.1', port: ports.get(to)! }, listenPorts[i])));
    } catch (e) {
      await set.close();
      throw e;
    }
    return new ProcessLinks(set);
  }

  /** The URL `from` uses to reach `to`. */
  url(from: string, to: string): string {
    return this.proxies.link({ from, to }).url;
  }

  peerUrlArgs(id: string): string[] {
    return peerUrlArgs(this.proxies, id);
  }

  missing(link: LinkRef): string | undefined {
    return missingLink(this.proxies, link);
  }




  cut(links: LinkRef[], mode: CutMode): void {
    this.proxies.cut(routedLinks(links), mode);
  }

  shape(links: LinkRef[], spec: ShapeSpec): void {
    this.proxies.shape(routedLinks(links), spec);
  }

  resetPeer(links: LinkRef[]): void {
    this.proxies.resetPeer(routedLinks(links));
  }

  heal(links?: LinkRef[]): void {
    this.proxies.heal(links && routedLinks(links));
  }

  dialable(link: LinkRef): Dialable {
    return { port: this.proxies.link(link).port };
  }

  faulted(): LinkState[] {
    return this.proxies.faulted();
  }

  close(): Promise<void> {
    return this.proxies.close();
  }
}
