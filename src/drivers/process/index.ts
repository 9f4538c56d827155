// The process driver: reference-server nodes as local child processes on 127.0.0.1,
// each with a free port, a temp data dir and its log file. Children run in their
// own process group (so a terminal's Ctrl-C reaches only the runner, which then
// tears down in order) and are listed in a run record for reaping. A node's state
// follows its process: starting until /health answers, stopped when it exits, and an
// exit the scenario did not cause aborts `crashed`.
//
// Clock and disk faults (clock.ts, disk.ts) are prepared before the nodes start, only when
// the scenario uses them: each node then runs under libfaketime reading its own timestamp
// file (at offset 0 until a clock fault), and has its data dir on a size-limited tmpfs.

import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { CLIENT, type Capability, type ClockSetting, type ClusterOptions, type Driver, type NodeExit, type NodeInfo, type NodeOptions, type TeardownReport } from '../driver.js';
import { InfraError } from '../../engine/errors.js';
import { defaultServerEntry } from '../../util/paths.js';
import { freePorts } from './ports.js';
import { pollHealthy } from './health.js';
import { pingNodeId } from '../health.js';
import { pollQuietly } from '../../util/poll.js';
import { isRunning, processStart, removeRecord, writeRecord, type RunRecord } from './registry.js';
import { processReaper } from './reaper.js';
import { clockEnv, clockSupport, processStartMs, reapFaketimeOf, REAL_CLOCK, resetClock, setClock } from './clock.js';
import { diskSupportSync, fill, free, mountDataDir, unmount, unmountLazilySync } from './disk.js';
import { ProcessLinks } from './links.js';
import { readLogTail } from '../log-tail.js';

interface Managed {
  info: NodeInfo;
  opts: NodeOptions;
  args: string[];
  child?: { pid?: number; unref(): void };
  exit?: NodeExit;
  /** We sent the signal that ends it (kill, stop, teardown): its exit is expected. */
  ending?: boolean;
  /** The libfaketime timestamp file it reads its clock from, and what was last set there. */
  clockFile?: string;
  clock?: { setting: ClockSetting; since: number };
  /** Its data dir is a tmpfs we mounted. */
  mounted?: boolean;
}

export interface ProcessDriverOptions {
  runId: string;
  /** Path to the server's entry (a .js file run with this node, or an executable). */
  server?: string;
  /** Extra arguments for every node, after the scenario's own (`run --server-arg`). */
  serverArgs?: string[];
  /** cluster: started by `cluster up`, outlives this process. */
  kind?: 'run' | 'cluster';
}

export class ProcessDriver implements Driver {
  readonly name = 'process';
  /** network through the fault proxy; clock with libfaketime; disk with root (a tmpfs per node). */
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>([
    'processes', 'reaper', 'network', ...(clockSupport().ok ? ['clock' as const] : []), ...(diskSupportSync().ok ? ['disk' as const] : []),
  ]);
  readonly reaper = processReaper;
  /** The fault proxies, when the cluster was started with `network: true` (links.ts). */
  links?: ProcessLinks;
  private readonly nodesById = new Map<string, Managed>();
  private readonly server: string;
  private tempDir = '';
  private cluster!: ClusterOptions;
  private record!: RunRecord;
  private readonly crash = new AbortController();
  readonly crashed = this.crash.signal;

  constructor(private readonly o: ProcessDriverOptions) {
    this.server = resolve(o.server ?? defaultServerEntry());
  }

  async start(opts: ClusterOptions): Promise<NodeInfo[]> {
    this.cluster = opts;
    if (!existsSync(this.server)) {
      throw new InfraError(`reference server not found at ${this.server} (build it with \`npm run build\`, or point --server or PHANTOM_SERVER at a server entry)`, {
        tried: this.command([]).join(' '),
      });
    }
    // The record names the temp dir before the dir exists, so a runner killed at any
    // point after this leaves nothing that a record does not lead to.
    this.tempDir = join(tmpdir(), `phantom-${this.o.runId}`);
    this.record = {
      version: 1, run_id: this.o.runId, kind: this.o.kind ?? 'run', owner_pid: process.pid,
      owner_start: processStart(process.pid), created: new Date().toISOString(), temp_dir: this.tempDir, children: [],
    };
    writeRecord(this.record);
    mkdirSync(this.tempDir, { mode: 0o700 }); // not recursive: never adopt a dir someone else made
    const logDir = opts.logDir ?? join(this.tempDir, 'logs');
    mkdirSync(logDir, { recursive: true });

    const initial = opts.nodes.filter((n) => n.start);
    // Nodes and (with network faults) their link proxies get ports from one call, so no two collide.
    const links = opts.network ? ProcessLinks.count(opts.nodes.length) : 0;
    const ports = await freePorts(opts.nodes.length + links);
    opts.nodes.forEach((n, i) => {
      const port = ports[i]!;
      const dataDir = join(this.tempDir, n.id);
      this.nodesById.set(n.id, {
        opts: n, args: [],
        info: { id: n.id, url: `http://127.0.0.1:${port}`, peerUrl: `http://127.0.0.1:${port}`, port, state: 'pending', log: join(logDir, `${n.id}.log`), dataDir },
      });
    });
    await this.prepareFaults(opts);
    if (opts.network) {
      this.links = await ProcessLinks.open(new Map(opts.nodes.map((n, i) => [n.id, ports[i]!])), ports.slice(opts.nodes.length), opts.random);
      for (const m of this.nodesById.values()) m.info.clientUrl = this.links.url(CLIENT, m.info.id);
    }
    const peers = initial.map((n) => `${n.id}=${this.nodesById.get(n.id)!.info.peerUrl}`).join(',');
    for (const n of initial) this.nodesById.get(n.id)!.args = this.nodeArgs(n, peers);
    for (const n of initial) this.spawn(n.id);
    await Promise.all(initial.map((n) => this.waitHealthy(n.id, opts.readyTimeoutMs, opts.signal)));
    return this.nodes();
  }

  /** Clock files at offset 0 and tmpfs data dirs, each in the run record before it exists. */
  private async prepareFaults(opts: ClusterOptions): Promise<void> {
    const all = [...this.nodesById.values()];
    if (opts.prepare?.clock) {
      mkdirSync(join(this.tempDir, 'clock'));
      for (const m of all) m.clockFile = join(this.tempDir, 'clock', `${m.info.id}.faketime`);
      this.record.clock_files = all.map((m) => m.clockFile!);
      writeRecord(this.record);
      for (const m of all) resetClock(m.clockFile!);
    }
    if (opts.prepare?.diskSizeMb) {
      this.record.mounts = all.map((m) => m.info.dataDir!);
      writeRecord(this.record);
      for (const m of all) {
        try {
          await mountDataDir(m.info.dataDir!, opts.prepare.diskSizeMb);
        } catch (e) {
          throw new InfraError(`could not put node ${m.info.id}'s data dir on a tmpfs: ${(e as Error).message}`);
        }
        m.mounted = true;
      }
    }
  }

  private nodeArgs(n: NodeOptions, peers: string): string[] {
    const m = this.nodesById.get(n.id)!;
    const args = ['--node-id', n.id, '--http', `127.0.0.1:${m.info.port}`, '--data-dir', m.info.dataDir!, '--peers', peers];
    if (this.cluster.token) args.push('--token', this.cluster.token);
    args.push('--log-format', this.cluster.logFormat ?? 'json');
    if (this.links) args.push(...this.links.peerUrlArgs(n.id));
    return [...args, ...n.args, ...(this.o.serverArgs ?? [])];
  }

  private command(args: string[]): string[] {
    return /\.[cm]?js$/.test(this.server) ? [process.execPath, this.server, ...args] : [this.server, ...args];
  }

  private spawn(id: string): void {
    const m = this.nodesById.get(id)!;
    mkdirSync(m.info.dataDir!, { recursive: true });
    // Recorded as starting (no pid yet) before it exists; reaping also finds it by its data dir.
    m.info.state = 'starting';
    m.info.pid = undefined;
    m.info.exit = undefined;
    m.exit = undefined;
    m.ending = false;
    this.saveRecord();
    const [file, ...args] = this.command(m.args);
    // The child writes its log straight into the file (not through a pipe to us), so
    // logging survives a runner killed with SIGKILL. execa's types omit raw fds.
    const fd = openSync(m.info.log, 'a') as unknown as 'ignore';
    try {
      const child = execa(file!, args, {
        detached: true, cleanup: false, reject: false, stdin: 'ignore', stdout: fd, stderr: fd,
        env: { ...m.opts.env, ...(m.clockFile ? clockEnv(m.clockFile) : {}) }, extendEnv: true,
      });
      m.child = child;
      child.on('exit', (code, signal) => this.exited(m, code, signal));
      child.catch(() => { /* exit status is read from m.exit */ });
      if (this.o.kind === 'cluster') child.unref();
    } finally {
      closeSync(fd as unknown as number);
    }
    m.info.pid = m.child!.pid;
    this.saveRecord();
    // libfaketime counts a drift from the process start: a new process needs it restated.
    if (m.clock && m.clock.setting.rate !== 1 && m.info.pid !== undefined) this.writeClock(m, m.clock);
  }

  private writeClock(m: Managed, c: { setting: ClockSetting; since: number }): void {
    setClock(m.clockFile!, c.setting, { since: c.since, ...(c.setting.rate !== 1 ? { processStartMs: processStartMs(m.info.pid!) } : {}) });
  }

  /** The state follows the process: whatever ended it, the node is stopped now. */
  private exited(m: Managed, code: number | null, signal: string | null): void {
    const wasServing = m.info.state === 'running' || m.info.state === 'paused';
    m.exit = { code, signal, unexpected: !m.ending };
    m.info.exit = m.exit;
    m.info.state = 'stopped';
    // A node that exits while starting is reported by whoever waits for its /health.
    if (m.exit.unexpected && wasServing && !this.crash.signal.aborted) {
      this.crash.abort(new InfraError(`node ${m.info.id} (pid ${m.info.pid}) exited unexpectedly (${describeExit(m.exit)})`, { logTail: this.logTail(m.info.id) }));
    }
  }

  private saveRecord(): void {
    this.record.children = [...this.nodesById.values()]
      .filter((m) => m.info.state !== 'pending')
      .map((m) => ({ id: m.info.id, ...(m.info.pid !== undefined ? { pid: m.info.pid } : {}), port: m.info.port, url: m.info.url, data_dir: m.info.dataDir!, log: m.info.log }));
    writeRecord(this.record);
  }

  async noticeExits(): Promise<void> {
    const dying = [...this.nodesById.values()].filter((m) => m.child && !m.exit && m.info.pid !== undefined && !isRunning(m.info.pid));
    await pollQuietly(() => dying.every((m) => m.exit), { timeoutMs: 2000, intervalMs: 5, describe: 'exits to be seen' });
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
    await pollHealthy({
      id, url: m.info.url, timeoutMs, signal,
      dead: () => (m.exit ? describeExit(m.exit) : undefined),
      describe: () => ({ tried: this.command(m.args).join(' '), logTail: this.logTail(id) }),
    });
    // Healthy, but is it this node? Another process on its port (it could not bind) would pass.
    const answeredAs = await pingNodeId(m.info.url);
    if (answeredAs !== undefined && answeredAs !== id) {
      throw new InfraError(`node ${id}: port ${m.info.port} answers as node ${answeredAs}, not as ${id} (${m.exit ? describeExit(m.exit) : 'another process holds the port'})`, {
        tried: this.command(m.args).join(' '), logTail: this.logTail(id),
      });
    }
    // Serving now: from here on random picks, the default node and `all` may choose it.
    if (m.info.state === 'starting') m.info.state = 'running';
  }

  logTail(id: string, lines = 20): string {
    return readLogTail(this.managed(id).info.log, lines);
  }


  /** Sends a signal and waits (bounded) for the process to exit. */
  private async signalAndWait(m: Managed, signal: NodeJS.Signals, waitMs: number): Promise<boolean> {
    const child = m.child;
    if (!child || m.exit) return true;
    m.ending = true;
    try { process.kill(child.pid!, signal); } catch { /* already gone */ }
    if (m.info.state === 'paused' && signal !== 'SIGKILL') {
      try { process.kill(child.pid!, 'SIGCONT'); } catch { /* gone */ }
    }
    return pollQuietly(() => Boolean(m.exit), { timeoutMs: waitMs, intervalMs: 5, describe: `node ${m.info.id} to exit` });
  }

  async kill(id: string): Promise<void> {
    const m = this.expectState(id, ['running', 'paused'], 'kill');
    if (!(await this.signalAndWait(m, 'SIGKILL', 5000))) throw new InfraError(`node ${id} (pid ${m.info.pid}) did not die after SIGKILL`);
    m.info.state = 'stopped';
  }

  async stop(id: string): Promise<void> {
    const m = this.expectState(id, ['running', 'paused'], 'stop');
    if (!(await this.signalAndWait(m, 'SIGTERM', 10_000))) {
      await this.signalAndWait(m, 'SIGKILL', 5000);
      throw new InfraError(`node ${id} did not stop within 10 s of SIGTERM (killed it)`, { logTail: this.logTail(id) });
    }
    m.info.state = 'stopped';
  }

  async startNode(id: string): Promise<void> {
    this.expectState(id, ['stopped'], 'start');
    this.spawn(id);
    await this.waitHealthy(id, this.cluster.readyTimeoutMs, this.cluster.signal);
  }

  async pause(id: string): Promise<void> {
    const m = this.expectState(id, ['running'], 'pause');
    process.kill(m.info.pid!, 'SIGSTOP');
    m.info.state = 'paused';
  }

  async resume(id: string): Promise<void> {
    const m = this.expectState(id, ['paused'], 'resume');
    process.kill(m.info.pid!, 'SIGCONT');
    m.info.state = 'running';
  }

  async setClock(id: string, setting: ClockSetting): Promise<void> {
    const m = this.expectState(id, ['running'], 'set the clock of');
    if (!m.clockFile) throw new InfraError(`cannot set the clock of node ${id}: it was started without libfaketime (the scenario's faults did not ask for it)`);
    const c = { setting, since: Date.now() };
    this.writeClock(m, c);
    m.clock = c;
  }

  clockOf(id: string): { setting: ClockSetting; since: number } {
    return this.managed(id).clock ?? { setting: REAL_CLOCK, since: 0 };
  }

  async fillDisk(id: string): Promise<void> {
    fill(this.mountedDataDir(this.expectState(id, ['running'], 'fill the disk of'), 'fill'));
  }

  async freeDisk(id: string): Promise<void> {
    free(this.mountedDataDir(this.expectState(id, ['running'], 'free the disk of'), 'free'));
  }

  private mountedDataDir(m: Managed, action: string): string {
    if (!m.mounted) throw new InfraError(`cannot ${action} the disk of node ${m.info.id}: its data dir is not on a tmpfs (the scenario's faults did not ask for one)`);
    return m.info.dataDir!;
  }

  async addNode(id: string): Promise<NodeInfo> {
    const m = this.expectState(id, ['pending'], 'add');
    const members = [...this.nodesById.values()].filter((n) => n.info.state !== 'pending' || n === m);
    m.args = this.nodeArgs(m.opts, members.map((n) => `${n.info.id}=${n.info.peerUrl}`).join(','));
    this.spawn(id);
    await this.waitHealthy(id, this.cluster.readyTimeoutMs, this.cluster.signal);
    return { ...m.info };
  }

  private expectState(id: string, states: NodeInfo['state'][], action: string): Managed {
    const m = this.managed(id);
    if (!states.includes(m.info.state)) throw new InfraError(`cannot ${action} node ${id}: it is ${m.info.state}`);
    return m;
  }

  async teardown(opts: { keep: boolean }): Promise<TeardownReport> {
    const report: TeardownReport = { problems: [], kept: opts.keep };
    if (!this.record) return report;
    if (opts.keep) {
      // The fault proxies end with this process: a kept cluster of a scenario with network
      // faults loses its node-to-node routes (README, "Drivers").
      if (this.links) {
        report.notes = ['its nodes reached each other through fault proxies inside this run, which close now: calls between nodes (replication, catalog, cross-node queries) fail on the kept cluster; each node still answers on its own URL'];
        await this.links.close(); // open listeners would keep the runner from ever exiting
      }
      this.record.kind = 'kept';
      writeRecord(this.record);
      for (const m of this.nodesById.values()) m.child?.unref();
      return report;
    }
    await Promise.all([...this.nodesById.values()].map(async (m) => {
      if (!m.child || m.exit) return;
      if (m.info.state === 'paused') { try { process.kill(m.info.pid!, 'SIGCONT'); } catch { /* gone */ } m.info.state = 'running'; }
      if (!(await this.signalAndWait(m, 'SIGTERM', 5000))) {
        if (!(await this.signalAndWait(m, 'SIGKILL', 5000))) {
          report.problems.push(`node ${m.info.id} (pid ${m.info.pid}) is still running`);
          return;
        }
      }
      m.info.state = 'stopped';
    }));
    await this.links?.close();
    // Only once every node is gone: a mount still in use would need a lazy unmount.
    for (const m of this.nodesById.values()) {
      if (!m.mounted) continue;
      try { await unmount(m.info.dataDir!); m.mounted = false; } catch (e) { report.problems.push((e as Error).message); }
    }
    if (this.record.clock_files) await reapFaketimeOf(this.tempDir);
    try {
      rmSync(this.tempDir, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      report.problems.push(`could not remove ${this.tempDir}: ${(e as Error).message}`);
    }
    if (report.problems.length === 0) removeRecord(this.o.runId);
    return report;
  }

  emergencyKill(): void {
    for (const m of this.nodesById.values()) {
      if (m.child && !m.exit && m.info.pid) { m.ending = true; try { process.kill(m.info.pid, 'SIGKILL'); } catch { /* gone */ } }
    }
    if (this.tempDir) unmountLazilySync(`${this.tempDir}/`);
    try { if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true }); } catch { /* best effort */ }
    if (this.record) removeRecord(this.o.runId);
  }
}

function describeExit(e: NodeExit): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code ?? '-'}`;
}
