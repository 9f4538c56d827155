// A driver owns the cluster's processes (or containers): it starts the topology,
// performs what faults ask of it and tears everything down. The engine only talks
// to nodes over HTTP through the URLs a driver hands out. What a driver can do is
// declared as capabilities (Jepsen's small optional protocols): a fault or step
// needing one the driver lacks skips its scenario, with the reason, before anything
// starts.

/**
 * pending: declared, never started. starting: spawned, /health has not answered 200 yet.
 * running: answered /health (only running nodes are picked by random, the default node
 * and `all`). paused: SIGSTOPped. stopped: its process has exited, whoever caused it.
 */
import type { CutMode, Dialable, LinkRef, LinkState, ProbeResult, ShapeSpec } from '../net/fault-proxy.js';
import type { Scenario } from '../scenario/types.js';

export type NodeState = 'pending' | 'starting' | 'running' | 'paused' | 'stopped';

export interface NodeExit {
  code: number | null;
  signal: string | null;
  /** The scenario did not cause it (no kill, stop or teardown): the node crashed. */
  unexpected: boolean;
}

/**
 * processes: kill, stop, start, pause, resume a node. network: cut, shape and heal
 * links between nodes. clock: skew a node's clock. disk: fill a node's data dir.
 * reaper: finds and removes what runs killed earlier left behind.
 */
export const CAPABILITIES = ['processes', 'network', 'clock', 'disk', 'reaper'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface NodeInfo {
  id: string;
  /** Where the runner reaches the node. */
  url: string;
  /**
   * Where the other nodes reach it (what --peers names): differs from url once a
   * driver routes node-to-node traffic through something it controls (a fault proxy,
   * a container network).
   */
  peerUrl: string;
  /**
   * Where the scenario's own requests go, when the driver routes them through a link
   * it can cut (the `client` pseudo-node's link to this node); default: url.
   */
  clientUrl?: string;
  port: number;
  state: NodeState;
  /** Per-node log file. */
  log: string;
  dataDir?: string;
  pid?: number;
  /** How its process last ended, once it has. */
  exit?: NodeExit;
}

export interface NodeOptions {
  id: string;
  /** false: declared now, started later with addNode. */
  start: boolean;
  args: string[];
  env: Record<string, string>;
}

export interface ClusterOptions {
  nodes: NodeOptions[];
  token?: string;
  logFormat?: 'json' | 'pretty';
  readyTimeoutMs: number;
  /** Where node logs go (a folder); default: inside the driver's temp dir. */
  logDir?: string;
  signal?: AbortSignal;
  /** Prepared before the nodes start, when the scenario uses clock or disk faults (engine/capabilities.ts). */
  prepare?: { clock?: boolean; diskSizeMb?: number };
  /** The scenario uses network faults: route every link through something the driver can cut. */
  network?: boolean;
  /** Where the driver draws its own random numbers (latency jitter): a stream of the run's seed. */
  random?: () => number;
}

/** A node's wall clock: `offsetMs` ahead of real time (behind if negative), running at `rate`. */
export interface ClockSetting {
  offsetMs: number;
  rate: number;
}

/** The pseudo-node standing for the runner itself: links client->x carry the scenario's requests. */
export const CLIENT = 'client';

/**
 * The directed links a driver with the `network` capability routes and can fault.
 * A link from->to carries the connections `from` opens to `to` (requests and their answers).
 */
export interface LinkControl {
  /** Why the link cannot be faulted (not routed by the driver), or undefined when it can. */
  missing(link: LinkRef): string | undefined;
  /** Resolves once the links are cut (a driver applying firewall rules in containers takes a moment). */
  cut(links: LinkRef[], mode: CutMode): void | Promise<void>;
  shape(links: LinkRef[], spec: ShapeSpec): void | Promise<void>;
  resetPeer(links: LinkRef[]): void | Promise<void>;
  /** Removes every cut and shape from the given links (default: all). */
  heal(links?: LinkRef[]): void | Promise<void>;
  /** Where to dial to send traffic over the link, for witnesses. */
  dialable(link: LinkRef): Dialable;
  /**
   * Where a cut lives on the source's side (the Docker driver's iptables rules in a node's
   * network namespace), the runner dialing `dialable` would not see it: the driver probes
   * from the source instead. Default: probeLink on dialable(link).
   */
  probe?(link: LinkRef, timeoutMs: number): Promise<ProbeResult>;
  /** Whether probe can reach the link's source now (its container runs); default true. */
  probeable?(link: LinkRef): boolean;
  /**
   * Why nothing can confirm the link's state at all (the external driver without a probe
   * command): a witness over it is then unconfirmed, its step inconclusive. Default: it can.
   */
  unwitnessable?(link: LinkRef): string | undefined;
  /** How long a witness over these links may poll at least (a probe through a command takes seconds). */
  readonly witnessTimeoutMs?: number;
  /** Links cut or shaped now. */
  faulted(): LinkState[];
}

export interface TeardownReport {
  /** Things that could not be cleaned up; non-empty means exit 4. */
  problems: string[];
  kept: boolean;
  /** What a person poking at a kept cluster should know about it. */
  notes?: string[];
}

/** What reaping one earlier run (or kept cluster) did. */
export interface ReapResult {
  run_id: string;
  kind: 'run' | 'cluster' | 'kept';
  killed: Array<{ id: string; pid: number }>;
  /** Stopped gracefully (SIGTERM) before any kill. */
  stopped: Array<{ id: string; pid: number }>;
  removed: string[];
  problems: string[];
}

/** A cluster left running on purpose (`cluster up`, `run --keep`). */
export interface LiveCluster {
  id: string;
  kind: 'cluster' | 'kept';
  created: string;
  nodes: Array<{ id: string; url: string; pid?: number; log: string; running: boolean; container?: string }>;
}

/**
 * Cleanup that survives a killed runner (testcontainers' reaper): a driver kind's
 * record of what its runs started, read by the next run, `clean` and `cluster`.
 */
export interface Reaper {
  /** Reaps runs whose runner is gone; with all, also kept clusters and `cluster up`'s. */
  reapOrphans(opts?: { all?: boolean }): Promise<ReapResult[]>;
  /** Clusters started by `cluster up` (and, with kept, left by `run --keep`). */
  liveClusters(opts?: { kept?: boolean }): LiveCluster[] | Promise<LiveCluster[]>;
  /** Stops `cluster up`'s clusters gracefully and removes their data. */
  stopClusters(): Promise<ReapResult[]>;
}

export interface Driver {
  readonly name: string;
  readonly capabilities: ReadonlySet<Capability>;
  readonly reaper: Reaper;
  /**
   * Why this driver cannot run the scenario although it has the capabilities its faults need
   * (the external driver: a node the cluster file lacks, a command it does not give); the
   * scenario is then skipped with this reason, before anything starts.
   */
  refuses?(scenario: Scenario): string | undefined;
  /** The token the cluster requires when the scenario names none (an attached cluster's). */
  readonly token?: string;
  /** Present with the `network` capability once a cluster started with `network: true`. */
  readonly links?: LinkControl;
  /** Starts every node with start != false and waits until each answers /health. */
  start(opts: ClusterOptions): Promise<NodeInfo[]>;
  nodes(): NodeInfo[];
  /**
   * Aborted when a node that was serving exits without the scenario causing it; the
   * reason is an InfraError naming the node, how it ended and its last log lines.
   */
  readonly crashed: AbortSignal;
  /**
   * Waits (briefly) until every child the OS already reports dead has been seen exiting,
   * so nodes() and `crashed` are current: a refused connection can arrive before the
   * exit does.
   */
  noticeExits(): Promise<void>;
  node(id: string): NodeInfo;
  kill(id: string): Promise<void>;
  stop(id: string): Promise<void>;
  /** Starts a stopped node again on the same port and data dir, waits for /health. */
  startNode(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Starts a node declared with start: false; its peers are the current nodes plus itself. */
  addNode(id: string): Promise<NodeInfo>;
  waitHealthy(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** The last lines of a node's log, for error messages. */
  logTail(id: string, lines?: number): string;
  /** Stops everything; with keep, leaves the cluster running and says how to clean it. */
  teardown(opts: { keep: boolean }): Promise<TeardownReport>;
  /** clock capability: from now on node `id` reads real time plus the setting's offset and drift. */
  setClock?(id: string, setting: ClockSetting): Promise<void>;
  /** The clock last set on a node and when (epoch ms, real time): what a witness expects. */
  clockOf?(id: string): { setting: ClockSetting; since: number };
  /** disk capability: fills node `id`'s data dir until a write fails with ENOSPC. */
  fillDisk?(id: string): Promise<void>;
  /** disk capability: gives node `id`'s data dir its room back. */
  freeDisk?(id: string): Promise<void>;
  /**
   * Where the runner cannot see the data dir (a container's): writes a page to a new file in
   * it from the node's side, and says 'ok' or the error code (the disk witnesses).
   */
  probeDisk?(id: string): Promise<string>;
  /** Synchronous last resort on process exit: kill every child. */
  emergencyKill(): void;
}
