// The external driver: attaches to a cluster someone else runs (a docker-compose project,
// a staging cluster), listed in a cluster file (cluster-file.ts). It never starts or stops
// the cluster: start checks every listed node answers /health, teardown undoes the faults
// it injected (starts what it killed or stopped, resumes what it paused) and drops the
// databases the scenario created. Faults go through each node's container or commands
// (node-actions.ts), partitions through the file's network commands (network.ts); a
// scenario needing an action, a node or a fault kind the file does not provide is skipped
// with the reason before anything runs.

import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Capability, ClusterOptions, Driver, NodeInfo, Reaper, TeardownReport } from '../driver.js';
import { InfraError, errorMessage } from '../../engine/errors.js';
import { scenarioNeeds } from '../../engine/capabilities.js';
import { topologyNodes, type Scenario } from '../../scenario/types.js';
import { pingNodeId } from '../health.js';
import { probeHealth } from '../../faults/probe.js';
import { pollHealthy } from '../process/health.js';
import type { ExternalCluster, ExternalNode, NodeAction } from './cluster-file.js';
import { canDo, perform } from './node-actions.js';
import { ExternalLinks } from './network.js';
import { dropCreatedDatabases, listDatabases } from './databases.js';
import { readLogTail } from '../log-tail.js';

/** What each node fault asks of the node; a kill or stop also needs start, to undo it at teardown. */
const ACTIONS_OF_FAULT: Record<string, NodeAction[]> = {
  kill: ['kill', 'start'], stop: ['stop', 'start'], restart: ['stop', 'start'], start: ['start'],
  pause: ['pause', 'resume'], resume: ['resume'],
};

/** Network fault kinds the file's commands can do (cut and heal); the others need a proxy on each link. */
const COMMAND_NETWORK_FAULTS = new Set(['partition', 'heal']);

/** How long start waits for a listed node's /health: the cluster is already running. */
const ATTACH_TIMEOUT_MS = 5000;

/** Nothing of an attached cluster outlives a run: there is nothing to reap. */
export const externalReaper: Reaper = {
  reapOrphans: async () => [],
  liveClusters: () => [],
  stopClusters: async () => [],
};

interface Attached {
  entry: ExternalNode;
  info: NodeInfo;
  /** This run killed, stopped or paused it: teardown brings it back. */
  faulted: boolean;
}

/** How long teardown waits for a node it started again (a loaded machine starts slowly). */
const TEARDOWN_START_TIMEOUT_MS = 60_000;

export class ExternalDriver implements Driver {
  readonly name = 'external';
  readonly capabilities: ReadonlySet<Capability>;
  readonly reaper = externalReaper;
  readonly token?: string;
  private readonly crash = new AbortController();
  readonly crashed = this.crash.signal;
  /** Present once a cluster started with `network: true` (the scenario has network faults). */
  links?: ExternalLinks;
  private readonly nodesById = new Map<string, Attached>();
  private cluster?: ClusterOptions;
  /** The databases the cluster held when the scenario started (never dropped). */
  private before?: Set<string>;

  constructor(private readonly o: { runId: string; cluster: ExternalCluster }) {
    // Node faults when the file says how to do any of them; which ones is checked per scenario (refuses).
    const anyMeans = o.cluster.nodes.some((n) => n.container !== undefined || Object.keys(n.commands ?? {}).length > 0);
    const anyCuts = o.cluster.nodes.some((n) => n.network?.partition !== undefined);
    this.capabilities = new Set<Capability>([...(anyMeans ? ['processes' as const] : []), ...(anyCuts ? ['network' as const] : [])]);
    if (o.cluster.token !== undefined) this.token = o.cluster.token;
  }

  refuses(scenario: Scenario): string | undefined {
    const file = this.o.cluster.file;
    const topology = topologyNodes(scenario.doc.cluster);
    const listed = new Set(this.o.cluster.nodes.map((n) => n.id));
    const absent = topology.filter((n) => !listed.has(n.id)).map((n) => n.id);
    if (absent.length) return `the scenario's cluster names node(s) ${absent.join(', ')} that the cluster file ${file} does not list (it lists ${[...listed].join(', ')})`;
    const late = topology.find((n) => n.start === false);
    if (late) return `node ${late.id} starts late (start: false, for add_node): the external driver attaches to a running cluster and cannot add nodes`;
    for (const need of scenarioNeeds(scenario)) {
      if (need.capability === 'network') {
        if (!COMMAND_NETWORK_FAULTS.has(need.kind ?? '')) return `${need.what} (at ${need.where}) needs a proxy on each link, and the external driver only cuts and heals links through the cluster file's network commands`;
        const unable = topology.map((n) => this.entry(n.id)).find((n) => n.network?.partition === undefined);
        if (unable) return `${need.what} (at ${need.where}) needs the network partition and heal commands, and the cluster file ${file} gives node ${unable.id} none`;
      }
      for (const action of ACTIONS_OF_FAULT[need.kind ?? ''] ?? []) {
        const unable = topology.map((n) => this.entry(n.id)).find((n) => !canDo(n, action));
        if (unable) return `${need.what} (at ${need.where}) needs the ${action} action, and the cluster file ${file} gives node ${unable.id} neither a container nor a ${action} command`;
      }
    }
    return undefined;
  }

  private entry(id: string): ExternalNode {
    return this.o.cluster.nodes.find((n) => n.id === id)!;
  }

  async start(opts: ClusterOptions): Promise<NodeInfo[]> {
    this.cluster = opts;
    const logDir = opts.logDir ?? join(tmpdir(), `phantom-${this.o.runId}-logs`);
    mkdirSync(logDir, { recursive: true });
    // The scenario's nodes, in its order; the file may list more (they keep running, unused).
    for (const n of opts.nodes) {
      const entry = this.entry(n.id);
      const port = Number(new URL(entry.url).port) || (entry.url.startsWith('https:') ? 443 : 80);
      const info: NodeInfo = { id: n.id, url: entry.url, peerUrl: entry.peerUrl, port, state: 'starting', log: join(logDir, `${n.id}.log`) };
      this.nodesById.set(n.id, { entry, info, faulted: false });
      appendFileSync(info.log, `[phantom-test ${new Date().toISOString()}] attached to ${entry.url} (cluster file ${this.o.cluster.file})\n`);
    }
    // Every node the file lists must answer, not only the scenario's: a cluster missing one is not the cluster described.
    await Promise.all(this.o.cluster.nodes.map((n) => this.answers(n, Math.min(ATTACH_TIMEOUT_MS, opts.readyTimeoutMs), opts.signal)));
    for (const a of this.nodesById.values()) a.info.state = 'running';
    if (opts.network) {
      this.links = await ExternalLinks.open(opts.nodes.map((n) => this.entry(n.id)), {
        entry: (id) => this.attached(id).entry,
        log: (id) => this.attached(id).info.log,
        running: (id) => this.attached(id).info.state === 'running',
        commandTimeoutMs: this.o.cluster.commandTimeoutMs,
      }, opts.random);
      for (const a of this.nodesById.values()) {
        const via = this.links.clientUrl(a.info.id);
        if (via) a.info.clientUrl = via;
      }
    }
    const first = [...this.nodesById.values()][0]!;
    try {
      this.before = new Set(await listDatabases(first.info.url, opts.token ?? this.token));
    } catch (e) {
      throw new InfraError(`node ${first.info.id} (${first.info.url}) does not list its databases: ${errorMessage(e)}`);
    }
    return this.nodes();
  }

  /** The node answers /health with 200, as itself. */
  private async answers(n: ExternalNode, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const where = `node ${n.id} (${n.url}) of the cluster file ${this.o.cluster.file}`;
    try {
      await pollHealthy({ id: n.id, url: n.url, timeoutMs, signal, describe: () => ({ tried: `GET ${n.url}/health`, logTail: '' }) });
    } catch (e) {
      if (!(e instanceof InfraError)) throw e;
      throw new InfraError(`${where} is unreachable: no 200 from GET ${n.url}/health within ${timeoutMs} ms`, { tried: `GET ${n.url}/health` });
    }
    const as = await pingNodeId(n.url);
    if (as !== undefined && as !== n.id) throw new InfraError(`${where} answers as node ${as}: check the ids and URLs in the cluster file`);
  }

  nodes(): NodeInfo[] {
    return [...this.nodesById.values()].map((a) => ({ ...a.info }));
  }

  node(id: string): NodeInfo {
    return { ...this.attached(id).info };
  }

  private attached(id: string): Attached {
    const a = this.nodesById.get(id);
    if (!a) throw new InfraError(`unknown node ${id}`);
    return a;
  }

  /**
   * Not our processes: no exit to see. A node this run has not faulted that now refuses
   * connections has gone down all the same: its state says so and `crashed` names it (a hung
   * node is left alone: slow is not down).
   */
  async noticeExits(): Promise<void> {
    await Promise.all([...this.nodesById.values()].filter((a) => a.info.state === 'running' && !a.faulted).map(async (a) => {
      const p = await probeHealth(a.info.url, 1000);
      if (p.kind !== 'refused' || a.info.state !== 'running' || a.faulted) return;
      a.info.state = 'stopped';
      a.info.exit = { code: null, signal: null, unexpected: true };
      if (!this.crash.signal.aborted) {
        this.crash.abort(new InfraError(`node ${a.info.id} (${a.info.url}) stopped answering (connection refused) without the scenario stopping it`, { tried: `GET ${a.info.url}/health`, logTail: this.logTail(a.info.id) }));
      }
    }));
  }

  private async act(a: Attached, action: NodeAction): Promise<void> {
    await perform(a.entry, action, { log: a.info.log, timeoutMs: this.o.cluster.commandTimeoutMs });
  }

  private expectState(id: string, states: NodeInfo['state'][], action: string): Attached {
    const a = this.attached(id);
    if (!states.includes(a.info.state)) throw new InfraError(`cannot ${action} node ${id}: it is ${a.info.state}`);
    return a;
  }

  async kill(id: string): Promise<void> {
    const a = this.expectState(id, ['running', 'paused'], 'kill');
    a.faulted = true;
    await this.act(a, 'kill');
    a.info.state = 'stopped';
  }

  async stop(id: string): Promise<void> {
    const a = this.expectState(id, ['running', 'paused'], 'stop');
    a.faulted = true;
    // A frozen process cannot handle a graceful stop.
    if (a.info.state === 'paused') { await this.act(a, 'resume'); a.info.state = 'running'; }
    await this.act(a, 'stop');
    a.info.state = 'stopped';
  }

  async startNode(id: string, timeoutMs = this.cluster?.readyTimeoutMs ?? 30_000, signal = this.cluster?.signal): Promise<void> {
    const a = this.expectState(id, ['stopped'], 'start');
    a.info.state = 'starting';
    await this.act(a, 'start');
    await this.waitHealthy(id, timeoutMs, signal);
    a.faulted = false;
  }

  async pause(id: string): Promise<void> {
    const a = this.expectState(id, ['running'], 'pause');
    a.faulted = true;
    await this.act(a, 'pause');
    a.info.state = 'paused';
  }

  async resume(id: string): Promise<void> {
    const a = this.expectState(id, ['paused'], 'resume');
    await this.act(a, 'resume');
    a.info.state = 'running';
    a.faulted = false;
  }

  async addNode(id: string): Promise<NodeInfo> {
    throw new InfraError(`cannot add node ${id}: the external driver attaches to a running cluster`);
  }

  async waitHealthy(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const a = this.attached(id);
    await pollHealthy({ id, url: a.info.url, timeoutMs, signal, describe: () => ({ tried: `GET ${a.info.url}/health`, logTail: this.logTail(id) }) });
    if (a.info.state === 'starting') a.info.state = 'running';
  }

  logTail(id: string, lines = 20): string {
    return readLogTail(this.attached(id).info.log, lines);
  }


  /** Leaves the cluster running: brings back what this run faulted, then drops what the scenario created. */
  async teardown(opts: { keep: boolean }): Promise<TeardownReport> {
    const report: TeardownReport = { problems: [], kept: opts.keep };
    for (const a of this.nodesById.values()) {
      if (!a.faulted) continue;
      try {
        if (a.info.state === 'paused') await this.resume(a.info.id);
        // Someone else's cluster must not be left with a node down: wait longer than a step would,
        // also after Ctrl-C (the run's signal is aborted then; a second Ctrl-C exits at once).
        else if (a.info.state === 'stopped' || a.info.state === 'starting') { a.info.state = 'stopped'; await this.startNode(a.info.id, Math.max(TEARDOWN_START_TIMEOUT_MS, this.cluster?.readyTimeoutMs ?? 0), undefined); }
      } catch (e) {
        report.problems.push(`could not bring node ${a.info.id} back after its fault (${a.info.url}): ${errorMessage(e)}`);
      }
    }
    // Cuts after the nodes are back: a heal runs on its source's side (docker run --network
    // container:{container} needs the container running). Someone else's cluster must not stay
    // partitioned: a heal that fails is reported.
    if (this.links) {
      try {
        await this.links.heal();
      } catch (e) {
        report.problems.push(`could not heal every link the run cut: ${errorMessage(e)}`);
      }
      await this.links.close();
    }
    const first = [...this.nodesById.values()].find((a) => a.info.state === 'running');
    if (this.before && first) {
      if (opts.keep) {
        report.notes = [`the databases the scenario created are left on the cluster of ${this.o.cluster.file} (--keep)`];
      } else {
        try {
          report.problems.push(...(await dropCreatedDatabases(first.info.url, this.cluster?.token ?? this.token, this.before)).problems);
        } catch (e) {
          report.problems.push(`could not drop the databases the scenario created: ${errorMessage(e)}`);
        }
      }
    }
    return report;
  }

  /** Nothing to kill: the cluster is not ours. */
  emergencyKill(): void {}
}
