// Anti-entropy: a replica that missed writes (down, hint lost, data dir wiped) converges with no
// manual step. Periodically, for every shard this node owns and has not written to for a
// moment, it compares per-bucket digests with each live co-owner and pulls the rows of the
// buckets that differ. Merging is by row identity and write version, so pulls commute and
// replicas meet in the same state; each side pulls what it lacks.
import type { Logger } from '../util/log.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ShardDef } from '../catalog/state.js';
import type { ShardDigest, ShardStore, VersionedRow } from '../storage/store.js';
import type { PeerResponse } from '../cluster/peer-client.js';
import { repairNodes } from '../sharding/ownership.js';
import { bugs } from '../bugs.js';

export interface AntiEntropyDeps {
  selfId: string;
  catalog: Catalog;
  store: ShardStore;
  isUp(nodeId: string): boolean;
  call(nodeId: string, method: string, path: string): Promise<PeerResponse>;
  log: Logger;
  onRepaired(rows: number): void;
}

const QUIET_MS = 1000;
const PAGE = 5000;

export class AntiEntropy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  rounds = 0;

  constructor(private readonly d: AntiEntropyDeps) {}

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * One pass over every owned shard; concurrent calls share the pass in progress. `all` also
   * compares shards written to a moment ago (the catch-up pass after a restart).
   */
  runOnce(all = false): Promise<void> {
    this.running ??= this.pass(all).finally(() => {
      this.running = undefined;
      this.rounds++;
    });
    return this.running;
  }

  private async pass(all: boolean): Promise<void> {
    const shards = Object.values(this.d.catalog.state.shards).filter((s) => repairNodes(s).includes(this.d.selfId));
    for (const shard of shards) {
      // Replicas of a shard being written differ by the writes in flight: wait for a lull.
      if (!all && this.d.store.quietFor(shard.id) < QUIET_MS) continue;
      for (const peer of repairNodes(shard)) {
        if (peer === this.d.selfId || !this.d.isUp(peer)) continue;
        try {
          await this.repairFrom(shard, peer);
        } catch (err) {
          this.d.log.debug({ shard_id: shard.id, peer, err: (err as Error).message }, 'anti-entropy compare failed');
        }
      }
    }
  }

  private async repairFrom(shard: ShardDef, peer: string): Promise<void> {
    const res = await this.d.call(peer, 'GET', `/internal/shards/${shard.id}/digest`);
    if (res.status !== 200) return;
    const theirs = JSON.parse(res.text) as ShardDigest;
    const mine = this.d.store.cachedDigest(shard.db, shard.table, shard.id);
    if (theirs.checksum === mine.checksum) return;
    if (bugs.has('repair-wrong-direction') && theirs.row_count >= mine.row_count) return; // PLANTED BUG (bugs.ts)
    let pulled = 0;
    for (let b = 0; b < mine.buckets.length; b++) {
      if (theirs.buckets[b] === mine.buckets[b]) continue;
      let cursor = { time: -(2n ** 63n), sid: -1 };
      for (;;) {
        const page = await this.d.call(
          peer,
          'GET',
          `/internal/shards/${shard.id}/rows?bucket=${b}&after_time=${cursor.time}&after_sid=${cursor.sid}&limit=${PAGE}`,
        );
        if (page.status !== 200) throw new Error(`rows page answered ${page.status}`);
        const { rows, next } = JSON.parse(page.text) as { rows: VersionedRow[]; next: { time: string; sid: number } | null };
        if (bugs.has('repair-skips-last-page') && !next) break; // PLANTED BUG (bugs.ts)
        if (rows.length > 0) this.d.store.applyRows(shard.db, shard.table, shard.id, rows);
        pulled += rows.length;
        if (!next) break;
        cursor = { time: BigInt(next.time), sid: next.sid };
      }
    }
    if (pulled > 0) {
      this.d.log.info({ shard_id: shard.id, db: shard.db, table: shard.table, peer, rows: pulled }, 'anti-entropy pulled rows');
      this.d.onRepaired(pulled);
    }
  }
}
