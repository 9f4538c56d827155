// The write path on the node that receives a write. It parses and checks the whole batch first
// (so accept_partial=false can refuse before anything is stored anywhere), makes sure the
// catalog knows the table, columns and shards, splits the batch by shard, writes what this node
// owns, sends the rest straight to every owner, and answers once each shard has as many durable
// copies as its consistency level asks. Owners that could not take the write get a durable hint.
import type { ColumnSchema, LineError, Point } from '../types.js';
import type { Logger } from '../util/log.js';
import { nowNs } from '../util/time.js';
import { parseLineProtocol, type WritePrecision } from '../lineprotocol/parse.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Consistency, ShardDef, TableDef } from '../catalog/state.js';
import { shardKeyHash } from '../sharding/hash.js';
import type { ShardRouter } from '../sharding/router.js';
import { ackNodes, writeNodes } from '../sharding/ownership.js';
import { encodePoints } from '../storage/point-codec.js';
import type { WalEntry } from '../storage/wal.js';
import type { HintedHandoff } from '../repair/hints.js';
import type { Liveness } from '../cluster/liveness.js';
import { checkSchema } from './schema-check.js';
import { requiredAcks } from './consistency.js';
import { WriteClock } from './write-clock.js';
import { mergeSameIdentity } from './later-line-wins.js';
import { fenced, waitForFence } from '../migration/write-fence.js';
import { bugs } from '../bugs.js';

/** A replica answered, but refused the write (its status tells whether a retry can help). */
export class ReplicaRefused extends Error {
  constructor(readonly nodeId: string, readonly status: number, message: string) {
    super(message);
  }
}

export interface WriteRequest {
  db: string;
  body: string;
  precision: WritePrecision;
  acceptPartial: boolean;
  noSync: boolean;
  consistency?: Consistency;
  traceId: string;
}

export interface WriteOutcome {
  linesWritten: number;
  errors: LineError[];
  /** Set when nothing was written because replicas were missing (503 rather than 400). */
  unavailable?: string;
}

export interface WriteDeps {
  selfId: string;
  catalog: Catalog;
  router: ShardRouter;
  liveness: Liveness;
  hints: HintedHandoff;
  log: Logger;
  /** Durably applies entries on this node (WAL + store); `decoded[i]` are entries[i]'s points. */
  applyLocal(entries: WalEntry[], sync: boolean, decoded: Point[][]): void;
  /** Sends entries to a peer, which applies them durably; rejects if it could not. */
  sendToPeer(nodeId: string, entries: WalEntry[], sync: boolean, traceId: string): Promise<void>;
}

interface ShardBatch {
  shard: ShardDef;
  table: TableDef;
  points: Point[];
  required: number;
  acks: number;
  /** Owners that could not be reached (or failed): they get a hint. */
  failures: string[];
  /** Owners that answered but refused the write for good, with why. */
  refusals: string[];
}

export class WriteCoordinator {
  private readonly clock: WriteClock;

  constructor(private readonly d: WriteDeps) {
    this.clock = new WriteClock(d.selfId);
  }

  async write(req: WriteRequest): Promise<WriteOutcome> {
    let lines: string[] | undefined; // split only if some line needs reporting
    const lineText = (n: number) => ((lines ??= req.body.split('\n'))[n - 1] ?? '').replace(/\r$/, '');
    // PLANTED BUG (bugs.ts): the unterminated last line is never flushed.
    if (bugs.has('drop-unterminated-last-line') && !req.body.endsWith('\n')) req = { ...req, body: req.body.slice(0, req.body.lastIndexOf('\n') + 1) };
    const parsed = parseLineProtocol(req.body, { precision: req.precision, defaultTime: nowNs() });
    const errors: LineError[] = parsed.errors; // grows below; never spread large arrays (stack limit)
    if (!req.acceptPartial && errors.length > 0) return reject(errors);

    // Schema, per table, against the catalog; then teach the catalog what is new.
    const byTable = groupBy(parsed.points, (p) => p.measurement);
    const accepted = new Map<string, Point[]>();
    const schemaChanges: Array<{ table: string; columns: ColumnSchema[] }> = [];
    for (const [table, tablePoints] of byTable) {
      const existing = this.d.catalog.state.databases[req.db]?.tables[table]?.columns;
      const check = checkSchema(table, tablePoints, existing, lineText);
      append(errors, check.errors);
      if (check.accepted.length > 0) accepted.set(table, check.accepted);
      if (check.accepted.length > 0 && (check.newColumns.length > 0 || !existing)) schemaChanges.push({ table, columns: check.newColumns });
    }
    if (!req.acceptPartial && errors.length > 0) return reject(errors);
    if (accepted.size === 0) return { linesWritten: 0, errors: sortErrors(errors) };
    if (schemaChanges.length > 0) {
      // One catalog request for every table of the write. A table the leader refuses (a
      // concurrent writer chose another type, or took it past a limit) fails its own lines.
      const { rejected } = await this.d.catalog.propose({ kind: 'ensure_schema', db: req.db, tables: schemaChanges }, req.traceId);
      for (const [table, message] of Object.entries(rejected)) {
        for (const p of accepted.get(table) ?? []) errors.push({ error_message: message, line_number: p.line, original_line: lineText(p.line) });
        accepted.delete(table);
      }
    }
    if (!req.acceptPartial && errors.length > 0) return reject(errors);
    const points: Point[] = [];
    for (const list of accepted.values()) append(points, list);

    // Route every point to its shard, creating shards for new time partitions.
    let { batches, routeErrors } = await this.route(req.db, points, lineText, req.traceId, req.consistency);
    // A shard at a migration's cutover holds writes briefly (migration/write-fence.ts); routed again after.
    const held = [...batches.values()].filter((b) => fenced(b.shard)).map((b) => b.shard.id);
    if (held.length > 0) {
      await waitForFence(() => this.d.catalog.state, held);
      ({ batches, routeErrors } = await this.route(req.db, points, lineText, req.traceId, req.consistency));
    }
    append(errors, routeErrors);
    if (!req.acceptPartial && errors.length > 0) return reject(errors);

    // All-or-nothing writes refuse up front when an owner set cannot reach consistency.
    if (!req.acceptPartial) {
      const owners = new Set([...batches.values()].flatMap((b) => ackNodes(b.shard)));
      owners.delete(this.d.selfId);
      const down = new Set(await this.d.liveness.confirmDown([...owners]));
      for (const b of batches.values()) {
        const live = ackNodes(b.shard).filter((n) => !down.has(n)).length;
        if (live < b.required) {
          const missing = ackNodes(b.shard).filter((n) => down.has(n));
          return { linesWritten: 0, errors: [], unavailable: consistencyMessage(b, live, missing, 'available (nothing was written)') };
        }
      }
    }

    await this.replicate(batches, req);

    let written = 0;
    const failed: ShardBatch[] = [];
    for (const b of batches.values()) {
      if (b.acks >= b.required) written += b.points.length;
      else failed.push(b);
    }
    if (failed.length > 0) {
      const msg = failed.map((b) => consistencyMessage(b, b.acks, b.failures, undefined, b.refusals)).join('; ');
      this.d.log.warn({ db: req.db, trace_id: req.traceId, failed_shards: failed.map((b) => b.shard.id) }, msg);
      // All-or-nothing writes, or writes where nothing else failed, answer 503 for the whole body.
      if (!req.acceptPartial || (written === 0 && errors.length === 0)) {
        const partly = written > 0 ? ` (lines for other shards were stored: ${written})` : '';
        return { linesWritten: written, errors: [], unavailable: msg + partly };
      }
      for (const b of failed) {
        const m = consistencyMessage(b, b.acks, b.failures, undefined, b.refusals);
        for (const p of b.points) errors.push({ error_message: m, line_number: p.line, original_line: lineText(p.line) });
      }
    }
    return { linesWritten: written, errors: sortErrors(errors) };
  }

  private async route(db: string, points: Point[], lineText: (n: number) => string, traceId: string, override?: Consistency) {
    const routeErrors: LineError[] = [];
    const hashes = new Map<Point, number>();
    const tables = new Map<string, TableDef>();
    const tableOf = (name: string) => {
      let t = tables.get(name);
      if (!t) tables.set(name, (t = this.d.catalog.state.databases[db]!.tables[name]!));
      return t;
    };
    const misses: Point[] = [];
    for (const p of points) {
      const table = tableOf(p.measurement);
      const h = shardKeyHash(p.tags, table.shard_keys);
      hashes.set(p, h);
      if (!this.d.router.find(db, p.measurement, p.time, h)) misses.push(p);
    }
    if (misses.length > 0) {
      const byTable = groupBy(misses, (p) => p.measurement);
      const tables = [...byTable].map(([table, list]) => ({ table, points: list.map((p): [bigint, number] => [p.time, hashes.get(p)!]) }));
      const { rejected } = await this.d.catalog.propose({ kind: 'ensure_shards', db, tables }, traceId);
      for (const [table, message] of Object.entries(rejected)) {
        for (const p of byTable.get(table) ?? []) routeErrors.push({ error_message: message, line_number: p.line, original_line: lineText(p.line) });
      }
    }
    const failedLines = new Set(routeErrors.map((e) => e.line_number));
    const batches = new Map<number, ShardBatch>();
    for (const p of points) {
      if (failedLines.has(p.line)) continue;
      const shard = this.d.router.find(db, p.measurement, p.time, hashes.get(p)!);
      if (!shard) {
        routeErrors.push({ error_message: `no shard covers this point of ${db}.${p.measurement}`, line_number: p.line, original_line: lineText(p.line) });
        continue;
      }
      let b = batches.get(shard.id);
      if (!b) {
        const table = tableOf(p.measurement);
        const level = override ?? table.consistency;
        batches.set(shard.id, (b = { shard, table, points: [], required: requiredAcks(level, ackNodes(shard).length), acks: 0, failures: [], refusals: [] }));
      }
      b.points.push(p);
    }
    return { batches, routeErrors };
  }

  /** Writes each shard batch to all its owners; resolves when every shard is decided. */
  private async replicate(batches: Map<number, ShardBatch>, req: WriteRequest): Promise<void> {
    const ver = this.clock.next();
    const perNode = new Map<string, { entries: WalEntry[]; shards: ShardBatch[]; decoded: Point[][] }>();
    for (const b of batches.values()) {
      // One version for the whole write: repeated identities are merged first (later line wins).
      const rows = mergeSameIdentity(b.points);
      const entry: WalEntry = { db: req.db, table: b.table.name, shard: b.shard.id, ver, points: encodePoints(rows) };
      for (const n of writeNodes(b.shard)) {
        let w = perNode.get(n);
        if (!w) perNode.set(n, (w = { entries: [], shards: [], decoded: [] }));
        w.entries.push(entry);
        w.decoded.push(rows);
        w.shards.push(b);
      }
    }
    const local = perNode.get(this.d.selfId);
    if (local) {
      this.d.applyLocal(local.entries, !req.noSync, local.decoded);
      for (const b of local.shards) if (ackNodes(b.shard).includes(this.d.selfId)) b.acks++;
    }
    const remote = [...perNode].filter(([n]) => n !== this.d.selfId);
    if (remote.length === 0) return;
    await new Promise<void>((resolve) => {
      let outstanding = remote.length;
      const decided = () => [...batches.values()].every((b) => b.acks >= b.required);
      if (decided()) resolve();
      for (const [nodeId, w] of remote) {
        this.d
          .sendToPeer(nodeId, w.entries, !req.noSync, req.traceId)
          .then(
            () => {
              // A migration's target or former owner takes the write but does not count (ownership.ts).
              for (const b of w.shards) if (ackNodes(b.shard).includes(nodeId)) b.acks++;
            },
            (err: Error) => {
              // Only a replica that may take the write later gets a hint; one that refused it
              // (4xx) would refuse the replay too.
              if (err instanceof ReplicaRefused && err.status < 500) {
                for (const b of w.shards) b.refusals.push(`${nodeId} (${err.message})`);
                this.d.log.error({ target: nodeId, trace_id: req.traceId, db: req.db, err: err.message }, 'replica refused the write');
                return;
              }
              for (const b of w.shards) b.failures.push(nodeId);
              try {
                this.d.hints.store(nodeId, w.entries);
                this.d.log.warn({ target: nodeId, trace_id: req.traceId, db: req.db, err: err.message }, 'replica write failed; hint stored');
              } catch (hintErr) {
                this.d.log.error({ target: nodeId, trace_id: req.traceId, err: (hintErr as Error).message }, 'replica write failed and its hint could not be stored; anti-entropy will repair it');
              }
            },
          )
          .finally(() => {
            outstanding--;
            if (outstanding === 0 || decided()) resolve();
          });
      }
    });
  }
}

function consistencyMessage(b: ShardBatch, acked: number, failed: string[], verb = 'acknowledged', refused: string[] = []): string {
  return (
    `write consistency not reached for shard ${b.shard.id} of ${b.shard.db}.${b.shard.table}: ` +
    `${acked} of ${ackNodes(b.shard).length} replicas ${verb}, ${b.required} required` +
    // Sorted: replicas fail in whatever order their calls end; the message should not vary.
    (failed.length ? `; unavailable: ${[...failed].sort().join(', ')}` : '') +
    (refused.length ? `; refused by ${[...refused].sort().join(', ')}` : '')
  );
}

function reject(errors: LineError[]): WriteOutcome {
  const sorted = sortErrors(errors);
  return { linesWritten: 0, errors: sorted.slice(0, 1) };
}

function sortErrors(errors: LineError[]): LineError[] {
  return errors.sort((a, b) => a.line_number - b.line_number);
}

/** Appends without spreading (a spread of ~100k elements overflows the call stack). */
function append<T>(to: T[], from: T[]): void {
  for (const x of from) to.push(x);
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(it);
  }
  return m;
}
