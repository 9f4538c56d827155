// The copy of a migrating shard, on the node that pulls (the target, or the source pulling back
// what only the target got). It reuses anti-entropy's wire: a peer's per-bucket digest
// (/internal/shards/:id/digest) and its rows in canonical order (/internal/shards/:id/rows).
// Rows carry their write versions and the store merges last-writer-wins, so a copied row never
// overwrites a newer one that a dual write brought meanwhile, and pulls can repeat harmlessly.
//   'all':  every row of the shard (the snapshot), page after page, the next page fetched while
//           the current one is stored.
//   'diff': only the repair buckets whose digest differs from the peer's (catch-up).
import type { ShardDef } from '../catalog/state.js';
import type { ShardDigest, ShardStore, VersionedRow } from '../storage/store.js';
import type { PeerResponse } from '../cluster/peer-client.js';

export type CopyMode = 'all' | 'diff';

export interface ShardCopyDeps {
  store: Pick<ShardStore, 'applyRows' | 'cachedDigest' | 'deleteShard'>;
  call(nodeId: string, method: string, path: string, timeoutMs: number): Promise<PeerResponse>;
}

interface RowsPage {
  rows: VersionedRow[];
  next: { time: string; sid: number } | null;
}

/** Rows per page: big enough that a million rows take few round trips, small enough to stay responsive. */
const PAGE = 20_000;
const CALL_TIMEOUT_MS = 30_000;

export class ShardCopy {
  /** Pulls in progress, by shard and peer and mode: a repeated request joins the running one. */
  private running = new Map<string, Promise<number>>();

  constructor(private readonly d: ShardCopyDeps) {}

  /** Pulls the shard's rows from `peer` into this node's store; resolves with the rows stored. */
  pull(shard: ShardDef, peer: string, mode: CopyMode): Promise<number> {
    const key = `${shard.id}\u0000${peer}\u0000${mode}`;
    let p = this.running.get(key);
    if (!p) {
      p = (mode === 'all' ? this.pullBuckets(shard, peer, [null]) : this.pullDiff(shard, peer)).finally(() => this.running.delete(key));
      this.running.set(key, p);
    }
    return p;
  }

  /** Deletes this node's copy of the shard; returns the rows deleted. */
  drop(shard: ShardDef): number {
    return this.d.store.deleteShard(shard.db, shard.table, shard.id);
  }

  private async pullDiff(shard: ShardDef, peer: string): Promise<number> {
    const theirs = await this.digestOf(shard, peer);
    const mine = this.d.store.cachedDigest(shard.db, shard.table, shard.id);
    if (theirs.checksum === mine.checksum) return 0;
    const differing = mine.buckets.map((b, i) => (theirs.buckets[i] === b ? -1 : i)).filter((i) => i >= 0);
    return this.pullBuckets(shard, peer, differing);
  }

  private async digestOf(shard: ShardDef, peer: string): Promise<ShardDigest> {
    const res = await this.d.call(peer, 'GET', `/internal/shards/${shard.id}/digest`, CALL_TIMEOUT_MS);
    if (res.status !== 200) throw new Error(`node ${peer} answered ${res.status} for the digest of shard ${shard.id}: ${res.text}`);
    return JSON.parse(res.text) as ShardDigest;
  }

  /** Pulls the given repair buckets (null: all rows). */
  private async pullBuckets(shard: ShardDef, peer: string, buckets: Array<number | null>): Promise<number> {
    let stored = 0;
    for (const bucket of buckets) {
      const fetchPage = async (after: { time: string; sid: number }): Promise<RowsPage> => {
        const q = `${bucket === null ? '' : `bucket=${bucket}&`}after_time=${after.time}&after_sid=${after.sid}&limit=${PAGE}`;
        const res = await this.d.call(peer, 'GET', `/internal/shards/${shard.id}/rows?${q}`, CALL_TIMEOUT_MS);
        if (res.status !== 200) throw new Error(`node ${peer} answered ${res.status} for rows of shard ${shard.id}: ${res.text}`);
        return JSON.parse(res.text) as RowsPage;
      };
      let next: Promise<RowsPage> | undefined = fetchPage({ time: (-(2n ** 63n)).toString(), sid: -1 });
      while (next) {
        const page: RowsPage = await next;
        // Ask for the next page before storing this one: the peer reads while we write.
        next = page.next ? fetchPage(page.next) : undefined;
        next?.catch(() => undefined); // awaited on the next turn; never an unhandled rejection meanwhile
        if (page.rows.length > 0) this.d.store.applyRows(shard.db, shard.table, shard.id, page.rows);
        stored += page.rows.length;
      }
    }
    return stored;
  }
}
