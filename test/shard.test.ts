// --shard i/n splits the suite the way Playwright does: every file in exactly one shard,
// contiguous slices of the sorted paths, the same split whatever order the files were
// given in; bad values are usage errors (exit 2) and an empty shard passes, saying so.

import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ShardError, parseShard, selectShard, shardRange } from '../src/engine/shard.js';
import { FIXTURES, ROOT, cli, sandbox } from './helpers.js';

t.test('every item lands in exactly one shard, in contiguous slices whose sizes differ by at most one', async (t) => {
  for (let count = 0; count <= 25; count++) {
    for (let total = 1; total <= 9; total++) {
      const owner: number[] = [];
      let next = 0;
      const sizes: number[] = [];
      for (let index = 1; index <= total; index++) {
        const [from, to] = shardRange(count, { index, total });
        // Contiguous and in order: each shard starts where the previous one ended.
        if (from !== next) t.fail(`count ${count}, ${index}/${total}: starts at ${from}, expected ${next}`);
        for (let i = from; i < to; i++) owner[i] = (owner[i] ?? 0) + 1;
        sizes.push(to - from);
        next = to;
      }
      if (next !== count) t.fail(`count ${count}, n ${total}: shards end at ${next}`);
      if (owner.length !== count || owner.some((n) => n !== 1)) t.fail(`count ${count}, n ${total}: an item is in ${owner.join(',')} shards`);
      if (Math.max(...sizes) - Math.min(...sizes) > 1) t.fail(`count ${count}, n ${total}: sizes ${sizes.join(',')}`);
      // Playwright's convention: the first shards take the extra items.
      if (sizes.some((s, i) => i > 0 && s > sizes[i - 1]!)) t.fail(`count ${count}, n ${total}: sizes ${sizes.join(',')} not first-heavy`);
    }
  }
  t.same([1, 2, 3].map((index) => shardRange(7, { index, total: 3 })), [[0, 3], [3, 5], [5, 7]], '7 files over 3: 3, 2, 2');
});

t.test('the split depends on the sorted paths only: any order of the arguments gives the same shards and suite hash', async (t) => {
  const dir = join(FIXTURES, 'engine');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => join(dir, f));
  const reversed = [...files].reverse();
  const shuffled = files.map((f, i) => ({ f, k: (i * 7919) % files.length })).sort((a, b) => a.k - b.k).map((x) => x.f);
  const split = (list: string[]) => [1, 2, 3].map((index) => selectShard(list, (f) => f, { index, total: 3 }, ROOT));
  const a = split(files);
  for (const other of [split(reversed), split(shuffled)]) {
    t.same(other.map((s) => s.selected), a.map((s) => s.selected));
    t.equal(other[0]!.record.suite.hash, a[0]!.record.suite.hash);
  }
  t.same(a.flatMap((s) => s.selected), [...files].sort(), 'the shards, in order, are the sorted suite');
  t.same(a[0]!.record.suite.files, [...files].sort().map((f) => f.slice(ROOT.length + 1)), 'the suite is recorded as paths relative to the working directory');
  t.match(a[0]!.record, { index: 1, total: 3, suite: { hash: /^sha256:[0-9a-f]{64}$/ } });
  const fewer = selectShard(files.slice(1), (f) => f, { index: 1, total: 3 }, ROOT);
  t.not(fewer.record.suite.hash, a[0]!.record.suite.hash, 'another suite, another hash');
});

t.test('parseShard: i/n with 1 <= i <= n; anything else says what is expected', async (t) => {
  t.same(parseShard('2/3'), { index: 2, total: 3 });
  t.same(parseShard('1/1'), { index: 1, total: 1 });
  for (const [bad, why] of [['0/3', /between 1 and 3/], ['4/3', /between 1 and 3/], ['x/y', /expected i\/n/], ['1/0', /at least 1/], ['', /expected i\/n/], ['1/2/3', /expected i\/n/], ['-1/3', /expected i\/n/], ['1.5/3', /expected i\/n/]] as const) {
    t.throws(() => parseShard(bad), why, bad);
    try { parseShard(bad); } catch (e) { t.ok(e instanceof ShardError, `${bad}: a ShardError (a usage error, exit 2)`); }
  }
});

t.test('the CLI: a bad --shard is exit 2 naming the value, before anything starts', async (t) => {
  const sb = sandbox(t);
  for (const [bad, why] of [['0/3', /--shard 0\/3: the shard must be between 1 and 3/], ['4/3', /--shard 4\/3: the shard must be between 1 and 3/], ['x/y', /--shard "x\/y": expected i\/n/], ['1/0', /--shard 1\/0: the number of shards must be at least 1/]] as const) {
    const r = await cli(['run', join(FIXTURES, 'engine', 'pass-one-node.yaml'), '--shard', bad, '--out', sb.out], { env: sb.env });
    t.equal(r.exitCode, 2, bad);
    t.match(r.stderr.replace(/\s*›\s*/g, ' '), why, bad);
  }
});

t.test('the CLI: a shard with no scenario exits 0 and says so (also as JSON under --json)', async (t) => {
  const sb = sandbox(t);
  const file = join('test', 'fixtures', 'engine', 'pass-one-node.yaml');
  const r = await cli(['run', file, '--shard', '2/2', '--out', sb.out], { env: sb.env });
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, 'shard 2/2 has no scenarios (1 file(s) over 2 shards): nothing to run');
  const j = await cli(['run', file, '--shard', '2/2', '--out', sb.out, '--json'], { env: sb.env });
  t.equal(j.exitCode, 0);
  t.match(JSON.parse(j.stdout), { verdict: 'passed', exit_code: 0, shard: '2/2', scenarios: [] });
  t.match(j.stderr, 'nothing to run');
});
