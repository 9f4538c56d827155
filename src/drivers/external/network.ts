// Network faults on the external driver. Links between nodes are cut by the cluster file's
// network commands (cluster-file.ts), one run per directed link: `partition` makes {node}'s
// calls to {peer} fail (a firewall rule in the node's network namespace, say), `heal` undoes
// exactly that one cut, and `probe` (exit 0: {node} reaches {peer} now) is what witnesses
// look through, from the node's side where the cut lives. A link whose source has no probe
// command, or whose probe already failed before the cut, has no witness: its step is
// inconclusive, never passed. The runner's own link to each node (`client`) is a fault proxy
// in the runner, as on the other drivers: the scenario's requests cross it.
import { CLIENT, type LinkControl } from '../driver.js';
import { InfraError } from '../../engine/errors.js';
import { ProxySet, linkName, probeLink, type CutMode, type Dialable, type LinkRef, type LinkState, type ProbeResult } from '../../net/fault-proxy.js';
import { routedLinks } from '../proxied-links.js';
import type { ExternalNode, NetworkCommand } from './cluster-file.js';
import { runShell } from './node-actions.js';
import { shellQuote } from './shell-quote.js';

/** What the links need of the driver. */
export interface ExternalLinkHost {
  entry(id: string): ExternalNode;
  /** The node's log file: every command is noted there with its output. */
  log(id: string): string;
  /** The node serves now (not stopped or paused): a probe from or to it means something. */
  running(id: string): boolean;
  commandTimeoutMs: number;
}

export class ExternalLinks implements LinkControl {
  /** Node-to-node cuts made by partition commands, by link name, with the mode heal repeats. */
  private readonly cuts = new Map<string, { link: LinkRef; mode: CutMode }>();
  /** Links whose probe failed before they were cut: a failing probe there proves nothing. */
  private readonly blind = new Map<string, string>();
  /** A round of probe commands takes seconds on a loaded machine: witnesses get several rounds. */
  readonly witnessTimeoutMs = 20_000;
  /** Commands per source node, one after another (two rules of one node must not race). */
  private readonly queue = new Map<string, Promise<unknown>>();

  private constructor(private readonly proxies: ProxySet, private readonly host: ExternalLinkHost) {}

  /** Opens client->node proxies on 127.0.0.1 for the nodes the runner reaches over plain http. */
  static async open(nodes: ExternalNode[], host: ExternalLinkHost, random?: () => number): Promise<ExternalLinks> {
    const set = new ProxySet(random);
    try {
      for (const n of nodes) {
        const u = new URL(n.url);
        if (u.protocol === 'http:') await set.add(CLIENT, n.id, { host: bareHost(u), port: Number(u.port) || 80 });
      }
    } catch (e) {
      await set.close();
      throw new InfraError(`could not open the runner's fault proxies on 127.0.0.1: ${(e as Error).message}`);
    }
    return new ExternalLinks(set, host);
  }

  /** Where the scenario's requests to `id` go (its client link), or undefined when not routed. */
  clientUrl(id: string): string | undefined {
    return this.proxies.all().find((l) => l.from === CLIENT && l.to === id)?.url;
  }

  missing(link: LinkRef): string | undefined {
    if (link.from === link.to) return `link ${linkName(link)} joins a node to itself`;
    if (link.to === CLIENT) return undefined; // answers to the runner ride on client->x
    if (link.from === CLIENT) {
      return this.clientUrl(link.to) ? undefined : `the runner's link to node ${link.to} is not routed (its url is not plain http)`;
    }
    const entry = this.host.entry(link.from);
    if (!entry.network?.partition) return `the cluster file gives node ${link.from} no network partition command`;
    this.host.entry(link.to); // a known node
    return undefined;
  }

  async cut(links: LinkRef[], mode: CutMode): Promise<void> {
    const routed = routedLinks(links);
    this.proxies.cut(routed.filter((l) => l.from === CLIENT), mode);
    await this.perSource(routed.filter((l) => l.from !== CLIENT), async (l) => {
      const name = linkName(l);
      const before = this.cuts.get(name);
      if (before?.mode === mode) return;
      if (before) {
        await this.command('heal', l, before.mode);
        this.cuts.delete(name);
      }
      await this.noteBaseline(l);
      // Recorded first: a partition command that fails or times out may have made its cut
      // already, and teardown heals only what is recorded.
      this.cuts.set(name, { link: l, mode });
      await this.command('partition', l, mode);
    });
  }

  shape(links: LinkRef[]): void {
    throw new InfraError(`the external driver cannot shape links (${links.map(linkName).join(', ')}): its network commands only cut and heal`);
  }

  resetPeer(links: LinkRef[]): void {
    throw new InfraError(`the external driver cannot reset connections on links (${links.map(linkName).join(', ')}): its network commands only cut and heal`);
  }

  /**
   * Heals the given links (default: every cut). Every link's heal is tried, also after another
   * one failed; a cut whose heal command fails stays recorded and the failures are thrown.
   */
  async heal(links?: LinkRef[]): Promise<void> {
    const routed = links && routedLinks(links);
    this.proxies.heal(routed?.filter((l) => l.from === CLIENT));
    const healed = (routed ?? [...this.cuts.values()].map((c) => c.link)).filter((l) => this.cuts.has(linkName(l)));
    const failures: Error[] = [];
    await this.perSource(healed, async (l) => {
      try {
        await this.command('heal', l, this.cuts.get(linkName(l))!.mode);
        this.cuts.delete(linkName(l));
      } catch (e) {
        failures.push(e as Error);
      }
    });
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new InfraError(`${failures.length} heal commands failed: ${failures.map((e) => e.message).join('; ')}`);
  }

  dialable(link: LinkRef): Dialable {
    if (link.from === CLIENT) return { host: '127.0.0.1', port: this.proxies.link(link).port };
    const peer = new URL(this.host.entry(link.to).peerUrl);
    return { host: bareHost(peer), port: Number(peer.port) || (peer.protocol === 'https:' ? 443 : 80) };
  }

  unwitnessable(link: LinkRef): string | undefined {
    if (link.from === CLIENT || link.to === CLIENT) return undefined;
    if (!this.host.entry(link.from).network?.probe) return `the cluster file gives node ${link.from} no network probe command: nothing can confirm whether ${linkName(link)} is cut`;
    return this.blind.get(linkName(link));
  }

  probeable(link: LinkRef): boolean {
    return link.from === CLIENT || this.host.running(link.from);
  }

  /**
   * The runner dials client links itself; a node's link is probed by its probe command (exit 0:
   * it connects). A command cannot answer within a dial's few hundred ms, so it gets the
   * witness's budget (never the longer command_timeout, which would outlive the witness) and
   * one that does not finish by then is a hung link.
   */
  async probe(link: LinkRef, timeoutMs: number): Promise<ProbeResult> {
    if (link.from === CLIENT) return probeLink(this.dialable(link), timeoutMs);
    const r = await this.command('probe', link, undefined, Math.max(timeoutMs, Math.min(this.host.commandTimeoutMs, this.witnessTimeoutMs)));
    if (r.timedOut) return 'hangs';
    return r.exitCode === 0 ? 'connects' : 'refused';
  }

  faulted(): LinkState[] {
    const nodeCuts = [...this.cuts.values()].map(({ link, mode }) => ({ ...link, port: this.dialable(link).port, cut: mode }));
    return [...this.proxies.faulted(), ...nodeCuts];
  }

  close(): Promise<void> {
    return this.proxies.close();
  }

  /**
   * Probes a link before it is cut: if it fails while both ends serve, a failing probe after
   * the cut would prove nothing, so the link is marked as having no witness.
   */
  private async noteBaseline(l: LinkRef): Promise<void> {
    this.blind.delete(linkName(l));
    if (!this.host.entry(l.from).network?.probe || !this.host.running(l.from) || !this.host.running(l.to)) return;
    const r = await this.command('probe', l);
    if (r.exitCode !== 0) this.blind.set(linkName(l), `the probe command of node ${l.from} failed for ${linkName(l)} already before the cut (exit code ${r.exitCode ?? '-'}; see its log): it cannot tell the cut`);
  }

  /** Runs `f` for each link, links of one source one after another, sources at once. */
  private async perSource(links: LinkRef[], f: (l: LinkRef) => Promise<void>): Promise<void> {
    const sources = [...new Set(links.map((l) => l.from))];
    await Promise.all(sources.map((from) => this.serially(from, async () => {
      for (const l of links.filter((x) => x.from === from)) await f(l);
    })));
  }

  private serially<T>(from: string, f: () => Promise<T>): Promise<T> {
    const next = (this.queue.get(from) ?? Promise.resolve()).catch(() => undefined).then(f);
    this.queue.set(from, next);
    return next;
  }

  /**
   * Runs the source node's command for the link, each placeholder filled in as one
   * single-quoted shell word (a URL's host may hold `$(...)`). partition and heal must exit 0;
   * a probe's exit code is its answer, and so is its timing out.
   */
  private async command(name: NetworkCommand, l: LinkRef, mode?: CutMode, timeoutMs = this.host.commandTimeoutMs): Promise<{ exitCode?: number; timedOut?: boolean }> {
    const node = this.host.entry(l.from);
    const template = node.network?.[name];
    if (template === undefined) throw new InfraError(`the cluster file gives node ${l.from} no network ${name} command`);
    const peer = this.dialable(l);
    const values: Record<string, string> = {
      node: node.id, container: node.container ?? '', peer: l.to, peer_host: peer.host!, peer_port: String(peer.port), mode: mode ?? '',
    };
    const command = template.replace(/\{([a-z_]+)\}/g, (whole, key: string) => (values[key] === undefined ? whole : shellQuote(values[key])));
    const r = await runShell(node, `${name} ${linkName(l)}`, command, { log: this.host.log(l.from), timeoutMs, timeoutAnswers: name === 'probe' }, {
      PHANTOM_PEER_ID: l.to, PHANTOM_PEER_HOST: peer.host!, PHANTOM_PEER_PORT: String(peer.port), ...(mode ? { PHANTOM_CUT_MODE: mode } : {}),
    });
    if (name !== 'probe' && r.exitCode !== 0) {
      throw new InfraError(`the ${name} command of node ${l.from} for link ${linkName(l)} failed (${r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode ?? '-'}`}; its output is in ${this.host.log(l.from)})`, { tried: command });
    }
    return r;
  }
}

/** A URL's host as a socket or iptables wants it: an IPv6 literal without its brackets (`[::1]` is `::1`). */
export function bareHost(u: URL): string {
  return u.hostname.startsWith('[') && u.hostname.endsWith(']') ? u.hostname.slice(1, -1) : u.hostname;
}
