// The replicated catalog. One node, the leader (the lowest id in the initial --peers list),
// orders every change: it validates a command by applying it to a copy, appends it to its
// durable log, pushes it to every reachable peer and only then answers. Peers that were
// unreachable catch up by pulling the log (on start, periodically, and whenever a request shows
// them a newer catalog version). Callers only see `propose`, so a consensus log can replace
// this without touching them.
import fs from 'node:fs';
import path from 'node:path';
import type { ColumnSchema } from '../types.js';
import type { Logger } from '../util/log.js';
import { HttpError } from '../util/errors.js';
import { Mutex } from '../util/mutex.js';
import { parseWithBigInt, stringifyWithBigInt } from '../util/json.js';
import { PeerUnreachable, type PeerClient } from '../cluster/peer-client.js';
import { applyCommand, type CatalogCommand, type CatalogEntry } from './commands.js';
import { DEFAULT_PARTITION_DURATION, emptyCatalog, type CatalogState } from './state.js';
import { planAutoShards } from '../sharding/placement.js';

/** What a node asks of the leader: a command, or an intent the leader turns into commands. */
export type CatalogRequest =
  | { kind: 'command'; command: CatalogCommand }
  /** Create the database/table if missing and add missing columns (writes). */
  | { kind: 'ensure_schema'; db: string; table: string; columns: ColumnSchema[] }
  /** Create shards so each (time, hash) of the table is covered. */
  | { kind: 'ensure_shards'; db: string; table: string; points: Array<[bigint, number]> };

export interface PeerAddress {
  id: string;
  url: string;
}

export class Catalog {
  state: CatalogState = emptyCatalog();
  private entries: CatalogEntry[] = [];
  private fd = -1;
  private leaderMutex = new Mutex();
  private syncing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private listeners: Array<() => void> = [];

  constructor(
    private readonly dir: string,
    private readonly selfId: string,
    private readonly bootstrapPeers: PeerAddress[],
    private readonly peers: PeerClient,
    private readonly log: Logger,
  ) {}

  get version(): number {
    return this.state.version;
  }

  get leaderId(): string {
    if (this.state.leader) return this.state.leader;
    return [...this.bootstrapPeers.map((p) => p.id)].sort()[0] ?? this.selfId;
  }

  get isLeader(): boolean {
    return this.leaderId === this.selfId;
  }

  /** URL of a node, from the catalog or the bootstrap peer list. */
  urlOf(nodeId: string): string | undefined {
    return this.state.nodes[nodeId]?.url ?? this.bootstrapPeers.find((p) => p.id === nodeId)?.url;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  open(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, 'catalog.jsonl');
    if (fs.existsSync(file)) {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      for (const line of lines) {
        if (!line.trim()) continue;
        let entry: CatalogEntry;
        try {
          entry = parseWithBigInt<CatalogEntry>(line);
        } catch {
          break; // a torn last line from a crash mid-append: everything before it is intact
        }
        if (entry.index !== this.state.version + 1) break;
        applyCommand(this.state, entry.command);
        this.entries.push(entry);
      }
      // Rewrite without a torn tail so appends start on a clean line.
      fs.writeFileSync(file, this.entries.map((e) => stringifyWithBigInt(e) + '\n').join(''));
    }
    this.fd = fs.openSync(file, 'a');
  }

  /** Starts background work: bootstrap (leader) or catch-up pulls (followers). */
  async start(): Promise<void> {
    if (this.isLeader && this.state.version === 0) {
      await this.leaderMutex.run(() =>
        this.commitLocal({ type: 'bootstrap', leader: this.selfId, nodes: this.bootstrapPeers }),
      );
    }
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

  entriesFrom(index: number): CatalogEntry[] {
    return this.entries.slice(Math.max(0, index - 1));
  }

  /** Submits a request to the leader and returns once this node has applied its outcome. */
  async propose(req: CatalogRequest, traceId?: string): Promise<void> {
    if (this.isLeader) {
      await this.leaderHandle(req);
      return;
    }
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
    if (this.state.version < body.version) await this.sync();
    if (this.state.version < body.version) {
      throw new HttpError(503, `catalog change committed at version ${body.version} but this node could not catch up`);
    }
  }

  /** Leader side of `propose`: returns the catalog version after the change. */
  leaderHandle(req: CatalogRequest): Promise<number> {
    if (!this.isLeader) return Promise.reject(new HttpError(421, `node ${this.selfId} is not the catalog leader (${this.leaderId} is)`));
    return this.leaderMutex.run(async () => {
      for (const cmd of this.resolve(req)) await this.commitLocal(cmd);
      return this.state.version;
    });
  }

  /** Applies entries pushed by the leader; pulls if there is a gap. */
  receive(entries: CatalogEntry[]): void {
    let gap = false;
    for (const e of entries) {
      if (e.index <= this.state.version) continue;
      if (e.index !== this.state.version + 1) {
        gap = true;
        break;
      }
      this.appendApplied(e);
    }
    this.notify();
    if (gap) void this.sync();
  }

  /** Pulls missing entries from the leader (coalesces concurrent calls). */
  sync(): Promise<void> {
    if (this.isLeader) return Promise.resolve();
    this.syncing ??= this.pull().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  /** A peer showed a newer catalog version in a request header. */
  noteVersion(version: number): Promise<void> {
    return version > this.state.version ? this.sync() : Promise.resolve();
  }

  private async pull(): Promise<void> {
    const leader = this.leaderId;
    const url = this.urlOf(leader);
    if (!url) return;
    try {
      const res = await this.peers.call(leader, url, 'GET', `/internal/catalog/log?from=${this.state.version + 1}`, {
        timeoutMs: 3000,
      });
      if (res.status !== 200) return;
      const { entries } = parseWithBigInt<{ entries: CatalogEntry[] }>(res.text);
      const before = this.state.version;
      for (const e of entries) if (e.index === this.state.version + 1) this.appendApplied(e);
      if (this.state.version !== before) {
        this.log.info({ from: before, to: this.state.version }, 'catalog caught up from leader');
        this.notify();
      }
    } catch (err) {
      if (!(err instanceof PeerUnreachable)) this.log.warn({ err: (err as Error).message }, 'catalog pull failed');
    }
  }

  /** Turns an intent into the commands that realise it against the current state. */
  private resolve(req: CatalogRequest): CatalogCommand[] {
    if (req.kind === 'command') return [req.command];
    const db = this.state.databases[req.db];
    if (req.kind === 'ensure_schema') {
      const cmds: CatalogCommand[] = [];
      if (!db) cmds.push({ type: 'create_database', db: req.db, if_not_exists: true });
      const table = db?.tables[req.table];
      if (!table) {
        cmds.push({
          type: 'create_table',
          db: req.db,
          table: req.table,
          columns: [{ name: 'time', kind: 'time' }, ...req.columns],
          shard_keys: [],
          num_hash_partitions: 1,
          partition_duration: DEFAULT_PARTITION_DURATION,
          replication_factor: 1,
          consistency: 'one',
          if_not_exists: true,
        });
      } else {
        const missing = req.columns.filter((c) => !table.columns.some((have) => have.name === c.name && have.kind === c.kind && have.type === c.type));
        if (missing.length > 0) cmds.push({ type: 'add_columns', db: req.db, table: req.table, columns: missing });
      }
      return cmds;
    }
    const table = db?.tables[req.table];
    if (!table) throw new HttpError(404, `table not found: ${req.db}.${req.table}`);
    // Plan against a scratch copy so several points of one new partition yield one set of shards.
    const scratch = structuredClone(this.state);
    const cmds: CatalogCommand[] = [];
    for (const [time, hash] of req.points) {
      const shards = planAutoShards(scratch, table, time, hash);
      if (shards.length === 0) continue;
      const cmd: CatalogCommand = { type: 'define_shards', shards };
      applyCommand(scratch, cmd);
      cmds.push(cmd);
    }
    return cmds;
  }

  private async commitLocal(cmd: CatalogCommand): Promise<void> {
    const next = structuredClone(this.state);
    applyCommand(next, cmd); // throws if invalid: nothing persisted
    const entry: CatalogEntry = { index: next.version, command: cmd };
    this.persist(entry);
    this.state = next;
    this.entries.push(entry);
    this.log.info({ catalog_version: entry.index, command: cmd.type }, 'catalog change committed');
    this.notify();
    await this.broadcast([entry]);
  }

  private async broadcast(entries: CatalogEntry[]): Promise<void> {
    const body = stringifyWithBigInt({ entries });
    const targets = new Map<string, string>();
    for (const p of this.bootstrapPeers) targets.set(p.id, p.url);
    for (const n of Object.values(this.state.nodes)) targets.set(n.id, n.url);
    targets.delete(this.selfId);
    await Promise.all(
      [...targets].map(async ([id, url]) => {
        try {
          await this.peers.call(id, url, 'POST', '/internal/catalog/append', { body, timeoutMs: 1500 });
        } catch {
          /* it pulls when it is back */
        }
      }),
    );
  }

  private appendApplied(entry: CatalogEntry): void {
    applyCommand(this.state, entry.command);
    this.persist(entry);
    this.entries.push(entry);
  }

  private persist(entry: CatalogEntry): void {
    if (this.fd < 0) throw new HttpError(503, 'catalog is closed');
    fs.writeSync(this.fd, stringifyWithBigInt(entry) + '\n');
    fs.fsyncSync(this.fd);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}
