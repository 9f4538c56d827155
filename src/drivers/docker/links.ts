// Network faults on the Docker driver. Every directed link is routed through something the
// runner controls, as on the process driver, but a partition is a real firewall rule:
//
//   node a -> node b  a's `--peer-url b=` names a LinkProxy of the runner listening on the run
//                     network's gateway (the host's side of the bridge), forwarding to b's
//                     address. Latency, bandwidth and reset_peer act in that proxy (the kernel
//                     here has no netem). A cut is an iptables rule in a's own network namespace
//                     (netfilter.ts) dropping or rejecting a's connections to that proxy and to
//                     b's address: the packets never leave a.
//   client -> node x  the scenario's requests go to a LinkProxy on 127.0.0.1 forwarding to x's
//                     published port; it is cut in the proxy. (Inside x both the runner's and
//                     the peers' proxied connections arrive from the gateway: a rule there
//                     could not tell them apart.)
//
// The rules live in the node's namespace, which a container gets anew on every start: a node
// that starts again gets its cuts back at once (restore). Witnesses dial from the caller's
// side: for a node, from inside its namespace (an exec in its container), so they see the rule.
import type Docker from 'dockerode';
import { CLIENT, type LinkControl } from '../driver.js';
import { InfraError } from '../../engine/errors.js';
import { ProxySet, linkName, probeLink, type CutMode, type Dialable, type LinkRef, type LinkState, type ProbeResult, type ShapeSpec } from '../../net/fault-proxy.js';
import { apiMessage } from './engine.js';
import { execNode, PROBE_LINK_SCRIPT } from './exec.js';
import { IN_IMAGE } from './image.js';
import { applyCuts, type CutRule, type HelperContext } from './netfilter.js';
import { missingLink, peerUrlArgs, routedLinks } from '../proxied-links.js';

/** What the links need of the driver. */
export interface LinkHost {
  gateway: string;
  /** A node's address on the run network and its port published on 127.0.0.1. */
  node(id: string): { ip: string; port: number };
  /** The node's container while it runs (not paused): where rules and probes can go now. */
  running(id: string): Docker.Container | undefined;
  /** A fresh helper container's context (unique name, the run's labels). */
  helper(node: string): HelperContext;
}

export class DockerLinks implements LinkControl {
  /** Node-to-node cuts, by link name: what each node's chain must hold. */
  private readonly cuts = new Map<string, { link: LinkRef; mode: CutMode }>();
  /** Rule changes per node, one after another. */
  private readonly queue = new Map<string, Promise<void>>();
  /** Nodes whose chain missed a change (they were down or paused): rewritten when they run again. */
  private readonly stale = new Set<string>();

  private constructor(private readonly proxies: ProxySet, private readonly host: LinkHost) {}

  /**
   * Opens a proxy for every ordered pair of nodes (on the gateway) and for client->node (on
   * 127.0.0.1, at `clientPorts`, given out with the nodes' ports so none collides).
   */
  static async open(ids: string[], host: LinkHost, clientPorts: readonly number[], random?: () => number): Promise<DockerLinks> {
    const set = new ProxySet(random);
    try {
      await Promise.all(ids.map((to, i) => set.add(CLIENT, to, { host: '127.0.0.1', port: host.node(to).port }, clientPorts[i])));
      await Promise.all(ids.flatMap((to) => ids.filter((from) => from !== to).map((from) => set.add(from, to, { host: host.node(to).ip, port: IN_IMAGE.port }, undefined, host.gateway))));
    } catch (e) {
      await set.close();
      throw new InfraError(`could not open the fault proxies on ${host.gateway} and 127.0.0.1: ${(e as Error).message}`);
    }
    return new DockerLinks(set, host);
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




  async cut(links: LinkRef[], mode: CutMode): Promise<void> {
    const routed = routedLinks(links);
    for (const l of routed) this.proxies.link(l); // every link known before anything changes
    this.proxies.cut(routed.filter((l) => l.from === CLIENT), mode);
    const nodeLinks = routed.filter((l) => l.from !== CLIENT);
    for (const l of nodeLinks) this.cuts.set(linkName(l), { link: l, mode });
    await this.applyAll(nodeLinks);
  }

  shape(links: LinkRef[], spec: ShapeSpec): void {
    this.proxies.shape(routedLinks(links), spec);
  }

  resetPeer(links: LinkRef[]): void {
    this.proxies.resetPeer(routedLinks(links));
  }

  async heal(links?: LinkRef[]): Promise<void> {
    const routed = links && routedLinks(links);
    this.proxies.heal(routed);
    const healed = routed ?? [...this.cuts.values()].map((c) => c.link);
    // Only chains that held one of these cuts change (a shaped link has no rule).
    await this.applyAll(healed.filter((l) => this.cuts.delete(linkName(l))));
  }

  /** Brings a node's chain up to date once it runs again: started (a new namespace) or resumed. */
  async restore(id: string): Promise<void> {
    if (this.stale.has(id) || [...this.cuts.values()].some((c) => c.link.from === id)) await this.apply(id);
  }

  /** Rewrites the chain of every node these links start from. */
  private async applyAll(links: LinkRef[]): Promise<void> {
    await Promise.all([...new Set(links.map((l) => l.from))].map((from) => this.apply(from)));
  }

  /** Replaces node `id`'s chain with its current cuts; a node not running gets them when it runs again. */
  private apply(id: string): Promise<void> {
    const next = (this.queue.get(id) ?? Promise.resolve()).catch(() => undefined).then(async () => {
      const container = this.host.running(id);
      if (!container) {
        this.stale.add(id);
        return;
      }
      await applyCuts(this.host.helper(id), container.id, id, this.rulesOf(id));
      this.stale.delete(id);
    });
    this.queue.set(id, next);
    return next;
  }

  private rulesOf(from: string): CutRule[] {
    return [...this.cuts.values()].filter((c) => c.link.from === from).map(({ link, mode }) => ({
      mode,
      destinations: [{ ip: this.host.gateway, port: this.proxies.link(link).port }, { ip: this.host.node(link.to).ip, port: IN_IMAGE.port }],
    }));
  }

  dialable(link: LinkRef): Dialable {
    const l = this.proxies.link(link);
    return { host: l.host, port: l.port };
  }

  probeable(link: LinkRef): boolean {
    return link.from === CLIENT || this.host.running(link.from) !== undefined;
  }

  /** From the caller's side: the runner for client links, inside the node's namespace otherwise. */
  async probe(link: LinkRef, timeoutMs: number): Promise<ProbeResult> {
    const target = this.dialable(link);
    if (link.from === CLIENT) return probeLink(target, timeoutMs);
    const container = this.host.running(link.from);
    if (!container) throw new InfraError(`cannot probe link ${linkName(link)}: node ${link.from} is not running`);
    let out;
    try {
      out = await execNode(container, PROBE_LINK_SCRIPT, [target.host!, String(target.port), String(timeoutMs)]);
    } catch (e) {
      throw new InfraError(`cannot probe link ${linkName(link)} from inside node ${link.from}: ${apiMessage(e)}`);
    }
    const result = out.stdout.trim();
    if (result !== 'connects' && result !== 'refused' && result !== 'hangs') throw new InfraError(`probing link ${linkName(link)} from inside node ${link.from} gave no verdict: ${out.stderr.trim() || `exit code ${out.exitCode}`}`);
    return result;
  }

  faulted(): LinkState[] {
    return this.proxies.all()
      .map((l) => ({ ...l.state(), ...(this.cuts.has(linkName(l)) ? { cut: this.cuts.get(linkName(l))!.mode } : {}) }))
      .filter((s) => s.cut || s.upstream || s.downstream);
  }

  close(): Promise<void> {
    return this.proxies.close();
  }
}
