// The Docker driver: reference-server nodes as containers of the image built from
// reference-server/Dockerfile (image.ts), on one private bridge network per run, each node at
// a fixed address (a restart keeps it) with its data on a volume of its own (a restart keeps
// it too). The runner reaches a node only through its port published on 127.0.0.1 (url); the
// nodes reach each other by network address (peerUrl). Every container, network and volume
// is labelled with the run id, the project and the runner (engine.ts), so the reaper finds
// what a killed runner left.
//
// A node's state follows its container: the engine's `die` events say when one ends, and an
// end the scenario did not cause aborts `crashed`. Logs are attached before each start and
// demultiplexed (the engine's 8-byte frame header) into the node's log file.
//
// Faults: kill (SIGKILL), stop (SIGTERM, then SIGKILL after 10 s), start, pause (the cgroup
// freezer), disk (the data volume is a size-limited tmpfs; a keeper container holds it
// mounted, as the engine unmounts a tmpfs volume when its last user stops), clock
// (libfaketime in the image, its timestamp file replaced inside the container), network
// (links.ts: node-to-node calls through fault proxies on the network's gateway, partitions as
// iptables rules in the caller's namespace). While a node is down a stand-in container holds
// its address, so peers are refused rather than left waiting.

import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { CLIENT, type Capability, type ClockSetting, type ClusterOptions, type Driver, type NodeExit, type NodeInfo, type NodeOptions, type TeardownReport } from '../driver.js';
import { InfraError } from '../../engine/errors.js';
import { pollQuietly } from '../../util/poll.js';
import { pingNodeId } from '../health.js';
import { pollHealthy } from '../process/health.js';
import { freePorts } from '../process/ports.js';
import { clockSupport, faketimeLine, REAL_CLOCK } from '../process/clock.js';
import { apiMessage, connectEngine, LABEL, runLabels, statusOf } from './engine.js';
import { ensureImage, IN_IMAGE } from './image.js';
import { CLOCK_SCRIPT, execNode, FILL_SCRIPT, FREE_SCRIPT, PROBE_SCRIPT } from './exec.js';
import { dockerReaper, listRuns, markKept, removeRun, scratchLogDir } from './reaper.js';
import { DockerLinks } from './links.js';
import { iptablesSupport } from './netfilter.js';
import { readLogTail } from '../log-tail.js';

interface Managed {
  info: NodeInfo;
  opts: NodeOptions;
  /** Its fixed address on the run's network. */
  ip: string;
  volume: string;
  container?: Docker.Container;
  exit?: NodeExit;
  /** We caused its end (kill, stop, teardown): the exit is expected. */
  ending?: boolean;
  /** When the current start was asked for (ns): `die` events from before belong to an earlier life. */
  startedNs: bigint;
  log?: WriteStream;
  /** The container's attached output, demultiplexed into log. */
  output?: NodeJS.ReadableStream & { destroy?: () => void };
  /** Holds its address while it is down (standIn). */
  standIn?: Docker.Container;
  clock?: { setting: ClockSetting; since: number };
}

export interface DockerDriverOptions {
  runId: string;
  /** Extra arguments for every node, after the scenario's own (`run --server-arg`). */
  serverArgs?: string[];
  kind?: 'run' | 'cluster';
}

export class DockerDriver implements Driver {
  readonly name = 'docker';
  /** network needs the host's iptables to put in the image (netfilter.ts); clock, libfaketime. */
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>([
    'processes', 'reaper', 'disk', ...(clockSupport().ok ? ['clock' as const] : []), ...(iptablesSupport().ok ? ['network' as const] : []),
  ]);
  readonly reaper = dockerReaper;
  /** The links, when the cluster was started with `network: true` (links.ts). */
  links?: DockerLinks;
  private helpers = 0;
  private docker!: Docker;
  private readonly nodesById = new Map<string, Managed>();
  private cluster!: ClusterOptions;
  private image = '';
  private events?: NodeJS.ReadableStream & { destroy?: () => void };
  private startedAny = false;
  private tornDown = false;
  private readonly crash = new AbortController();
  readonly crashed = this.crash.signal;

  constructor(private readonly o: DockerDriverOptions) {}

  private get labels(): Record<string, string> {
    return runLabels(this.o.runId, this.o.kind ?? 'run');
  }

  private resourceName(suffix?: string): string {
    return `phantom-${this.o.runId}${suffix ? `-${suffix}` : ''}`;
  }

  async start(opts: ClusterOptions): Promise<NodeInfo[]> {
    this.cluster = opts;
    this.docker = await connectEngine();
    this.image = (await ensureImage(this.docker)).tag;
    this.startedAny = true; // from here on something of ours may exist on the engine
    const logDir = opts.logDir ?? scratchLogDir(this.o.runId);
    mkdirSync(logDir, { recursive: true });
    // With network faults, the client links' proxies get ports from the same call (none collides).
    const ports = await freePorts(opts.nodes.length * (opts.network ? 2 : 1));
    opts.nodes.forEach((n, i) => {
      this.nodesById.set(n.id, {
        opts: n, ip: '', volume: this.resourceName(n.id), startedNs: 0n,
        info: { id: n.id, url: `http://127.0.0.1:${ports[i]}`, peerUrl: '', port: ports[i]!, state: 'pending', log: join(logDir, `${n.id}.log`) },
      });
    });
    // Independent of each other: made at once, as each costs the engine a few hundred ms.
    const [subnet] = await Promise.all([this.createNetwork(), this.createVolumes(opts.prepare?.diskSizeMb), this.watchExits()]);
    [...this.nodesById.values()].forEach((m, i) => {
      m.ip = `${subnet}.${10 + i}`;
      m.info.peerUrl = `http://${m.ip}:${IN_IMAGE.port}`;
    });
    if (opts.network) {
      this.links = await DockerLinks.open(opts.nodes.map((n) => n.id), this.linkHost(`${subnet}.1`), ports.slice(opts.nodes.length), opts.random);
      for (const m of this.nodesById.values()) m.info.clientUrl = this.links.url(CLIENT, m.info.id);
    }
    const initial = opts.nodes.filter((n) => n.start);
    const peers = initial.map((n) => `${n.id}=${this.nodesById.get(n.id)!.info.peerUrl}`).join(',');
    await Promise.all(initial.map(async (n) => {
      await this.create(n.id, peers);
      await this.run(n.id);
    }));
    await Promise.all(initial.map((n) => this.waitHealthy(n.id, opts.readyTimeoutMs, opts.signal)));
    // `cluster up`'s cluster outlives this process: nothing of it is watched from here (open
    // event and log streams would keep the command from exiting); `docker logs` has its output.
    if (this.o.kind === 'cluster') {
      this.closeStreams();
      // Its log files stop here: what start needed them for (a node's last lines) is done.
      if (opts.logDir === undefined) rmSync(logDir, { recursive: true, force: true });
      for (const m of this.nodesById.values()) m.info.log = `docker logs ${this.resourceName(m.info.id)}`;
    }
    return this.nodes();
  }

  private linkHost(gateway: string) {
    return {
      gateway,
      node: (id: string) => ({ ip: this.managed(id).ip, port: this.managed(id).info.port }),
      running: (id: string) => {
        const m = this.managed(id);
        return m.container && !m.exit && (m.info.state === 'starting' || m.info.state === 'running') ? m.container : undefined;
      },
      helper: (node: string) => ({ docker: this.docker, image: this.image, labels: this.labels, name: this.resourceName(`${node}-netfilter-${++this.helpers}`) }),
    };
  }

  /** A bridge network of its own with a /24 the engine does not use yet (fixed addresses need a chosen subnet). */
  private async createNetwork(): Promise<string> {
    const first = Math.floor(Math.random() * 256);
    let last = '';
    for (let i = 0; i < 32; i++) {
      const prefix = `172.30.${(first + i * 7) % 256}`;
      try {
        // Found again by its name and labels (teardown, the reaper): its id is not kept.
        await this.docker.createNetwork({
          Name: this.resourceName(), Driver: 'bridge', CheckDuplicate: true, Labels: this.labels,
          IPAM: { Driver: 'default', Config: [{ Subnet: `${prefix}.0/24`, Gateway: `${prefix}.1` }] },
        });
        return prefix;
      } catch (e) {
        last = apiMessage(e);
        if (!/overlap/i.test(last)) throw new InfraError(`could not create the run's network: ${last}`);
      }
    }
    throw new InfraError(`could not find a free /24 in 172.30.0.0/16 for the run's network: ${last}`);
  }

  /** A volume per node; with disk faults a size-limited tmpfs, held mounted by a keeper container. */
  private async createVolumes(diskSizeMb: number | undefined): Promise<void> {
    const all = [...this.nodesById.values()];
    await Promise.all(all.map((m) => this.docker.createVolume({
      Name: m.volume, Labels: { ...this.labels, [LABEL.node]: m.info.id },
      ...(diskSizeMb ? { Driver: 'local', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: `size=${diskSizeMb}m` } } : {}),
    })));
    if (!diskSizeMb) return;
    const keeper = await this.docker.createContainer({
      name: this.resourceName('keeper'), Image: this.image, Entrypoint: [IN_IMAGE.node, '-e', 'setInterval(() => {}, 1 << 30)'], Cmd: [],
      Labels: { ...this.labels, [LABEL.role]: 'keeper' },
      HostConfig: { NetworkMode: 'none', Mounts: all.map((m) => ({ Type: 'volume' as const, Source: m.volume, Target: `/volumes/${m.info.id}` })) },
    });
    await keeper.start();
  }

  /** Follows the engine's `die` events of this run's containers. */
  private async watchExits(): Promise<void> {
    const stream = await this.docker.getEvents({ filters: { type: ['container'], event: ['die'], label: [`${LABEL.run}=${this.o.runId}`] } as unknown as string });
    this.events = stream as typeof this.events;
    let buf = '';
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const ev = JSON.parse(line) as { timeNano?: number; Actor?: { Attributes?: Record<string, string> } };
          const attrs = ev.Actor?.Attributes ?? {};
          const m = this.nodesById.get(attrs[LABEL.node] ?? '');
          if (m && attrs[LABEL.role] === 'node' && BigInt(ev.timeNano ?? 0) >= m.startedNs) this.exited(m, Number(attrs.exitCode));
        } catch { /* not an event line */ }
      }
    });
    stream.on('error', () => { /* closed at teardown */ });
  }

  private async create(id: string, peers: string): Promise<void> {
    const m = this.nodesById.get(id)!;
    const args = ['--node-id', id, '--http', `0.0.0.0:${IN_IMAGE.port}`, '--data-dir', IN_IMAGE.dataDir, '--peers', peers, '--log-format', this.cluster.logFormat ?? 'json'];
    if (this.cluster.token) args.push('--token', this.cluster.token);
    if (this.links) args.push(...this.links.peerUrlArgs(id));
    const env = { ...m.opts.env, ...(this.cluster.prepare?.clock ? clockEnv() : {}) };
    const portKey = `${IN_IMAGE.port}/tcp`;
    m.container = await this.docker.createContainer({
      name: this.resourceName(id), Image: this.image, Cmd: [...args, ...m.opts.args, ...(this.o.serverArgs ?? [])],
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: { ...this.labels, [LABEL.node]: id, [LABEL.role]: 'node' },
      ExposedPorts: { [portKey]: {} },
      HostConfig: {
        NetworkMode: this.resourceName(),
        PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: String(m.info.port) }] },
        Mounts: [{ Type: 'volume', Source: m.volume, Target: IN_IMAGE.dataDir }],
      },
      NetworkingConfig: { EndpointsConfig: { [this.resourceName()]: { IPAMConfig: { IPv4Address: m.ip } } } },
    });
  }

  /** Attaches the log, then starts the container (output from its first line is kept). */
  private async run(id: string): Promise<void> {
    const m = this.nodesById.get(id)!;
    m.info.state = 'starting';
    m.info.exit = undefined;
    m.exit = undefined;
    m.ending = false;
    m.log ??= createWriteStream(m.info.log, { flags: 'a' });
    await this.removeStandIn(m);
    const stream = await m.container!.attach({ stream: true, stdout: true, stderr: true, logs: false });
    m.output = stream as Managed['output'];
    this.docker.modem.demuxStream(stream, m.log, m.log);
    stream.on('error', () => { /* the container went away */ });
    m.startedNs = BigInt(Date.now() - 1000) * 1_000_000n; // the engine's clock may lag ours a little
    try {
      await m.container!.start();
    } catch (e) {
      m.info.state = 'stopped';
      throw new InfraError(`could not start container ${this.resourceName(id)} for node ${id}: ${apiMessage(e)}`, { logTail: this.logTail(id) });
    }
    await this.links?.restore(id); // a new namespace: its cuts go back in
  }

  /** The state follows the container: whatever ended it, the node is stopped now. */
  private exited(m: Managed, exitCode: number): void {
    if (m.exit) return;
    const wasServing = m.info.state === 'running' || m.info.state === 'paused';
    m.exit = { ...exitOf(exitCode), unexpected: !m.ending };
    m.info.exit = m.exit;
    m.info.state = 'stopped';
    if (m.exit.unexpected && wasServing && !this.crash.signal.aborted) {
      this.crash.abort(new InfraError(`node ${m.info.id} (container ${this.resourceName(m.info.id)}) exited unexpectedly (${describeExit(m.exit)})`, { logTail: this.logTail(m.info.id) }));
    }
  }

  async noticeExits(): Promise<void> {
    const live = [...this.nodesById.values()].filter((m) => m.container && !m.exit && (m.info.state === 'running' || m.info.state === 'paused'));
    await Promise.all(live.map(async (m) => {
      try {
        const s = (await m.container!.inspect()).State;
        if (!s.Running) await pollQuietly(() => Boolean(m.exit), { timeoutMs: 2000, intervalMs: 10, describe: 'exit to be seen' }) || this.exited(m, s.ExitCode);
      } catch (e) {
        if (statusOf(e) === 404) this.exited(m, -1);
      }
    }));
  }

  nodes(): NodeInfo[] {
    return [...this.nodesById.values()].map((m) => ({ ...m.info }));
  }

  node(id: string): NodeInfo {
    return { ...this.managed(id).info };
  }

  private managed(id: string): Managed {
    const m = this.nodesById.get(id);
    if (!m) throw new InfraError(`unknown node ${id}`);
    return m;
  }

  async waitHealthy(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const m = this.managed(id);
    const describe = () => ({ tried: `container ${this.resourceName(id)} (image ${this.image}) published on ${m.info.url}`, logTail: this.logTail(id) });
    await pollHealthy({ id, url: m.info.url, timeoutMs, signal, dead: () => (m.exit ? describeExit(m.exit) : undefined), describe });
    const answeredAs = await pingNodeId(m.info.url);
    if (answeredAs !== undefined && answeredAs !== id) throw new InfraError(`node ${id}: ${m.info.url} answers as node ${answeredAs}, not as ${id}`, describe());
    if (m.info.state === 'starting') m.info.state = 'running';
  }

  logTail(id: string, lines = 20): string {
    return readLogTail(this.managed(id).info.log, lines);
  }


  private expectState(id: string, states: NodeInfo['state'][], action: string): Managed {
    const m = this.managed(id);
    if (!states.includes(m.info.state)) throw new InfraError(`cannot ${action} node ${id}: it is ${m.info.state}`);
    return m;
  }

  /** Waits until the container has stopped and records how it ended (the event may come later). */
  private async ended(m: Managed): Promise<void> {
    const r = (await m.container!.wait({ condition: 'not-running' })) as { StatusCode: number };
    this.exited(m, r.StatusCode);
  }

  /**
   * While a node is down, a container without listeners holds its address: peers dialing it
   * are refused at once (a machine whose process died), as with the process driver, instead
   * of waiting out ARP for an address nobody has.
   */
  private async holdAddress(m: Managed): Promise<void> {
    try {
      m.standIn = await this.docker.createContainer({
        name: this.resourceName(`${m.info.id}-standin`), Image: this.image, Entrypoint: [IN_IMAGE.node, '-e', 'setInterval(() => {}, 1 << 30)'], Cmd: [],
        Labels: { ...this.labels, [LABEL.node]: m.info.id, [LABEL.role]: 'standin' },
        HostConfig: { NetworkMode: this.resourceName() },
        NetworkingConfig: { EndpointsConfig: { [this.resourceName()]: { IPAMConfig: { IPv4Address: m.ip } } } },
      });
      await m.standIn.start();
    } catch (e) {
      throw new InfraError(`node ${m.info.id} is down, but a stand-in holding its address ${m.ip} could not start: ${apiMessage(e)}`);
    }
  }

  private async removeStandIn(m: Managed): Promise<void> {
    const s = m.standIn;
    m.standIn = undefined;
    if (s) await s.remove({ force: true }).catch((e) => { if (statusOf(e) !== 404) throw new InfraError(`could not remove the stand-in of node ${m.info.id}: ${apiMessage(e)}`); });
  }

  async kill(id: string): Promise<void> {
    const m = this.expectState(id, ['running', 'paused'], 'kill');
    m.ending = true;
    try {
      await m.container!.kill({ signal: 'SIGKILL' });
    } catch (e) {
      throw new InfraError(`could not kill node ${id}: ${apiMessage(e)}`);
    }
    await this.ended(m);
    await this.holdAddress(m);
  }

  async stop(id: string): Promise<void> {
    const m = this.expectState(id, ['running', 'paused'], 'stop');
    m.ending = true;
    if (m.info.state === 'paused') await m.container!.unpause(); // a frozen process cannot handle SIGTERM
    try {
      await m.container!.stop({ t: 10 });
    } catch (e) {
      if (statusOf(e) !== 304) throw new InfraError(`could not stop node ${id}: ${apiMessage(e)}`);
    }
    await this.ended(m);
    await this.holdAddress(m);
  }

  async startNode(id: string): Promise<void> {
    this.expectState(id, ['stopped'], 'start');
    await this.run(id);
    await this.waitHealthy(id, this.cluster.readyTimeoutMs, this.cluster.signal);
  }

  async pause(id: string): Promise<void> {
    const m = this.expectState(id, ['running'], 'pause');
    await m.container!.pause();
    m.info.state = 'paused';
  }

  async resume(id: string): Promise<void> {
    const m = this.expectState(id, ['paused'], 'resume');
    await m.container!.unpause();
    m.info.state = 'running';
    await this.links?.restore(id); // cuts changed while it was frozen
  }

  async addNode(id: string): Promise<NodeInfo> {
    const m = this.expectState(id, ['pending'], 'add');
    const members = [...this.nodesById.values()].filter((n) => n.info.state !== 'pending' || n === m);
    await this.create(id, members.map((n) => `${n.info.id}=${n.info.peerUrl}`).join(','));
    await this.run(id);
    await this.waitHealthy(id, this.cluster.readyTimeoutMs, this.cluster.signal);
    return { ...m.info };
  }

  async setClock(id: string, setting: ClockSetting): Promise<void> {
    const m = this.expectState(id, ['running'], 'set the clock of');
    if (!this.cluster.prepare?.clock) throw new InfraError(`cannot set the clock of node ${id}: it was started without libfaketime (the scenario's faults did not ask for it)`);
    const since = Date.now();
    let offsetMs = setting.offsetMs;
    if (setting.rate !== 1) {
      // libfaketime scales the time since the process started: the container's start, to within its exec.
      const started = Date.parse((await m.container!.inspect()).State.StartedAt);
      offsetMs -= (setting.rate - 1) * (since - started);
    }
    await this.inContainer(m, 'set the clock of', CLOCK_SCRIPT, [faketimeLine(offsetMs, setting.rate)]);
    m.clock = { setting, since };
  }

  clockOf(id: string): { setting: ClockSetting; since: number } {
    return this.managed(id).clock ?? { setting: REAL_CLOCK, since: 0 };
  }

  async fillDisk(id: string): Promise<void> {
    await this.inContainer(this.diskNode(id, 'fill'), 'fill the disk of', FILL_SCRIPT);
  }

  async freeDisk(id: string): Promise<void> {
    await this.inContainer(this.diskNode(id, 'free'), 'free the disk of', FREE_SCRIPT);
  }

  /** The disk witness: a page written to a new file in the node's data dir, inside its container. */
  async probeDisk(id: string): Promise<string> {
    const r = await this.inContainer(this.expectState(id, ['running'], 'probe the disk of'), 'probe the disk of', PROBE_SCRIPT);
    return r.stdout.trim();
  }

  private diskNode(id: string, action: string): Managed {
    const m = this.expectState(id, ['running'], `${action} the disk of`);
    if (!this.cluster.prepare?.diskSizeMb) throw new InfraError(`cannot ${action} the disk of node ${id}: its data volume is not a tmpfs (the scenario's faults did not ask for one)`);
    return m;
  }

  private async inContainer(m: Managed, action: string, script: string, args: string[] = []) {
    let r;
    try {
      r = await execNode(m.container!, script, args);
    } catch (e) {
      throw new InfraError(`could not ${action} node ${m.info.id}: exec in its container failed: ${apiMessage(e)}`);
    }
    if (r.exitCode !== 0) throw new InfraError(`could not ${action} node ${m.info.id}: ${r.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${r.exitCode}`}`);
    return r;
  }

  async teardown(opts: { keep: boolean }): Promise<TeardownReport> {
    const report: TeardownReport = { problems: [], kept: opts.keep };
    if (!this.startedAny || this.tornDown) return report;
    this.tornDown = true;
    if (opts.keep) {
      markKept(this.o.runId);
      report.notes = [`its containers, network and volumes are labelled ${LABEL.run}=${this.o.runId}: \`phantom-test clean --all\` removes them`];
      if (this.links) {
        report.notes.push('its nodes reached each other through fault proxies inside this run, which close now: calls between nodes fail on the kept cluster; each node still answers on its own URL');
        await this.links.close(); // open listeners would keep the runner from exiting
      }
      this.closeStreams();
      return report;
    }
    for (const m of this.nodesById.values()) m.ending = true;
    // Gracefully first, as the process driver does; whatever is left is removed by force.
    await Promise.all([...this.nodesById.values()].map(async (m) => {
      if (!m.container || m.exit) return;
      try {
        if (m.info.state === 'paused') await m.container.unpause();
        await m.container.stop({ t: 5 });
      } catch { /* removed by force below */ }
      m.info.state = 'stopped';
    }));
    await this.links?.close();
    this.closeStreams();
    try {
      for (const run of await listRuns(this.docker, this.o.runId)) report.problems.push(...(await removeRun(this.docker, run)).problems);
      const left = await listRuns(this.docker, this.o.runId);
      for (const r of left) {
        report.problems.push(`still on the engine after teardown: ${[...r.containers.map((c) => `container ${c.Names[0]}`), ...r.networks.map((n) => `network ${n.Name}`), ...r.volumes.map((v) => `volume ${v.Name}`)].join(', ')}`);
      }
    } catch (e) {
      report.problems.push(`could not remove the run's containers, network and volumes: ${apiMessage(e)}`);
    }
    return report;
  }

  private closeStreams(): void {
    this.events?.destroy?.();
    for (const m of this.nodesById.values()) {
      m.output?.destroy?.();
      m.log?.end();
    }
  }

  /**
   * On an abrupt exit nothing can be awaited: a detached reaper process removes the run's
   * containers, network and volumes (reap-run.ts). If it cannot, the next run or `clean`
   * finds them by label, their runner being gone.
   */
  emergencyKill(): void {
    if (!this.startedAny || this.tornDown) return;
    this.tornDown = true;
    try {
      const script = fileURLToPath(new URL('./reap-run.js', import.meta.url));
      spawn(process.execPath, [script, this.o.runId], { detached: true, stdio: 'ignore' }).unref();
    } catch { /* the next run's reaper */ }
  }
}

function clockEnv(): Record<string, string> {
  return {
    LD_PRELOAD: IN_IMAGE.libfaketime,
    FAKETIME_TIMESTAMP_FILE: IN_IMAGE.clockFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/** A container's exit status: 128+n means it was ended by signal n. */
function exitOf(code: number): { code: number | null; signal: string | null } {
  if (code > 128 && code < 160) {
    const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name) return { code: null, signal: name };
  }
  return { code, signal: null };
}

function describeExit(e: NodeExit): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code ?? '-'}`;
}
