// The replicated catalog. One node, the leader (the lowest id in the initial --peers list),
// orders every change: it validates a command by applying it to a copy, appends it to its
// durable log, and pushes it to the peers it believes up before answering. Peers that missed
// entries pull them (on start, periodically, and whenever a request shows them a newer catalog
// version) from the leader or from any peer: entries are leader-ordered, so any copy is good.
// A node that starts with an empty catalog first adopts a peer's log if there is one, so a
// leader that lost its data dir (or a late-added node whose id sorts first) rejoins the
// existing cluster instead of founding a new one; a cluster id keeps two catalogs from mixing.
// Callers only see `propose`, so a consensus log can replace this without touching them.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ColumnSchema } from '../types.js';
import type { Logger } from '../util/log.js';
import { HttpError } from '../util/errors.js';
import { Mutex } from '../util/mutex.js';
import { Gate } from '../util/gate.js';
import { parseWithBigInt, stringifyWithBigInt } from '../util/json.js';
import { appendWhole } from '../util/write-fully.js';
import type { PeerClient } from '../cluster/peer-client.js';
import { applyCommand, type CatalogCommand, type CatalogEntry } from './commands.js';
import { cloneCatalog, DEFAULT_PARTITION_DURATION, emptyCatalog, forkForWrites, type CatalogState, type ShardDef } from './state.js';
import { planAutoShards } from '../sharding/placement.js';
import { nameProblem, tableLimitProblem } from './limits.js';

/** What a node asks of the leader: a command, or an intent the leader turns into commands. */
export type CatalogRequest =
  | { kind: 'command'; command: CatalogCommand }
  /**
   * Create the database and tables if missing and add missing columns (writes). All tables of
   * one write in one request: one round trip and one broadcast, however many tables.
   */
  | { kind: 'ensure_schema'; db: string; tables: Array<{ table: string; columns: ColumnSchema[] }> }
  /** Create shards so each (time, hash) of each table is covered. */
  | { kind: 'ensure_shards'; db: string; tables: Array<{ table: string; points: Array<[bigint, number]> }> }
  /** An explicit layout; the leader assigns the shard ids. */
  | { kind: 'define_layout'; shards: Array<Omit<ShardDef, 'id'>> };

/**
 * What a request did. Per-table requests (ensure_*) go on past a table whose change is invalid
 * (a type conflict, a limit): its error is in `rejected`, the other tables' changes commit.
 */
export interface ProposeResult {
  version: number;
  cluster_id: string;
  rejected: Record<string, string>;
}

/** Commands that realise one part of a request; `table` names the part that may fail alone. */
interface CommandGroup {
  table?: string;
  commands: CatalogCommand[];
  /** Set when planning the table's commands already failed (nothing to commit for it). */
  error?: string;
}

export interface PeerAddress {
  id: string;
  url: string;
}

/** What the catalog needs to know about peer liveness (from cluster/liveness). */
export interface CatalogLiveness {
  isUp(nodeId: string): boolean;
  markDown(nodeId: string): void;
}

interface LogPage {
  cluster_id: string;
  version: number;
  entries: CatalogEntry[];
}

const BROADCAST_TIMEOUT_MS = 1500;
/** How long a catalog request that arrives while the catalog starts waits for it. */
const START_WAIT_MS = 5000;

export class Catalog {
  state: CatalogState = emptyCatalog();
  private entries: CatalogEntry[] = [];
  private fd = -1;
  private leaderMutex = new Mutex();
  private syncing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private listeners: Array<(cmd: CatalogCommand) => void> = [];
  /** Opens once start() has adopted or bootstrapped the catalog; no change is ordered before. */
  private readonly started = new Gate();
  private unflushed = false;

  constructor(
    private readonly dir: string,
    private readonly selfId: string,
    private readonly bootstrapPeers: PeerAddress[],
    private readonly peers: PeerClient,
    private readonly liveness: CatalogLiveness,
    private readonly log: Logger,
  ) {}

  get version(): number {
    return this.state.version;
  }

  get leaderId(): string {
    if (this.state.leader) return this.state.leader;
    return [...this.bootstrapPeers.map((p) => p.id)].sort()[0] ?? this.selfId;
  }

  /** Whether start() has finished: the catalog can take and order changes. */
  get ready(): boolean {
    return this.started.isOpen;
  }

  get isLeader(): boolean {
    return this.leaderId === this.selfId;
  }

  /** URL of a node, from the catalog or the bootstrap peer list. */
  urlOf(nodeId: string): string | undefined {
    return this.state.nodes[nodeId]?.url ?? this.bootstrapPeers.find((p) => p.id === nodeId)?.url;
  }

  /** Called with every command this node applies, in order. */
  onApplied(listener: (cmd: CatalogCommand) => void): void {
    this.listeners.push(listener);
  }

  /** Log entries from index `from` on, with what identifies this catalog. */
  page(from: number): LogPage {
    return { cluster_id: this.state.cluster_id, version: this.state.version, entries: this.entries.slice(Math.max(0, from - 1)) };
  }

  open(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, 'catalog.jsonl');
    if (fs.existsSync(file)) {
      const buf = fs.readFileSync(file);
      let intact = 0; // bytes of complete, valid entries
      for (;;) {
        const nl = buf.indexOf(0x0a, intact);
        if (nl < 0) break; // no newline after it: torn by a crash mid-append
        let entry: CatalogEntry;
        try {
          entry = parseWithBigInt<CatalogEntry>(buf.subarray(intact, nl).toString('utf8'));
        } catch {
          break;
        }
        if (entry.index !== this.state.version + 1) break;
        applyCommand(this.state, entry.command);
        this.entries.push(entry);
        intact = nl + 1;
      }
      // Cut only a torn tail; the intact prefix is never rewritten.
      if (intact < buf.length) fs.truncateSync(file, intact);
    }
    this.fd = fs.openSync(file, 'a');
  }

  /** Joins the cluster's catalog: adopt a peer's, or (the leader of a new cluster) bootstrap one. */
  async start(): Promise<void> {
    if (this.state.version === 0) {
      const adopted = await this.adoptFromPeers();
      if (!adopted && this.isLeader) {
        await this.leaderMutex.run(() => {
          // A pull prompted by a peer's request may have filled the catalog meanwhile.
          if (this.state.version === 0) {
            this.commitLocal({ type: 'bootstrap', cluster_id: crypto.randomUUID(), leader: this.selfId, nodes: this.bootstrapPeers });
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
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** Submits a request to the leader and returns once this node has applied its outcome. */
  async propose(req: CatalogRequest, traceId?: string): Promise<ProposeResult> {
    await this.waitStarted();
    if (this.isLeader) return this.leaderHandle(req);
    const leader = this.leaderId;
    const url = this.urlOf(leader);
    if (!url) throw new HttpError(503, `catalog leader ${leader} has no known address`);
    let res;
    try {
      res = await this.peers.call(leader, url, 'POST', '/internal/catalog/propose', {
        body: stringifyWithBigInt(req),
        traceId,
        timeoutMs: 10_000,
      });
    } catch (err) {
      throw new HttpError(503, `catalog change refused: catalog leader ${leader} is unreachable (${(err as Error).message})`);
    }
    const body = JSON.parse(res.text || '{}');
    if (res.status !== 200) throw new HttpError(res.status, body.error ?? `catalog leader answered ${res.status}`);
    if (this.state.cluster_id && body.cluster_id !== this.state.cluster_id) {
      throw new HttpError(503, `catalog leader ${leader} belongs to another cluster (${body.cluster_id}, ours ${this.state.cluster_id})`);
    }
    if (this.state.version < body.version) await this.sync(leader);
    if (this.state.version < body.version) {
      throw new HttpError(503, `catalog change committed at version ${body.version} but this node could not catch up`);
    }
    return { version: body.version, cluster_id: body.cluster_id, rejected: body.rejected ?? {} };
  }

  /** Leader side of `propose`: returns the catalog version after the change. */
  async leaderHandle(req: CatalogRequest): Promise<ProposeResult> {
    // A change ordered before the bootstrap entry would take index 1 and make bootstrap fail.
    await this.waitStarted();
    if (!this.isLeader) throw new HttpError(421, `node ${this.selfId} is not the catalog leader (${this.leaderId} is)`);
    const rejected: Record<string, string> = {};
    const committed: CatalogEntry[] = [];
    try {
      await this.leaderMutex.run(() => {
        try {
          // Write intents only add tables, columns and shards: a cheap copy is enough for them.
          const fork =
            req.kind === 'ensure_schema' || req.kind === 'ensure_shards'
              ? (st: CatalogState) => forkForWrites(st, req.db, req.tables.map((x) => x.table))
              : (st: CatalogState) => cloneCatalog(st);
          this.commitGroups(this.resolve(req), fork, committed, rejected);
        } finally {
          this.flush();
        }
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
    this.flush();
    if (gap) void this.sync(from);
  }

  /** Pulls missing entries from `from` (default: the leader); coalesces concurrent calls. */
  sync(from?: string): Promise<void> {
    const source = from && from !== this.selfId ? from : this.leaderId;
    if (source === this.selfId) return Promise.resolve();
    this.syncing ??= this.pull(source).finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  /** A peer showed a newer catalog version in a request header. */
  noteVersion(version: number, from?: string): Promise<void> {
    return version > this.state.version ? this.sync(from) : Promise.resolve();
  }

  private async fetchPage(nodeId: string, fromIndex: number, timeoutMs: number): Promise<LogPage | undefined> {
    const url = this.urlOf(nodeId);
    if (!url) return undefined;
    try {
      const res = await this.peers.call(nodeId, url, 'GET', `/internal/catalog/log?from=${fromIndex}`, { timeoutMs });
      return res.status === 200 ? parseWithBigInt<LogPage>(res.text) : undefined;
    } catch {
      return undefined;
    }
  }

  private async pull(source: string): Promise<void> {
    const page = await this.fetchPage(source, this.state.version + 1, 3000);
    if (!page || !this.sameCluster(page, source)) return;
    const before = this.state.version;
    for (const e of page.entries) if (e.index === this.state.version + 1) this.appendApplied(e);
    this.flush();
    if (this.state.version !== before) this.log.info({ from: before, to: this.state.version, source }, 'catalog caught up');
  }

  /** With an empty catalog: copy the longest log any bootstrap peer has. */
  private async adoptFromPeers(): Promise<boolean> {
    const others = this.bootstrapPeers.filter((p) => p.id !== this.selfId);
    const pages = await Promise.all(others.map(async (p) => ({ id: p.id, page: await this.fetchPage(p.id, 1, 1000) })));
    const best = pages.filter((p) => p.page && p.page.version > 0).sort((a, b) => b.page!.version - a.page!.version)[0];
    if (!best) return false;
    for (const e of best.page!.entries) if (e.index === this.state.version + 1) this.appendApplied(e);
    this.flush();
    this.log.info({ source: best.id, version: this.state.version, leader: this.state.leader }, 'catalog adopted from a peer');
    return true;
  }

  private sameCluster(page: LogPage, from?: string): boolean {
    if (!this.state.cluster_id || !page.cluster_id || page.cluster_id === this.state.cluster_id) return true;
    this.log.error({ peer: from, theirs: page.cluster_id, ours: this.state.cluster_id }, 'ignoring catalog entries from another cluster');
    return false;
  }

  /**
   * Turns an intent into the commands that realise it, planned against the current state,
   * grouped by the table they serve. Groups commit in order (a table's creation follows its
   * database's).
   */
  private resolve(req: CatalogRequest): CommandGroup[] {
    if (req.kind === 'command') return [{ commands: [req.command] }];
    if (req.kind === 'define_layout') {
      const first = this.state.next_shard_id;
      return [{ commands: [{ type: 'define_shards', shards: req.shards.map((s, i) => ({ ...s, id: first + i })) }] }];
    }
    const db = this.state.databases[req.db];
    if (req.kind === 'ensure_schema') {
      const groups: CommandGroup[] = [];
      if (!db) groups.push({ commands: [{ type: 'create_database', db: req.db, if_not_exists: true }] });
      for (const { table: name, columns } of req.tables) {
        const table = db?.tables[name];
        if (!table) {
          groups.push({
            table: name,
            commands: [{
              type: 'create_table',
              db: req.db,
              table: name,
              columns: [{ name: 'time', kind: 'time' }, ...columns],
              shard_keys: [],
              num_hash_partitions: 1,
              partition_duration: DEFAULT_PARTITION_DURATION,
              replication_factor: 1,
              consistency: 'one',
              if_not_exists: true,
            }],
          });
          continue;
        }
        const missing = columns.filter((c) => !table.columns.some((have) => have.name === c.name && have.kind === c.kind && have.type === c.type));
        if (missing.length > 0) groups.push({ table: name, commands: [{ type: 'add_columns', db: req.db, table: name, columns: missing }] });
      }
      return groups;
    }
    // Plan against a scratch copy so several points of one new partition yield one set of shards.
    const scratch = forkForWrites(this.state, req.db, []);
    const groups: CommandGroup[] = [];
    for (const { table: name, points } of req.tables) {
      const group: CommandGroup = { table: name, commands: [] };
      groups.push(group);
      const table = db?.tables[name];
      if (!table) throw new HttpError(404, `table not found: ${req.db}.${name}`);
      try {
        for (const [time, hash] of points) {
          const shards = planAutoShards(scratch, table, time, hash);
          if (shards.length === 0) continue;
          const cmd: CatalogCommand = { type: 'define_shards', shards };
          applyCommand(scratch, cmd);
          group.commands.push(cmd);
        }
      } catch (err) {
        if (!(err instanceof HttpError) || err.status !== 400) throw err;
        // Planning failed: commit nothing for this table, and say why.
        group.commands = [];
        group.error = err.message;
      }
    }
    return groups;
  }

  /**
   * Commits each group's commands; a table's invalid change is recorded in `rejected`. The
   * groups are validated on one working copy of the state (`fork`, again only after a failed
   * group), then persisted with one fsync: a write bringing hundreds of tables costs one copy,
   * not one per command.
   */
  private commitGroups(
    groups: CommandGroup[],
    fork: (state: CatalogState) => CatalogState,
    committed: CatalogEntry[],
    rejected: Record<string, string>,
  ): void {
    const base = this.state;
    let work = fork(base);
    const applied: CatalogCommand[] = [];
    for (const group of groups) {
      if (group.error !== undefined) {
        rejected[group.table!] = group.error;
        continue;
      }
      try {
        for (const cmd of group.commands) {
          applyCommand(work, cmd);
          checkLimits(work, cmd);
        }
        applied.push(...group.commands);
      } catch (err) {
        // One table's invalid change fails that table only; anything else fails the request.
        if (group.table === undefined || !(err instanceof HttpError) || err.status !== 400) throw err;
        rejected[group.table] = err.message;
        work = fork(base); // the failed group may have changed it part way
        for (const cmd of applied) applyCommand(work, cmd);
      }
    }
    if (applied.length === 0) return;
    const entries = applied.map((command, i): CatalogEntry => ({ index: base.version + i + 1, command }));
    for (const entry of entries) this.persist(entry);
    this.flush();
    this.state = work;
    for (const entry of entries) {
      committed.push(entry);
      this.entries.push(entry);
      this.log.info({ catalog_version: entry.index, command: entry.command.type }, 'catalog change committed');
      this.notify(entry.command);
    }
  }

  /** Validates, persists and applies one command (leader only, under the mutex). */
  private commitLocal(cmd: CatalogCommand): CatalogEntry {
    const next = cloneCatalog(this.state);
    applyCommand(next, cmd); // throws if invalid: nothing persisted
    checkLimits(next, cmd);
    const entry: CatalogEntry = { index: next.version, command: cmd };
    this.persist(entry);
    this.flush();
    this.state = next;
    this.entries.push(entry);
    this.log.info({ catalog_version: entry.index, command: cmd.type }, 'catalog change committed');
    this.notify(cmd);
    return entry;
  }

  /**
   * Pushes entries to every peer and waits, briefly: up to 1.5 s for peers believed up, 250 ms
   * for peers believed down (they may be back; a dead one refuses at once, a paused one only
   * costs the short wait). A peer that misses the push pulls the entries later.
   */
  private async broadcast(entries: CatalogEntry[]): Promise<void> {
    const body = stringifyWithBigInt({ cluster_id: this.state.cluster_id, version: this.state.version, entries });
    const targets = new Map<string, string>();
    for (const p of this.bootstrapPeers) targets.set(p.id, p.url);
    for (const n of Object.values(this.state.nodes)) targets.set(n.id, n.url);
    targets.delete(this.selfId);
    await Promise.all(
      [...targets].map(([id, url]) =>
        this.peers
          .call(id, url, 'POST', '/internal/catalog/append', { body, timeoutMs: this.liveness.isUp(id) ? BROADCAST_TIMEOUT_MS : 250 })
          .then(
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
    this.persist(entry);
    applyCommand(this.state, entry.command);
    this.entries.push(entry);
    this.notify(entry.command);
  }

  /**
   * Appends an entry to the log file. The fsync is left to flush(), called before any of a
   * batch's entries is acknowledged or broadcast: one fsync per batch, not per entry (the
   * batch is written and flushed in one synchronous run, so nothing sees it unflushed).
   */
  private persist(entry: CatalogEntry): void {
    if (this.fd < 0) throw new HttpError(503, 'catalog is closed');
    appendWhole(this.fd, stringifyWithBigInt(entry) + '\n'); // a torn line would cut every later one on open
    this.unflushed = true;
  }

  private flush(): void {
    if (!this.unflushed || this.fd < 0) return;
    fs.fsyncSync(this.fd);
    this.unflushed = false;
  }

  private notify(cmd: CatalogCommand): void {
    for (const l of this.listeners) l(cmd);
  }
}

/**
 * New schema must stay within the limits every store can apply (catalog/limits.ts). Checked
 * only when the leader commits a command, never when a committed entry is replayed.
 */
function checkLimits(next: CatalogState, cmd: CatalogCommand): void {
  if (cmd.type !== 'create_table' && cmd.type !== 'add_columns') return;
  const table = next.databases[cmd.db]?.tables[cmd.table];
  if (!table) return;
  const problem =
    nameProblem('measurement', table.name) ??
    cmd.columns.map((c) => nameProblem(c.kind === 'tag' ? 'tag key' : 'field key', c.name)).find(Boolean) ??
    tableLimitProblem(table.name, table.columns);
  if (problem) throw new HttpError(400, problem);
}
