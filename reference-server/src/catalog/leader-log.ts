// The leader-ordered log, the catalog's first Consensus. One node, the leader (the lowest id in
// the initial --peers list), orders every change: it validates a command by applying it to a
// copy, appends it to its durable log, and pushes it to the peers it believes up before
// answering. Peers that missed entries pull them (on start, periodically, and whenever a request
// shows them a newer catalog version) from the leader or from any peer: entries are
// leader-ordered, so any copy is good. A node that starts with an empty catalog first adopts a
// peer's log if there is one, so a leader that lost its data dir (or a late-added node whose id
// sorts first) rejoins the existing cluster instead of founding a new one; a cluster id keeps
// two catalogs from mixing. With the leader down no change can be ordered (Raft will fix that).
import crypto from 'node:crypto';
import type { Logger } from '../util/log.js';
import { HttpError } from '../util/errors.js';
import { Mutex } from '../util/mutex.js';
import { Gate } from '../util/gate.js';
import { applyCommand, type CatalogCommand, type CatalogEntry } from './commands.js';
import { emptyCatalog, type CatalogState } from './state.js';
import type { CatalogRequest, Consensus, ProposeResult } from './consensus.js';
import type { CatalogLogStore } from './log-store.js';
import type { CatalogRpcHandler, CatalogTransport, LogPage } from './transport.js';
import { planChange } from './plan.js';

export interface PeerAddress {
  id: string;
  url: string;
}

/** What the catalog needs to know about peer liveness (from cluster/liveness). */
export interface CatalogLiveness {
  isUp(nodeId: string): boolean;
  markDown(nodeId: string): void;
}

export interface LeaderLogParts {
  selfId: string;
  /** The initial --peers list: who founds the catalog, and where to look for one. */
  bootstrapPeers: PeerAddress[];
  store: CatalogLogStore;
  transport: CatalogTransport;
  liveness: CatalogLiveness;
  log: Logger;
}

const BROADCAST_TIMEOUT_MS = 1500;
/** How long a catalog request that arrives while the catalog starts waits for it. */
const START_WAIT_MS = 5000;

export class LeaderOrderedLog implements Consensus, CatalogRpcHandler {
  state: CatalogState = emptyCatalog();
  private entries: CatalogEntry[] = [];
  private leaderMutex = new Mutex();
  private syncing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private listeners: Array<(cmd: CatalogCommand) => void> = [];
  /** Opens once start() has adopted or bootstrapped the catalog; no change is ordered before. */
  private readonly started = new Gate();
  private readonly selfId: string;
  private readonly bootstrapPeers: PeerAddress[];
  private readonly store: CatalogLogStore;
  private readonly transport: CatalogTransport;
  private readonly liveness: CatalogLiveness;
  private readonly log: Logger;

  constructor(parts: LeaderLogParts) {
    ({ selfId: this.selfId, bootstrapPeers: this.bootstrapPeers, store: this.store, transport: this.transport, liveness: this.liveness, log: this.log } = parts);
  }

  get leader(): string {
    if (this.state.leader) return this.state.leader;
    return [...this.bootstrapPeers.map((p) => p.id)].sort()[0] ?? this.selfId;
  }

  get ready(): boolean {
    return this.started.isOpen;
  }

  private get isLeader(): boolean {
    return this.leader === this.selfId;
  }

  onApplied(listener: (cmd: CatalogCommand) => void): void {
    this.listeners.push(listener);
  }

  /** Log entries from index `from` on, with what identifies this catalog. */
  page(from: number): LogPage {
    return { cluster_id: this.state.cluster_id, version: this.state.version, entries: this.entries.slice(Math.max(0, from - 1)) };
  }

  open(): void {
    for (const entry of this.store.open()) {
      applyCommand(this.state, entry.command);
      this.entries.push(entry);
    }
  }

  /** Joins the cluster's catalog: adopt a peer's, or (the leader of a new cluster) bootstrap one. */
  async start(): Promise<void> {
    if (this.state.version === 0) {
      const adopted = await this.adoptFromPeers();
      if (!adopted && this.isLeader) {
        await this.leaderMutex.run(() => {
          // A pull prompted by a peer's request may have filled the catalog meanwhile.
          if (this.state.version === 0) {
            this.commit({ kind: 'command', command: { type: 'bootstrap', cluster_id: crypto.randomUUID(), leader: this.selfId, nodes: this.bootstrapPeers } });
          }
        });
      }
    }
    this.started.open();
    if (!this.isLeader) void this.sync();
    this.timer = setInterval(() => {
      if (!this.isLeader) void this.sync();
    }, 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.store.close();
  }

  async propose(req: CatalogRequest, traceId?: string): Promise<ProposeResult> {
    await this.waitStarted();
    if (this.isLeader) return this.leaderHandle(req);
    const leader = this.leader;
    const result = await this.transport.forwardPropose(leader, req, traceId);
    if (this.state.cluster_id && result.cluster_id !== this.state.cluster_id) {
      throw new HttpError(503, `catalog leader ${leader} belongs to another cluster (${result.cluster_id}, ours ${this.state.cluster_id})`);
    }
    if (this.state.version < result.version) await this.sync(leader);
    if (this.state.version < result.version) {
      throw new HttpError(503, `catalog change committed at version ${result.version} but this node could not catch up`);
    }
    return result;
  }

  /** Leader side of `propose`: returns the catalog version after the change. */
  async leaderHandle(req: CatalogRequest): Promise<ProposeResult> {
    // A change ordered before the bootstrap entry would take index 1 and make bootstrap fail.
    await this.waitStarted();
    if (!this.isLeader) throw new HttpError(421, `node ${this.selfId} is not the catalog leader (${this.leader} is)`);
    const committed: CatalogEntry[] = [];
    let rejected: Record<string, string> = {};
    try {
      await this.leaderMutex.run(() => {
        rejected = this.commit(req, committed);
      });
    } finally {
      // Outside the lock: a slow or paused follower delays this change, not every other one.
      if (committed.length > 0) await this.broadcast(committed);
    }
    return { version: this.state.version, cluster_id: this.state.cluster_id, rejected };
  }

  private async waitStarted(): Promise<void> {
    if (await this.started.wait(START_WAIT_MS)) return;
    throw new HttpError(503, `node ${this.selfId} is starting: its catalog has not joined the cluster yet (waited ${START_WAIT_MS / 1000} s); retry shortly`);
  }

  /** Applies entries pushed by the leader; pulls if there is a gap. */
  receive(page: LogPage, from?: string): void {
    if (!this.sameCluster(page, from)) return;
    let gap = false;
    for (const e of page.entries) {
      if (e.index <= this.state.version) continue;
      if (e.index !== this.state.version + 1) {
        gap = true;
        break;
      }
      this.appendApplied(e);
    }
    this.store.flush();
    if (gap) void this.sync(from);
  }

  /** Pulls missing entries from `from` (default: the leader); coalesces concurrent calls. */
  sync(from?: string): Promise<void> {
    const source = from && from !== this.selfId ? from : this.leader;
    if (source === this.selfId) return Promise.resolve();
    this.syncing ??= this.pull(source).finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  noteVersion(version: number, from?: string): Promise<void> {
    return version > this.state.version ? this.sync(from) : Promise.resolve();
  }

  private async pull(source: string): Promise<void> {
    const page = await this.transport.fetchLog(source, this.state.version + 1, 3000);
    if (!page || !this.sameCluster(page, source)) return;
    const before = this.state.version;
    for (const e of page.entries) if (e.index === this.state.version + 1) this.appendApplied(e);
    this.store.flush();
    if (this.state.version !== before) this.log.info({ from: before, to: this.state.version, source }, 'catalog caught up');
  }

  /** With an empty catalog: copy the longest log any bootstrap peer has. */
  private async adoptFromPeers(): Promise<boolean> {
    const others = this.bootstrapPeers.filter((p) => p.id !== this.selfId);
    const pages = await Promise.all(others.map(async (p) => ({ id: p.id, page: await this.transport.fetchLog(p.id, 1, 1000) })));
    const best = pages.filter((p) => p.page && p.page.version > 0).sort((a, b) => b.page!.version - a.page!.version)[0];
    if (!best) return false;
    for (const e of best.page!.entries) if (e.index === this.state.version + 1) this.appendApplied(e);
    this.store.flush();
    this.log.info({ source: best.id, version: this.state.version, leader: this.state.leader }, 'catalog adopted from a peer');
    return true;
  }

  private sameCluster(page: LogPage, from?: string): boolean {
    if (!this.state.cluster_id || !page.cluster_id || page.cluster_id === this.state.cluster_id) return true;
    this.log.error({ peer: from, theirs: page.cluster_id, ours: this.state.cluster_id }, 'ignoring catalog entries from another cluster');
    return false;
  }

  /**
   * Plans a request (leader only, under the mutex), then persists its commands with one fsync
   * and applies them; each applied entry goes into `committed` at once, so that one a listener
   * throws after is still broadcast. Throws, persisting nothing, if the request is invalid.
   */
  private commit(req: CatalogRequest, committed: CatalogEntry[] = []): Record<string, string> {
    try {
      const plan = planChange(this.state, req);
      const base = this.state.version;
      const entries = plan.commands.map((command, i): CatalogEntry => ({ index: base + i + 1, command }));
      for (const entry of entries) this.store.append(entry);
      this.store.flush();
      this.state = plan.next;
      for (const entry of entries) {
        committed.push(entry);
        this.entries.push(entry);
        this.log.info({ catalog_version: entry.index, command: entry.command.type }, 'catalog change committed');
        this.notify(entry.command);
      }
      return plan.rejected;
    } finally {
      this.store.flush();
    }
  }

  /**
   * Pushes entries to every peer and waits, briefly: up to 1.5 s for peers believed up, 250 ms
   * for peers believed down (they may be back; a dead one refuses at once, a paused one only
   * costs the short wait). A peer that misses the push pulls the entries later.
   */
  private async broadcast(entries: CatalogEntry[]): Promise<void> {
    const page: LogPage = { cluster_id: this.state.cluster_id, version: this.state.version, entries };
    const targets = new Set([...this.bootstrapPeers.map((p) => p.id), ...Object.keys(this.state.nodes)]);
    targets.delete(this.selfId);
    await Promise.all(
      [...targets].map((id) =>
        this.transport.pushEntries(id, page, this.liveness.isUp(id) ? BROADCAST_TIMEOUT_MS : 250).then(
          () => undefined,
          () => this.liveness.markDown(id),
        ),
      ),
    );
  }

  /**
   * A committed entry from the leader: on disk first, then in memory. The other order would let
   * a failed write (a full disk) leave the entry applied but not logged, and the next entry
   * logged after a gap that the next start cuts everything from.
   */
  private appendApplied(entry: CatalogEntry): void {
    this.store.append(entry);
    applyCommand(this.state, entry.command);
    this.entries.push(entry);
    this.notify(entry.command);
  }

  private notify(cmd: CatalogCommand): void {
    for (const l of this.listeners) l(cmd);
  }
}
