// Drives shard migrations through their states. It runs on the catalog leader only: every state
// lives in the catalog (migration/catalog-rules.ts), so whichever node leads next (after a
// failover or a restart) picks each unfinished migration up where the catalog says it is.
// Each step is repeatable (pulls merge by write version, a drop of a dropped copy deletes
// nothing), so a step cut short by a crash is simply done again.
//   MigratingSnapshot: writes go to source and target; the target pulls every row from the source.
//   MigratingWAL:      the target pulls the rows written since the migration began (minus a
//                      margin): writes that reached the source only, routed on a catalog that
//                      did not know the migration yet, or that the target failed.
//                      Then, unfenced, source and target compare by content (the store's
//                      per-bucket digests) the rows written before the migration's window, which
//                      live writes no longer touch: a difference there (an update that reached
//                      one side with a version older than the window: delayed past the margin,
//                      a skewed clock) is invisible to row counts and to every catch-up pull, so
//                      a two-way pull of every row merges the copies.
//   AwaitingCutover:   writes wait (write-fence.ts); once every reachable node applied the fence,
//                      source and target must count the same rows (else a two-way pull of the
//                      rows since the WAL step, and again). A cutover that has not converged
//                      within CUTOVER_DEADLINE_MS (a peer down, copies that stay different) rolls
//                      back: the fence must never hold writes for long.
//   Stable:            (node_ids now name the target) once every reachable node has applied the
//                      cutover, a last pull of late writes, then the source deletes its copy. A
//                      source still unreachable after STABLE_DEADLINE_MS keeps its copy (no read
//                      asks it for the shard any more) and the migration ends.
//   Cleaned.
// A migration whose target stops being Active (marked Down or Inactive) before the cutover rolls
// back: the shard stays with the source, the target's copy is deleted. (A node holding a copy
// cannot be removed, so neither end disappears from the catalog mid-migration.)
import type { Logger } from '../util/log.js';
import { HttpError } from '../util/errors.js';
import type { Catalog } from '../catalog/catalog.js';
import type { CatalogCommand } from '../catalog/commands.js';
import type { MigrationDef, MigrationState } from '../catalog/state.js';
import type { PeerResponse } from '../cluster/peer-client.js';
import type { ShardDigest } from '../storage/store.js';
import { versionAtMs } from '../write/write-clock.js';
import { isTerminal } from './states.js';
import { rfc3339Ms } from './time.js';

export interface MigrationCoordinatorDeps {
  selfId: string;
  catalog: Catalog;
  call(nodeId: string, method: string, path: string, body: string | undefined, timeoutMs: number): Promise<PeerResponse>;
  log: Logger;
}

/** Migrations driven at once: a rebalance's moves run a few at a time. */
const MAX_RUNNING = 2;
const TICK_MS = 500;
const PULL_TIMEOUT_MS = 120_000;
/** How long the cutover waits for every reachable node to apply it before the source's copy goes. */
const BARRIER_MS = 3000;
/**
 * How far before a step a catch-up pull looks: a write is versioned before it is sent, and a
 * replica write may take up to 5 s (its timeout) to land; plus clock skew between nodes.
 */
const CATCH_UP_MARGIN_MS = 10_000;
/** How long writes may stay fenced at a cutover that does not converge before it rolls back. */
export const CUTOVER_DEADLINE_MS = 15_000;
/** How long Stable waits for the source to take its last pull and drop before ending without it. */
export const STABLE_DEADLINE_MS = 30_000;

export class MigrationCoordinator {
  private drivers = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly d: MigrationCoordinatorDeps) {}

  start(): void {
    this.d.catalog.onApplied((cmd: CatalogCommand) => {
      if (cmd.type === 'start_migration' || cmd.type === 'start_rebalance' || cmd.type === 'advance_migration') queueMicrotask(() => this.kick());
    });
    this.timer = setInterval(() => this.kick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Starts a driver for each unfinished migration, up to MAX_RUNNING, when this node leads. */
  kick(): void {
    if (this.stopped || !this.d.catalog.ready || !this.d.catalog.isLeader) return;
    const waiting = Object.values(this.d.catalog.state.migrations)
      .filter((m) => !isTerminal(m.state) && !this.drivers.has(m.id))
      // Those furthest along first: a cutover under way finishes before a new copy starts.
      .sort((a, b) => b.history.length - a.history.length || (a.id < b.id ? -1 : 1));
    for (const m of waiting) {
      if (this.drivers.size >= MAX_RUNNING) break;
      this.drivers.set(m.id, this.drive(m.id).finally(() => {
        this.drivers.delete(m.id);
        this.kick();
      }));
    }
  }

  private current(id: string): MigrationDef | undefined {
    const m = this.d.catalog.state.migrations[id];
    return m && !isTerminal(m.state) ? m : undefined;
  }

  private async drive(id: string): Promise<void> {
    let failures = 0;
    // When this driver first saw the migration in its current state (its own clock: deadlines).
    let seen = { state: '', since: 0 };
    for (let m = this.current(id); m && !this.stopped && this.d.catalog.isLeader; m = this.current(id)) {
      if (seen.state !== m.state) seen = { state: m.state, since: Date.now() };
      const waited = Date.now() - seen.since;
      try {
        const rollback = this.rollbackReason(m);
        if (rollback) await this.rollBack(m, rollback);
        else if (m.state === 'AwaitingCutover' && waited > CUTOVER_DEADLINE_MS) {
          await this.rollBack(m, `the cutover did not converge within ${CUTOVER_DEADLINE_MS / 1000} s (source or target unreachable, or copies that stayed different): writes are no longer held`);
        } else if (m.state === 'Stable' && waited > STABLE_DEADLINE_MS) await this.endWithoutSource(m);
        else if (!this.d.catalog.state.shards[m.shard_id]) await this.advance(m, 'Failed', `shard ${m.shard_id} no longer exists (its table or database was deleted)`);
        else await this.step(m);
        failures = 0;
      } catch (err) {
        failures++;
        this.d.log.warn({ migration_id: id, shard_id: m.shard_id, state: m.state, attempt: failures, err: (err as Error).message }, 'migration step failed; retrying');
        await sleep(Math.min(100 * 2 ** failures, 2000));
      }
    }
  }

  /** Why `m` must roll back now, or undefined. Only before the cutover: after it the target owns the shard. */
  private rollbackReason(m: MigrationDef): string | undefined {
    if (m.state === 'Stable') return undefined;
    const state = this.d.catalog.state;
    if (!state.shards[m.shard_id]) return `shard ${m.shard_id} no longer exists`;
    const status = state.nodes[m.target]?.status ?? 'removed';
    if (status !== 'Active') return `target node ${m.target} is ${status}`;
    return undefined;
  }

  /** Stable past its deadline: the source keeps its (unread) copy; the migration ends. */
  private async endWithoutSource(m: MigrationDef): Promise<void> {
    this.d.log.warn({ migration_id: m.id, shard_id: m.shard_id, source: m.source }, 'migration cleanup: the source stayed unreachable; its copy of the shard stays behind, unread');
    await this.advance(m, 'Cleaned');
    await this.dropCopy(m.source, m).catch(() => undefined);
  }

  private async step(m: MigrationDef): Promise<void> {
    switch (m.state) {
      case 'MigratingSnapshot':
        await this.pull(m.target, m, m.source, 'all');
        return this.advance(m, 'MigratingWAL');
      case 'MigratingWAL':
        await this.pull(m.target, m, m.source, 'since', sinceState(m, 'MigratingSnapshot'));
        await this.mergeOldRows(m);
        return this.advance(m, 'AwaitingCutover');
      case 'AwaitingCutover':
        if (await this.converged(m)) return this.advance(m, 'Stable');
        return sleep(100); // writes that outlived the fence's bound are still landing
      case 'Stable':
        await this.cleanUp(m);
        await this.advance(m, 'Cleaned');
        // Writes routed while the source was still `migrating_from` may land after its drop:
        // once every node has applied Cleaned none is routed there any more; drop once more.
        await this.barrier();
        return this.dropCopy(m.source, m).catch(() => undefined);
      default:
        return;
    }
  }

  /**
   * Before the fence: the rows written before the migration's window (every field older than
   * the snapshot's start less the margin) must match by content on both sides; if not, a
   * two-way pull of every row (merged by version, so harmless for rows that already match).
   */
  private async mergeOldRows(m: MigrationDef): Promise<void> {
    const below = versionAtMs(sinceState(m, 'MigratingSnapshot'));
    if (await this.sameDigest(m, below)) return;
    await this.pull(m.source, m, m.target, 'all');
    await this.pull(m.target, m, m.source, 'all');
    if (!(await this.sameDigest(m, below))) throw new Error(`shard ${m.shard_id}: source and target still differ in rows older than the migration after a full two-way pull`);
  }

  /**
   * Under the write fence: once every reachable node holds writes to the shard (and the writes
   * routed before have landed on both), equal row counts mean nothing is left to copy (older
   * rows matched by content before the fence; a recent update that reached only the source is
   * carried by the last pull in Stable). If they differ, a two-way pull of the rows written
   * since the WAL step began, and the counts again: the source takes back rows only the target
   * got (a write the source failed, acknowledged by other owners or not at all), so that the
   * counts can meet.
   */
  private async converged(m: MigrationDef): Promise<boolean> {
    await this.barrier();
    if (await this.sameCount(m)) return true;
    const since = sinceState(m, 'MigratingWAL');
    await this.pull(m.source, m, m.target, 'since', since);
    const owners = this.d.catalog.state.shards[m.shard_id]?.node_ids ?? [m.source];
    // The source first; other owners may hold acknowledged writes the source missed.
    for (const owner of [m.source, ...owners.filter((o) => o !== m.source)]) {
      try {
        await this.pull(m.target, m, owner, 'since', since);
      } catch (err) {
        if (owner === m.source) throw err;
      }
    }
    return this.sameCount(m);
  }

  private async sameCount(m: MigrationDef): Promise<boolean> {
    const [a, b] = await Promise.all([this.count(m.source, m), this.count(m.target, m)]);
    if (a !== b) this.d.log.info({ migration_id: m.id, shard_id: m.shard_id, source_rows: a, target_rows: b }, 'migration cutover: row counts differ');
    return a === b;
  }

  /** Whether source and target hold the same rows among those written before `belowVersion`, by digest. */
  private async sameDigest(m: MigrationDef, belowVersion: number): Promise<boolean> {
    const [a, b] = await Promise.all([this.digest(m.source, m, belowVersion), this.digest(m.target, m, belowVersion)]);
    const buckets = a.buckets.flatMap((d, i) => (d === b.buckets[i] ? [] : [i]));
    const same = a.row_count === b.row_count && a.checksum === b.checksum && buckets.length === 0;
    if (!same) this.d.log.info({ migration_id: m.id, shard_id: m.shard_id, source_rows: a.row_count, target_rows: b.row_count, buckets }, 'migration: the copies differ in rows older than the migration');
    return same;
  }

  /** After the cutover: every reachable node reads from the target, then the source's copy goes. */
  private async cleanUp(m: MigrationDef): Promise<void> {
    await this.barrier();
    // Writes routed before the cutover that reached the source late.
    await this.pull(m.target, m, m.source, 'since', sinceState(m, 'AwaitingCutover'));
    await this.dropCopy(m.source, m);
  }

  /** Waits (bounded) until every reachable node has applied this node's catalog version. */
  private async barrier(): Promise<void> {
    const version = this.d.catalog.version;
    const deadline = Date.now() + BARRIER_MS;
    const nodes = Object.values(this.d.catalog.state.nodes).filter((n) => n.id !== this.d.selfId && n.status !== 'Decommissioned');
    await Promise.all(
      nodes.map(async (n) => {
        while (Date.now() < deadline) {
          try {
            const res = await this.d.call(n.id, 'GET', '/api/v3/cluster/nodes', undefined, 1000);
            if (res.status === 200 && (JSON.parse(res.text) as { catalog_version: number }).catalog_version >= version) return;
          } catch {
            return; // unreachable: it syncs its catalog before it serves reads again
          }
          await sleep(50);
        }
      }),
    );
  }

  private async rollBack(m: MigrationDef, reason: string): Promise<void> {
    this.d.log.warn({ migration_id: m.id, shard_id: m.shard_id, source: m.source, target: m.target, reason }, 'migration rolling back');
    await this.advance(m, 'RolledBack', reason);
    // Best effort: a target that is down keeps rows of a shard it does not own, which no read asks it for.
    if (this.d.catalog.state.nodes[m.target]) await this.dropCopy(m.target, m).catch(() => undefined);
  }

  private async advance(m: MigrationDef, to: MigrationState, error?: string): Promise<void> {
    try {
      await this.d.catalog.propose({ kind: 'command', command: { type: 'advance_migration', id: m.id, to, at: rfc3339Ms(), ...(error ? { error } : {}) } });
    } catch (err) {
      // Another leader moved it on meanwhile: the loop reads the state again.
      if (err instanceof HttpError && err.status === 409) return;
      throw err;
    }
  }

  private async pull(on: string, m: MigrationDef, from: string, mode: 'all' | 'since', sinceMs = 0): Promise<number> {
    const body = JSON.stringify({ shard_id: m.shard_id, from, mode, ...(mode === 'since' ? { since_ms: sinceMs } : {}) });
    const res = await this.d.call(on, 'POST', '/internal/migrations/pull', body, PULL_TIMEOUT_MS);
    if (res.status !== 200) throw new Error(`pull of shard ${m.shard_id} on ${on} from ${from} answered ${res.status}: ${res.text}`);
    const { rows } = JSON.parse(res.text) as { rows: number };
    if (rows > 0) this.d.log.info({ migration_id: m.id, shard_id: m.shard_id, node: on, from, mode, rows }, 'migration pulled rows');
    return rows;
  }

  private async count(on: string, m: MigrationDef): Promise<number> {
    const res = await this.d.call(on, 'GET', `/internal/migrations/count?shard_id=${m.shard_id}`, undefined, PULL_TIMEOUT_MS);
    if (res.status !== 200) throw new Error(`row count of shard ${m.shard_id} on ${on} answered ${res.status}: ${res.text}`);
    return (JSON.parse(res.text) as { rows: number }).rows;
  }

  private async digest(on: string, m: MigrationDef, belowVersion: number): Promise<ShardDigest> {
    const res = await this.d.call(on, 'GET', `/internal/shards/${m.shard_id}/digest?below_version=${belowVersion}`, undefined, PULL_TIMEOUT_MS);
    if (res.status !== 200) throw new Error(`digest of shard ${m.shard_id} on ${on} answered ${res.status}: ${res.text}`);
    return JSON.parse(res.text) as ShardDigest;
  }

  private async dropCopy(on: string, m: MigrationDef): Promise<void> {
    const res = await this.d.call(on, 'POST', '/internal/migrations/drop', JSON.stringify({ shard_id: m.shard_id }), PULL_TIMEOUT_MS);
    if (res.status !== 200) throw new Error(`drop of shard ${m.shard_id} on ${on} answered ${res.status}: ${res.text}`);
  }
}

/** Where a catch-up pull starts: when `state` was entered, less the margin. */
function sinceState(m: MigrationDef, state: MigrationState): number {
  const entered = m.history.find((h) => h.state === state)?.at ?? m.history[0]!.at;
  return Date.parse(entered) - CATCH_UP_MARGIN_MS;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
