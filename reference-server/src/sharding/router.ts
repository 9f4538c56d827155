// Maps a point (table, time, shard-key hash) to its shard, with a per-catalog-version index.
import type { CatalogState, ShardDef } from '../catalog/state.js';
import { bugs } from '../bugs.js';

export class ShardRouter {
  private version = -1;
  private byTable = new Map<string, ShardDef[]>();

  constructor(private readonly catalog: () => CatalogState) {}

  /** The shard covering (time, hash), or undefined. */
  find(db: string, table: string, time: bigint, hash: number): ShardDef | undefined {
    for (const s of this.shardsOf(db, table)) {
      // PLANTED BUG (bugs.ts): the start of the hash range is not checked.
      if (bugs.has('route-ignores-hash-start') && s.time_range[0] <= time && time < s.time_range[1] && hash < s.hash_range[1]) return s;
      if (s.time_range[0] <= time && time < s.time_range[1] && s.hash_range[0] <= hash && hash < s.hash_range[1]) return s;
    }
    return undefined;
  }

  shardsOf(db: string, table: string): ShardDef[] {
    const state = this.catalog();
    if (state.version !== this.version) {
      this.byTable.clear();
      this.version = state.version;
      for (const s of Object.values(state.shards)) {
        const key = `${s.db}\u0000${s.table}`;
        let list = this.byTable.get(key);
        if (!list) this.byTable.set(key, (list = []));
        list.push(s);
      }
      // Newest time ranges first: writes are mostly recent.
      for (const list of this.byTable.values()) list.sort((a, b) => (a.time_range[0] < b.time_range[0] ? 1 : -1));
    }
    return this.byTable.get(`${db}\u0000${table}`) ?? [];
  }
}
