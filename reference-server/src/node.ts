// One reference-cluster node: storage, catalog, write path, queries, repair and the HTTP API,
// wired together. main.ts turns flags into a NodeConfig and calls start().
import fs from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { NodeConfig } from './config.js';
import { createLogger, type Logger } from './util/log.js';
import { Metrics } from './util/metrics.js';
import { PeerClient, type PeerResponse } from './cluster/peer-client.js';
import { Liveness } from './cluster/liveness.js';
import { raftCatalog, type Catalog } from './catalog/catalog.js';
import { FileRaftStorage } from './catalog/raft/storage.js';
import { HttpCatalogTransport } from './catalog/http-transport.js';
import { ShardRouter } from './sharding/router.js';
import { Wal, type WalEntry } from './storage/wal.js';
import { ShardStore } from './storage/store.js';
import { HintedHandoff } from './repair/hints.js';
import { AntiEntropy } from './repair/anti-entropy.js';
import { ReplicaRefused, WriteCoordinator } from './write/coordinator.js';
import { DistributedQuery } from './cluster/distributed-query.js';
import { QueryExecutor } from './query/executor.js';
import { createHttpServer } from './http/server.js';
import type { NodeApi } from './http/node-api.js';
import { Gate } from './util/gate.js';
import { ShardCopy } from './migration/copy.js';
import { MigrationCoordinator } from './migration/coordinator.js';
import { logMigrationTransitions } from './migration/transition-log.js';
import type { Point } from './types.js';
import { bugs } from './bugs.js';

export { VERSION } from './version.js';
/** Query executor processes per node: two heavy queries at once still leave the node responsive. */
const QUERY_EXECUTORS = 2;

export class ReferenceNode implements NodeApi {
  readonly log: Logger;
  readonly metrics = new Metrics();
  readonly peers: PeerClient;
  readonly liveness: Liveness;
  readonly catalog: Catalog;
  readonly router: ShardRouter;
  readonly wal: Wal;
  readonly store: ShardStore;
  readonly hints: HintedHandoff;
  readonly antiEntropy: AntiEntropy;
  readonly writer: WriteCoordinator;
  /** A migration's copy on this node, and (on the catalog leader) the driver of migrations. */
  readonly shardCopy: ShardCopy;
  readonly migrations: MigrationCoordinator;
  readonly query: DistributedQuery;
  /** Processes that run query stages off the event loop (started on the first query). */
  readonly queryExecutor: QueryExecutor;
  shuttingDown = false;
  /** Opens at the end of start(): until then /health answers 503 and client requests wait. */
  readonly started = new Gate();
  /** What start() is busy with, for that 503. */
  startPhase = 'opening the data dir';
  /** False from start until the first anti-entropy pass: this node may lack writes it missed. */
  caughtUp = false;
  private catchUp: Promise<void> = Promise.resolve();
  private server?: Server;
  private lockFd = -1;
  readonly count = {
    writes: this.metrics.counter('phantom_write_requests_total', 'Write requests received, by API and outcome.'),
    lines: this.metrics.counter('phantom_write_lines_total', 'Line-protocol lines accepted (stored to consistency).'),
    lineErrors: this.metrics.counter('phantom_write_line_errors_total', 'Line-protocol lines rejected.'),
    replicaWrites: this.metrics.counter('phantom_replication_writes_total', 'Replica writes sent to peers, by target and outcome.'),
    replicaApplied: this.metrics.counter('phantom_replication_received_total', 'Replica writes applied on this node, by source.'),
    queries: this.metrics.counter('phantom_query_requests_total', 'SQL queries received, by outcome.'),
    scans: this.metrics.counter('phantom_scan_requests_total', 'Shard scans executed on this node, by db and table.'),
    scanShards: this.metrics.counter('phantom_scan_shards_total', 'Shards scanned on this node, by db and table.'),
    repaired: this.metrics.counter('phantom_anti_entropy_rows_pulled_total', 'Rows pulled from peers by anti-entropy.'),
    http: this.metrics.counter('phantom_http_requests_total', 'HTTP requests, by path group and status.'),
  };

  constructor(readonly config: NodeConfig) {
    this.log = createLogger(config.nodeId, config.logFormat);
    this.peers = new PeerClient(config.nodeId, config.token, () => this.catalog.version, config.peerUrls);
    const peers = config.peers.length > 0 ? config.peers : [{ id: config.nodeId, url: `http://${config.host}:${config.port}` }];
    this.liveness = new Liveness(this.peers, (id) => this.catalog.urlOf(id));
    this.catalog = raftCatalog({
      selfId: config.nodeId,
      bootstrapPeers: peers,
      storage: new FileRaftStorage(path.join(config.dataDir, 'catalog')),
      transport: new HttpCatalogTransport(this.peers, (id) => this.catalog.urlOf(id)),
      log: this.log,
    });
    this.router = new ShardRouter(() => this.catalog.state);
    this.wal = new Wal(path.join(config.dataDir, 'wal'));
    this.store = new ShardStore(path.join(config.dataDir, 'shards.sqlite'));
    // Dropping a table or database in the catalog drops its rows here too.
    this.catalog.onApplied((cmd) => {
      if (cmd.type === 'delete_table') this.store.dropTable(cmd.db, cmd.table);
      if (cmd.type === 'delete_database') for (const t of this.store.localTables()) if (t.db === cmd.db) this.store.dropTable(t.db, t.table);
    });
    this.hints = new HintedHandoff(
      path.join(config.dataDir, 'hints'),
      // PLANTED BUG (bugs.ts): hints-replay-wrong-node sends them to another live node.
      (nodeId, entries) => this.sendToPeer(bugs.has('hints-replay-wrong-node') ? (this.liveNodes().find((id) => id !== nodeId && this.liveness.isUp(id)) ?? nodeId) : nodeId, entries, true, 'hinted-handoff'),
      (id) => this.liveness.isUp(id),
      (err) => err instanceof ReplicaRefused && err.status < 500,
      this.log,
    );
    this.antiEntropy = new AntiEntropy({
      selfId: config.nodeId,
      catalog: this.catalog,
      store: this.store,
      isUp: (id) => this.liveness.isUp(id),
      call: (id, method, p) => this.callPeer(id, method, p),
      log: this.log,
      onRepaired: (rows) => this.count.repaired({}, rows),
    });
    this.writer = new WriteCoordinator({
      selfId: config.nodeId,
      catalog: this.catalog,
      router: this.router,
      liveness: this.liveness,
      hints: this.hints,
      log: this.log,
      applyLocal: (entries, sync, decoded) => this.applyLocal(entries, sync, decoded),
      sendToPeer: (id, entries, sync, traceId) => this.sendToPeer(id, entries, sync, traceId),
    });
    this.shardCopy = new ShardCopy({ store: this.store, call: (id, method, p, timeoutMs) => this.callPeer(id, method, p, undefined, undefined, timeoutMs) });
    this.migrations = new MigrationCoordinator({
      selfId: config.nodeId,
      catalog: this.catalog,
      call: (id, method, p, body, timeoutMs) => this.callPeer(id, method, p, body, undefined, timeoutMs),
      log: this.log,
    });
    logMigrationTransitions(this.catalog, this.log);
    this.queryExecutor = new QueryExecutor(QUERY_EXECUTORS, (msg) => this.log.error(msg));
    this.query = new DistributedQuery({
      selfId: config.nodeId,
      catalog: this.catalog,
      store: this.store,
      isUp: (id) => this.liveness.isUp(id),
      markDown: (id) => this.liveness.markDown(id),
      isCaughtUp: () => this.caughtUp,
      call: (id, method, p, body, traceId, timeoutMs) => this.callPeer(id, method, p, body, traceId, timeoutMs),
      log: this.log,
      executor: this.queryExecutor,
      limits: config.queryLimits,
      onScan: (db, table, shards) => {
        this.count.scans({ db, table });
        this.count.scanShards({ db, table }, shards);
      },
    });
    this.metrics.collected('phantom_hinted_handoff_pending', 'Hints waiting for their target node.', 'gauge', () =>
      this.liveNodes().map((id) => ({ labels: { target: id }, value: this.hints.pendingFor(id) })),
    );
    this.metrics.collected('phantom_hinted_handoff_stored_total', 'Hints stored since start.', 'counter', () => this.hints.stored);
    this.metrics.collected('phantom_hinted_handoff_replayed_total', 'Hints replayed since start.', 'counter', () => this.hints.replayed);
    this.metrics.collected('phantom_hinted_handoff_rejected_total', 'Hints their target refused for good (kept in <node>.rejected).', 'counter', () => this.hints.rejected);
    this.metrics.collected('phantom_catalog_version', 'Index of the last applied catalog command.', 'gauge', () => this.catalog.version);
    this.metrics.collected('phantom_wal_last_seq', 'Sequence number of the last WAL record.', 'gauge', () => this.wal.lastSeq);
    this.metrics.collected('phantom_peer_up', 'Whether this node believes a peer is up.', 'gauge', () =>
      this.liveNodes().map((id) => ({ labels: { node: id }, value: this.liveness.isUp(id) ? 1 : 0 })),
    );
  }

  private liveNodes(): string[] {
    return Object.keys(this.catalog.state.nodes).filter((id) => id !== this.config.nodeId);
  }

  async start(): Promise<void> {
    const { config } = this;
    this.lockDataDir();
    // Its cold start overlaps ours, so the first query does not pay for it.
    this.queryExecutor.warm();
    this.catalog.open();
    const { replayed, quarantined } = this.wal.open(this.store.appliedSeq, this.store.applyRecord);
    if (replayed > 0) this.log.info({ records: replayed }, 'replayed WAL records into the shard store');
    for (const q of quarantined) {
      // Loud, but not fatal: one bad record must not make the whole data dir unusable.
      // Replicas still hold these writes; anti-entropy brings them back where they can apply.
      this.log.error({ seq: q.seq, file: q.file, err: q.error }, 'WAL record could not be applied on replay: QUARANTINED, not applied');
      if (q.seq > 0) this.store.markApplied(q.seq);
    }
    this.server = createHttpServer(this);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(config.port, config.host, () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    // Listening already: peers starting with us read our catalog log while we read theirs.
    this.startPhase = 'joining the cluster catalog';
    await this.catalog.start();
    this.liveness.start();
    this.hints.start();
    this.antiEntropy.start(config.antiEntropyIntervalMs);
    this.migrations.start();
    // After a (re)start this node may have missed writes: it compares with co-owners at once and,
    // until that first pass is done, leaves reads of its shards to other live owners.
    this.catchUp = (async () => {
      await this.catalog.sync();
      if (config.antiEntropyIntervalMs > 0) await this.antiEntropy.runOnce(true);
    })()
      .catch((err) => this.log.warn({ err: (err as Error).message }, 'catch-up pass failed'))
      .finally(() => {
        this.caughtUp = true;
        this.log.info('caught up with co-owners: serving reads');
      });
    this.started.open();
    this.log.info({ http: this.address(), data_dir: config.dataDir, peers: config.peers.map((p) => p.id), leader: this.catalog.leaderId }, 'node started');
  }

  /** Resolves once this node has compared its shards with co-owners (or after `timeoutMs`). */
  async waitCaughtUp(timeoutMs = 10_000): Promise<void> {
    if (this.caughtUp) return;
    await Promise.race([this.catchUp, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  address(): string {
    const a = this.server?.address();
    return a && typeof a === 'object' ? `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : '';
  }

  /**
   * Durable local apply: checked against the store (StoreRefusal, a 400, for entries it could
   * never apply), then the WAL (fsynced unless sync=false), then the SQLite store. If the store
   * still fails, the record is taken back out of the WAL, so replay never meets it.
   */
  applyLocal(entries: WalEntry[], sync: boolean, decoded?: Point[][]): void {
    const points = this.store.check(entries, decoded);
    const seq = this.wal.append(entries, sync);
    try {
      this.store.applyRecord({ seq, entries }, points);
    } catch (err) {
      this.wal.revert(seq);
      throw err;
    }
    if (this.wal.closedSegments() > 0) {
      this.store.checkpoint();
      this.wal.truncate(this.store.appliedSeq);
    }
  }

  async sendToPeer(nodeId: string, entries: WalEntry[], sync: boolean, traceId: string): Promise<void> {
    const url = this.catalog.urlOf(nodeId);
    if (!url) throw new Error(`unknown node ${nodeId}`);
    let res: PeerResponse;
    try {
      res = await this.peers.call(nodeId, url, 'POST', '/internal/write', { body: JSON.stringify({ entries, sync }), traceId, timeoutMs: 5000 });
    } catch (err) {
      this.liveness.markDown(nodeId);
      this.count.replicaWrites({ target: nodeId, outcome: 'unreachable' });
      throw err;
    }
    this.liveness.markUp(nodeId);
    if (res.status !== 204) {
      this.count.replicaWrites({ target: nodeId, outcome: 'error' });
      throw new ReplicaRefused(nodeId, res.status, `node ${nodeId} refused the replica write (${res.status}): ${res.text}`);
    }
    this.count.replicaWrites({ target: nodeId, outcome: 'ok' });
  }

  async callPeer(nodeId: string, method: string, p: string, body?: string, traceId?: string, timeoutMs = 10_000): Promise<PeerResponse> {
    const url = this.catalog.urlOf(nodeId);
    if (!url) throw new Error(`unknown node ${nodeId}`);
    try {
      const res = await this.peers.call(nodeId, url, method, p, { body, traceId, timeoutMs });
      this.liveness.markUp(nodeId);
      return res;
    } catch (err) {
      this.liveness.markDown(nodeId);
      throw err;
    }
  }

  /** Graceful stop: refuse new requests, let in-flight ones finish, close files. */
  async stop(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.log.info('node shutting down');
    this.antiEntropy.stop();
    this.migrations.stop();
    this.hints.stop();
    this.liveness.stop();
    this.catalog.stop();
    this.queryExecutor.close();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      setTimeout(() => this.server?.closeAllConnections(), 2000).unref();
    });
    await this.peers.close();
    this.wal.close();
    this.store.close();
    if (this.lockFd >= 0) fs.closeSync(this.lockFd);
    fs.rmSync(path.join(this.config.dataDir, 'LOCK'), { force: true });
  }

  /** One process per data dir: a second node on the same dir would corrupt it. */
  private lockDataDir(): void {
    const lock = path.join(this.config.dataDir, 'LOCK');
    try {
      const pid = Number(fs.readFileSync(lock, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`data dir ${this.config.dataDir} is in use by process ${pid}`);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    fs.writeFileSync(lock, String(process.pid));
    this.lockFd = fs.openSync(lock, 'r');
  }
}

/**
 * Whether `pid` still runs. A killed node whose parent never reaps it (a launcher script that
 * backgrounded it and exited, in a container whose init reaps nothing) stays a zombie: signal 0
 * still reaches it, but it holds nothing and must not keep its data dir locked.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc (not Linux): signal 0 is all there is
  }
}
