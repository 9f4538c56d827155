// A driver owns the cluster's processes (or containers): it starts the topology,
// applies lifecycle faults to single nodes and tears everything down. The engine
// only talks to nodes over HTTP through the URLs a driver hands out.

/**
 * pending: declared, never started. starting: spawned, /health has not answered 200 yet.
 * running: answered /health (only running nodes are picked by random, the default node
 * and `all`). paused: SIGSTOPped. stopped: its process has exited, whoever caused it.
 */
export type NodeState = 'pending' | 'starting' | 'running' | 'paused' | 'stopped';

export interface NodeExit {
  code: number | null;
  signal: string | null;
  /** The scenario did not cause it (no kill, stop or teardown): the node crashed. */
  unexpected: boolean;
}

export interface NodeInfo {
  id: string;
  url: string;
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
}

export interface TeardownReport {
  /** Things that could not be cleaned up; non-empty means exit 4. */
  problems: string[];
  kept: boolean;
}

export interface Driver {
  readonly name: string;
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
  /** Synchronous last resort on process exit: kill every child. */
  emergencyKill(): void;
}
