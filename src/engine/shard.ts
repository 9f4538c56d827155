// `--shard i/n`: one CI machine's part of the suite, Playwright's convention. The scenario
// files are sorted by their path (relative to the working directory, so every checkout
// agrees) and cut into n contiguous slices; the first (count mod n) slices get one extra.
// The journal records the shard and the suite it was cut from (sorted paths and a hash of
// paths and contents), so merge-reports can refuse shards of different suites.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { displayPath } from '../reporters/junit.js';

export interface Shard {
  /** 1-based, as written on the command line. */
  index: number;
  total: number;
}

/** What the shard was cut from: the same on every machine that runs the same suite. */
export interface Suite {
  /** Every scenario file of the suite, sorted, as displayPath shows them. */
  files: string[];
  /** sha256 over each path and its contents, in sorted order. */
  hash: string;
}

/** The shard as the journal records it. */
export interface ShardRecord extends Shard {
  suite: Suite;
}

export class ShardError extends Error {}

/** "2/3" -> {index 2, total 3}; anything else is a ShardError saying what is wrong. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ShardError(`--shard ${JSON.stringify(text)}: expected i/n with whole numbers, e.g. --shard 2/3 (shard 2 of 3)`);
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (total < 1) throw new ShardError(`--shard ${text}: the number of shards must be at least 1`);
  if (index < 1 || index > total) throw new ShardError(`--shard ${text}: the shard must be between 1 and ${total} (shards count from 1)`);
  return { index, total };
}

/** Code-unit order, not localeCompare: the same on every machine whatever its locale. */
const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** [from, to) of shard `index` (1-based) over `count` items: Playwright's arithmetic. */
export function shardRange(count: number, s: Shard): [number, number] {
  const size = Math.floor(count / s.total);
  const extra = count - size * s.total;
  const i = s.index - 1;
  const from = size * i + Math.min(extra, i);
  return [from, from + size + (i < extra ? 1 : 0)];
}

/** The shard's items in suite order, and the suite they were cut from. */
export function selectShard<T>(items: T[], fileOf: (item: T) => string, s: Shard, cwd = process.cwd()): { selected: T[]; record: ShardRecord } {
  const keyed = items.map((item) => ({ item, path: displayPath(fileOf(item), cwd) })).sort((a, b) => byPath(a.path, b.path));
  const [from, to] = shardRange(keyed.length, s);
  const files = keyed.map((k) => k.path);
  const hash = createHash('sha256');
  for (const k of keyed) {
    hash.update(k.path).update('\0');
    hash.update(readFileSync(fileOf(k.item))).update('\0');
  }
  return { selected: keyed.slice(from, to).map((k) => k.item), record: { ...s, suite: { files, hash: `sha256:${hash.digest('hex')}` } } };
}
