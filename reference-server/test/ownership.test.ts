// Shard ownership answers who takes a shard's writes and who serves its reads. For a Stable
// shard (the only state the cluster has today) every listed node does both, in catalog order:
// the write path counts its consistency among them and reads prefer them in that order.
import t from 'tap';
import type { ShardDef } from '../src/catalog/state.js';
import { ackNodes, copyNodes, holdsCopy, readNodes, repairNodes, writeNodes } from '../src/sharding/ownership.js';

const shard = (node_ids: string[]): ShardDef => ({
  id: 7,
  db: 'd',
  table: 'm',
  time_range: [0n, 10n],
  hash_range: [0, 2 ** 32],
  node_ids,
  migration_status: 'Stable',
});

t.test('a Stable shard: every owner takes writes and serves reads, in catalog order', async (t) => {
  const s = shard(['c', 'a', 'b']);
  t.same(writeNodes(s), ['c', 'a', 'b']);
  t.same(readNodes(s), ['c', 'a', 'b']);
  t.same(copyNodes(s), ['c', 'a', 'b'], 'each copy holder once');
});

t.test('holdsCopy: owners hold a copy, other nodes do not', async (t) => {
  const s = shard(['a', 'b']);
  t.ok(holdsCopy(s, 'a'));
  t.ok(holdsCopy(s, 'b'));
  t.notOk(holdsCopy(s, 'c'));
  t.notOk(holdsCopy(shard([]), 'a'), 'a shard with no owners is held by no node');
});

t.test('a migrating shard: the target takes writes but serves no reads and its ack does not count', async (t) => {
  const s: ShardDef = { ...shard(['a', 'b']), migration_status: 'MigratingSnapshot', migrating_to: 'c' };
  t.same(writeNodes(s), ['a', 'b', 'c']);
  t.same(readNodes(s), ['a', 'b']);
  t.same(ackNodes(s), ['a', 'b']);
  t.same(repairNodes(s), ['a', 'b'], 'anti-entropy leaves the target to the migration');
  t.ok(holdsCopy(s, 'c'), 'the target holds a copy (it cannot be removed meanwhile)');
});

t.test('after the cutover: the former owner still takes writes until its copy is deleted', async (t) => {
  const s: ShardDef = { ...shard(['c', 'b']), migration_status: 'Stable', migrating_from: 'a' };
  t.same(writeNodes(s), ['c', 'b', 'a']);
  t.same(readNodes(s), ['c', 'b']);
  t.same(ackNodes(s), ['c', 'b']);
});
