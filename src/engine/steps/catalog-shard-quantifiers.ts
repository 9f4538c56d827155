// expect_catalog's `shards: {some, every, none}`: conditions over every shard of a table
// (or of the whole catalog), for shards the cluster created itself, which a scenario
// cannot name: "some shard lists d", "every shard is Stable", "no shard lists c".

import type { ShardMatcher, ShardQuantifiers } from '../../scenario/types.js';
import { partialMismatch } from '../../verifiers/partial.js';
import { VerificationError } from '../errors.js';
import { sortNodeIds } from '../cluster-plane.js';

type Obj = Record<string, unknown>;

const ids = (s: Obj): string[] => (Array.isArray(s.node_ids) ? (s.node_ids as unknown[]).map(String) : []);

/** Why `shard` does not match `m`, or undefined when it does. */
export function shardMismatch(m: ShardMatcher, shard: Obj): string | undefined {
  const { node_ids_include: include, node_ids_exclude: exclude, ...keys } = m;
  const missing = (include ?? []).filter((n) => !ids(shard).includes(n));
  if (missing.length) return `node_ids [${ids(shard).join(', ')}] lack ${missing.join(', ')}`;
  const present = (exclude ?? []).filter((n) => ids(shard).includes(n));
  if (present.length) return `node_ids [${ids(shard).join(', ')}] list ${present.join(', ')}`;
  const diff = partialMismatch(sortNodeIds(keys), sortNodeIds(shard));
  return diff?.replace('$', 'shard');
}

/** `#7 [a, d] Stable`: one shard, for messages. */
export const describeShard = (s: Obj) => `#${String(s.id)} ${s.db !== undefined ? `${String(s.db)}.${String(s.table)} ` : ''}[${ids(s).join(', ')}] ${String(s.migration_status ?? '')}`.trim();

export function checkShardQuantifiers(where: string, q: ShardQuantifiers, shards: Obj[]): void {
  const all = () => shards.map(describeShard).join('; ') || 'no shards';
  const show = (m: ShardMatcher) => JSON.stringify(m);
  // Over zero shards `every` and `none` would hold whatever they say: a table not written
  // yet, or a misspelled one, must not pass for a verdict on its shards.
  if ((q.every || q.none) && shards.length === 0) {
    throw new VerificationError(`${where}: no shard to check (${q.every ? 'every' : 'none'} over zero shards)`, { expected: q, actual: shards });
  }
  if (q.some) {
    if (!shards.some((s) => shardMismatch(q.some!, s) === undefined)) {
      throw new VerificationError(`${where}: no shard matches ${show(q.some)} (${all()})`, { expected: { some: q.some }, actual: shards });
    }
  }
  if (q.every) {
    for (const s of shards) {
      const why = shardMismatch(q.every, s);
      if (why) throw new VerificationError(`${where}: shard ${describeShard(s)} does not match ${show(q.every)}: ${why}`, { expected: { every: q.every }, actual: s });
    }
  }
  if (q.none) {
    const hit = shards.find((s) => shardMismatch(q.none!, s) === undefined);
    if (hit) throw new VerificationError(`${where}: shard ${describeShard(hit)} matches ${show(q.none)}, and no shard should`, { expected: { none: q.none }, actual: hit });
  }
}
