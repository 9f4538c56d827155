// Distributed queries on the coordinator: plan the SQL, prune shards by time and shard-key
// equality, scan one live owner per shard (this node first), gather, and run the final SQL
// over the gathered rows. A shard with no reachable owner fails the query with 503 naming it.
import type { Logger } from '../util/log.js';
import { HttpError } from '../util/errors.js';
import { nowNs } from '../util/time.js';
import { parseWithBigInt, stringifyWithBigInt } from '../util/json.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ShardDef } from '../catalog/state.js';
import { tableShards } from '../catalog/state.js';
import { shardKeyHash } from '../sharding/hash.js';
import { readNodes } from '../sharding/ownership.js';
import type { ShardStore } from '../storage/store.js';
import { PeerUnreachable, type PeerResponse } from './peer-client.js';
import {
  QueryError,
  decodeScanResult,
  encodeScanResult,
  type CatalogView,
  type QueryPlan,
  type ScanResult,
  type TablePruning,
  type TableScan,
} from '../query/index.js';
import type { CatalogSnapshot, QueryBudget, QueryExecutor } from '../query/executor.js';
import { timeLimitError, type QueryLimits } from '../query/limits.js';
import { bugs } from '../bugs.js';

export type QueryFormat = 'json' | 'jsonl' | 'csv' | 'pretty';

export interface QueryRequest {
  db: string;
  sql: string;
  format: QueryFormat;
  local: boolean;
  traceId: string;
}

export interface QueryDeps {
  selfId: string;
  catalog: Catalog;
  store: ShardStore;
  isUp(nodeId: string): boolean;
  markDown(nodeId: string): void;
  /** False while this node may still lack writes it missed while down (see ReferenceNode). */
  isCaughtUp(): boolean;
  call(nodeId: string, method: string, path: string, body: string, traceId: string, timeoutMs: number): Promise<PeerResponse>;
  log: Logger;
  /** Runs parse, scans and the final stage off the event loop, within the query's budget. */
  executor: QueryExecutor;
  limits: QueryLimits;
  onScan(db: string, table: string, shards: number): void;
}

/**
 * A scan asked a node for shards it does not read from (by its catalog, caught up with the
 * leader's): a query planned on a catalog from before a migration's cutover, whose source has
 * since handed the shard over and may have deleted its copy. The coordinator plans those
 * shards again on a caught-up catalog; an answer from such a node could miss rows.
 */
export class ShardsNotHeld extends HttpError {
  constructor(readonly node: string, readonly shards: number[]) {
    super(409, `node ${node} does not hold shard${shards.length === 1 ? '' : 's'} ${shards.join(', ')} for reads (any more): its catalog has moved ${shards.length === 1 ? 'it' : 'them'} elsewhere`, { not_held: shards });
  }
}

/** How often one shard may be planned again because its owner had handed it over, before the query gives up. */
const MAX_REPLANS = 3;

/** Most tag-value combinations we hash to prune shards (IN lists multiply). */
const MAX_PRUNE_COMBINATIONS = 256;
/** A peer answers a scan past its deadline within this: only a later silence means it is unreachable. */
const REMOTE_SCAN_GRACE_MS = 2_000;

export class DistributedQuery {
  constructor(private readonly d: QueryDeps) {}

  catalogView(): CatalogView {
    const state = () => this.d.catalog.state;
    return {
      databaseExists: (db) => !!state().databases[db],
      tableColumns: (db, table) => state().databases[db]?.tables[table]?.columns,
      tableNames: (db) => Object.keys(state().databases[db]?.tables ?? {}).sort(),
      shardKeys: (db, table) => state().databases[db]?.tables[table]?.shard_keys ?? [],
    };
  }

  /** The catalog as planning reads it, as plain data for the executor process. */
  private catalogSnapshot(): CatalogSnapshot {
    const out: CatalogSnapshot = {};
    for (const [db, d] of Object.entries(this.d.catalog.state.databases)) {
      out[db] = Object.fromEntries(Object.entries(d.tables).map(([t, def]) => [t, { columns: def.columns, shard_keys: def.shard_keys ?? [] }]));
    }
    return out;
  }

  async query(req: QueryRequest): Promise<{ contentType: string; body: string }> {
    const budget: QueryBudget = { limits: this.d.limits, deadline: Date.now() + this.d.limits.timeoutMs };
    try {
      const plan = await this.d.executor.run<QueryPlan>(
        { kind: 'plan', sql: req.sql, db: req.db, catalog: this.catalogSnapshot(), now: nowNs() },
        budget,
      );
      const inputs = new Map<string, ScanResult[]>();
      await Promise.all(
        plan.scans.map(async (scan) => {
          inputs.set(scan.relation, req.local ? [await this.scanLocal(scan, null, budget)] : await this.scanCluster(scan, req.traceId, budget));
        }),
      );
      return await this.d.executor.run<{ contentType: string; body: string }>(
        { kind: 'final', plan, inputs: [...inputs], format: req.format },
        budget,
      );
    } catch (err) {
      throw toHttp(err);
    }
  }

  /** Node side of a scan: runs the pushed-down SQL over this node's rows of `shards` (all when null). */
  async scanLocal(scan: TableScan, shards: number[] | null, budget: QueryBudget): Promise<ScanResult> {
    const columns = this.d.catalog.state.databases[scan.db]?.tables[scan.table]?.columns;
    if (!columns) throw new HttpError(400, `table '${scan.table}' not found in database '${scan.db}' on node ${this.d.selfId}`);
    // Only shards this node reads from: a copy handed over at a cutover is deleted once every
    // node has applied the cutover. Asked by a coordinator that knows more, catch up first.
    let missing = shards ? this.notHeld(shards) : [];
    if (missing.length) { await this.d.catalog.sync(); missing = this.notHeld(shards!); }
    if (missing.length) throw new ShardsNotHeld(this.d.selfId, missing);
    const source = this.d.store.sourceSelect(scan.db, scan.table, columns, shards);
    this.d.onScan(scan.db, scan.table, shards?.length ?? 0);
    let result: ScanResult;
    try {
      result = await this.d.executor.run<ScanResult>({ kind: 'scan', file: this.d.store.db.name, source, scan }, budget);
    } catch (err) {
      throw toHttp(err);
    }
    // Still a reader after the scan: the copy cannot have been deleted meanwhile (a node drops
    // its copy only once its own catalog says it is no owner), so the scan saw all of it.
    missing = shards ? this.notHeld(shards) : [];
    if (missing.length) throw new ShardsNotHeld(this.d.selfId, missing);
    return result;
  }

  /** Of `shards`, those this node's catalog does not read from here. */
  private notHeld(shards: number[]): number[] {
    const state = this.d.catalog.state;
    return shards.filter((id) => {
      const s = state.shards[id];
      return s === undefined || !readNodes(s).includes(this.d.selfId);
    });
  }

  private async scanCluster(scan: TableScan, traceId: string, budget: QueryBudget): Promise<ScanResult[]> {
    const table = this.d.catalog.state.databases[scan.db]?.tables[scan.table];
    if (!table) throw new HttpError(400, `table '${scan.table}' not found in database '${scan.db}'`);
    const shards = pruneShards(tableShards(this.d.catalog.state, scan.db, scan.table), scan.pruning, table.shard_keys);
    this.d.log.debug({ db: scan.db, table: scan.table, trace_id: traceId, shards: shards.map((s) => s.id) }, 'query shards after pruning');
    const tried = new Map<number, string[]>(shards.map((s) => [s.id, []]));
    const replans = new Map<number, number>();
    const results: ScanResult[] = [];
    let pending = shards;
    while (pending.length > 0) {
      const byNode = new Map<string, ShardDef[]>();
      for (const s of pending) {
        const node = this.pickOwner(s, tried.get(s.id)!);
        if (!node) {
          const t = tried.get(s.id)!;
          throw new HttpError(
            503,
            `shard ${s.id}${s.name ? ` (${s.name})` : ''} of ${s.db}.${s.table} has no reachable owner; tried: ${t.length ? t.join(', ') : 'none (no owner is up)'}`,
          );
        }
        let l = byNode.get(node);
        if (!l) byNode.set(node, (l = []));
        l.push(s);
      }
      const retry: ShardDef[] = [];
      const handedOver: number[] = [];
      await Promise.all(
        [...byNode].map(async ([node, list]) => {
          for (const s of list) tried.get(s.id)!.push(node);
          // Shards the node has handed over (planned before a cutover it or this node has
          // applied) are planned again on a caught-up catalog; its other shards are read.
          const scanOn = async (ids: number[]): Promise<void> => {
            try {
              results.push(node === this.d.selfId ? await this.scanLocal(scan, ids, budget) : await this.scanRemote(node, scan, ids, traceId, budget));
            } catch (err) {
              if (err instanceof PeerUnreachable) {
                // Silent past this query's deadline: the query ran out of time, not the shard of owners.
                if (Date.now() > budget.deadline) throw toHttp(timeLimitError(budget.limits, `a remote scan on node ${node}`));
                this.d.markDown(node);
                retry.push(...list.filter((s) => ids.includes(s.id)));
                return;
              }
              const gone = err instanceof ShardsNotHeld ? err.shards.filter((id) => ids.includes(id)) : [];
              if (gone.length === 0) throw err;
              handedOver.push(...gone);
              const rest = ids.filter((id) => !gone.includes(id));
              if (rest.length) await scanOn(rest);
            }
          };
          await scanOn(list.map((s) => s.id));
        }),
      );
      if (handedOver.length) {
        await this.d.catalog.sync();
        for (const id of handedOver) {
          const n = (replans.get(id) ?? 0) + 1;
          replans.set(id, n);
          const fresh = this.d.catalog.state.shards[id];
          if (!fresh) continue; // dropped with its table meanwhile: nothing to read
          if (n > MAX_REPLANS) throw new HttpError(503, `shard ${id} of ${scan.db}.${scan.table} moved between nodes ${n} times while the query ran; retry the query`);
          tried.set(id, []);
          retry.push(fresh);
        }
      }
      pending = retry;
    }
    return results;
  }

  private async scanRemote(node: string, scan: TableScan, shards: number[], traceId: string, budget: QueryBudget): Promise<ScanResult> {
    // The peer runs the scan within what is left of this query's time (and its own limits).
    const timeoutMs = Math.max(1, budget.deadline - Date.now());
    const res = await this.d.call(node, 'POST', '/internal/scan', stringifyWithBigInt({ scan, shards, timeout_ms: timeoutMs }), traceId, timeoutMs + REMOTE_SCAN_GRACE_MS);
    if (res.status !== 200) {
      let msg = res.text;
      let notHeld: unknown;
      try {
        const body = JSON.parse(res.text) as { error?: string; not_held?: unknown };
        msg = body.error ?? msg;
        notHeld = body.not_held;
      } catch {
        /* plain text */
      }
      if (res.status === 409 && Array.isArray(notHeld) && notHeld.every((id) => Number.isInteger(id))) throw new ShardsNotHeld(node, notHeld as number[]);
      throw new HttpError(res.status >= 500 ? 502 : res.status, `remote scan on node ${node} failed: ${msg}`);
    }
    return decodeScanResult(parseWithBigInt(res.text));
  }

  /**
   * This node if it owns the shard (and is caught up), else a live owner, else any owner not yet
   * tried. A node still catching up after a restart reads its own copy only as a last resort.
   */
  private pickOwner(s: ShardDef, tried: string[]): string | undefined {
    const candidates = readNodes(s).filter((n) => !tried.includes(n) && this.d.catalog.state.nodes[n]);
    const self = candidates.includes(this.d.selfId);
    if (self && this.d.isCaughtUp()) return this.d.selfId;
    return candidates.find((n) => n !== this.d.selfId && this.d.isUp(n)) ?? (self ? this.d.selfId : candidates[0]);
  }
}

export { encodeScanResult };

/** Shards whose time range meets the pruning bounds and whose hash range can hold the shard-key values. */
export function pruneShards(shards: ShardDef[], p: TablePruning, shardKeys: string[]): ShardDef[] {
  if (p.empty) return [];
  let hashes: number[] | undefined;
  if (shardKeys.length > 0 && shardKeys.every((k) => p.tagEquals[k]?.length)) {
    let combos: Array<Record<string, string>> = [{}];
    for (const k of shardKeys) {
      // PLANTED BUG (bugs.ts): only the first value of an IN list is hashed.
      const values = bugs.has('prune-shard-key-first-value') ? p.tagEquals[k]!.slice(0, 1) : p.tagEquals[k]!;
      combos = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
      if (combos.length > MAX_PRUNE_COMBINATIONS) break;
    }
    if (combos.length <= MAX_PRUNE_COMBINATIONS) hashes = combos.map((c) => shardKeyHash(c, shardKeys));
  }
  return shards.filter((s) => {
    if (p.timeMin !== undefined && s.time_range[1] <= p.timeMin) return false;
    if (bugs.has('prune-time-off-by-one') && p.timeMin !== undefined && s.time_range[0] < p.timeMin) return false; // PLANTED BUG (bugs.ts)
    if (p.timeMax !== undefined && s.time_range[0] >= p.timeMax) return false;
    if (hashes && !hashes.some((h) => s.hash_range[0] <= h && h < s.hash_range[1])) return false;
    return true;
  });
}

function toHttp(err: unknown): Error {
  if (err instanceof QueryError) return new HttpError(err.status, err.message);
  return err as Error;
}
