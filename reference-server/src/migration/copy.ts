// The copy of a migrating shard, on the node that pulls (the target, or the source pulling back
// what only the target got). Rows travel in their stored form (store.exportRaw / applyRaw: column
// names once, then plain arrays), page after page in (time, series) order, the next page fetched
// while the current one is stored. Rows carry their write versions and the store merges
// last-writer-wins, so a copied row never overwrites a newer one that a dual write brought
// meanwhile, and a pull can be repeated harmlessly.
//   'all':   every row of the shard (the snapshot).
//   'since': only rows with a field written at or after `since_ms` (catch-up: write versions are
//            wall-clock based, write/write-clock.ts), a scan of the peer's shard that sends little.
import type { ShardDef } from '../catalog/state.js';
import type { RawRowsPage, ShardStore } from '../storage/store.js';
import type { PeerResponse } from '../cluster/peer-client.js';
import { versionAtMs } from '../write/write-clock.js';

export type CopyMode = 'all' | 'since';

export interface ShardCopyDeps {
  store: Pick<ShardStore, 'applyRaw' | 'deleteShardChunk' | 'rowCount'>;
  call(nodeId: string, method: string, path: string, timeoutMs: number): Promise<PeerResponse>;
}

/** Rows per page: big enough that a million rows take few round trips, small enough to stay responsive. */
export const COPY_PAGE = 10_000;
const CALL_TIMEOUT_MS = 30_000;

export class ShardCopy {
  /** Pulls in progress, by shard, peer, mode and bound: a repeated request joins the running one. */
  private running = new Map<string, Promise<number>>();

  constructor(private readonly d: ShardCopyDeps) {}

  /**
   * Pulls the shard's rows from `peer` into this node's store; resolves with the rows stored.
   * `wanted` is asked before each page is stored: once this node no longer takes the shard's
   * writes (its migration rolled back, its copy is being dropped) the pull stops.
   */
  pull(shard: ShardDef, peer: string, mode: CopyMode, sinceMs = 0, wanted: () => boolean = () => true): Promise<number> {
    const minVersion = mode === 'since' ? versionAtMs(sinceMs) : 0;
    const key = `${shard.id}\u0000${peer}\u0000${minVersion}`;
    let p = this.running.get(key);
    if (!p) {
      p = this.pullPages(shard, peer, minVersion, wanted).finally(() => this.running.delete(key));
      this.running.set(key, p);
    }
    return p;
  }

  /** Rows of the shard on this node. */
  count(shard: ShardDef): number {
    return this.d.store.rowCount(shard.db, shard.table, shard.id);
  }

  /**
   * Deletes this node's copy of the shard, a page at a time (writes go on meanwhile); returns the
   * rows deleted. `unowned` is asked before each page: a new migration may bring the shard back
   * to this node meanwhile, and its rows must stay.
   */
  async drop(shard: ShardDef, unowned: () => boolean = () => true): Promise<number> {
    let deleted = 0;
    for (;;) {
      if (!unowned()) return deleted;
      const n = this.d.store.deleteShardChunk(shard.db, shard.table, shard.id, COPY_PAGE);
      deleted += n;
      if (n < COPY_PAGE) return deleted;
      await new Promise((r) => setImmediate(r));
    }
  }

  private async pullPages(shard: ShardDef, peer: string, minVersion: number, wanted: () => boolean): Promise<number> {
    const fetchPage = async (after: { time: string; sid: number }): Promise<RawRowsPage> => {
      const q = `shard_id=${shard.id}&after_time=${after.time}&after_sid=${after.sid}&limit=${COPY_PAGE}&min_version=${minVersion}`;
      const res = await this.d.call(peer, 'GET', `/internal/migrations/rows?${q}`, CALL_TIMEOUT_MS);
      if (res.status !== 200) throw new Error(`node ${peer} answered ${res.status} for rows of shard ${shard.id}: ${res.text}`);
      return JSON.parse(res.text) as RawRowsPage;
    };
    let stored = 0;
    let next: Promise<RawRowsPage> | undefined = fetchPage({ time: (-(2n ** 63n)).toString(), sid: -1 });
    while (next) {
      const page: RawRowsPage = await next;
      if (!wanted()) throw new Error(`pull of shard ${shard.id} from ${peer} stopped: this node no longer takes the shard's writes`);
      // Ask for the next page before storing this one: the peer reads while we write.
      next = page.next ? fetchPage(page.next) : undefined;
      next?.catch(() => undefined); // awaited on the next turn; never an unhandled rejection meanwhile
      this.d.store.applyRaw(shard.db, shard.table, shard.id, page);
      stored += page.rows.length;
    }
    return stored;
  }
}
