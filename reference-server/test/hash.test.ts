// The shard-key hash is part of the protocol (docs/protocol.md): other clusters must be able
// to compute it. Check it against a byte-wise FNV-1a over TextEncoder's UTF-8.
import t from 'tap';
import { fnv1a32, shardKeyHash } from '../src/sharding/hash.js';

function reference(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

t.test('FNV-1a 32 over UTF-8, including multi-byte and surrogate pairs', async (t) => {
  for (const s of ['', 'a', 'server01\u0000', 'héllo', '日本語', 'emoji 😀 pair', 'lone \ud800 surrogate', 'x'.repeat(1000)]) {
    t.equal(fnv1a32(s), reference(s), JSON.stringify(s));
  }
  t.equal(fnv1a32('a'), 0xe40c292c, 'the published FNV-1a test vector for "a"');
});

t.test('shard-key hash: values in shard_keys order, NUL-terminated; all tags when no keys', async (t) => {
  t.equal(shardKeyHash({ host: 'server01', region: 'eu' }, ['host']), reference('server01\u0000'));
  t.equal(shardKeyHash({ host: 'a', region: 'b' }, ['region', 'host']), reference('b\u0000a\u0000'));
  t.equal(shardKeyHash({ region: 'b' }, ['host']), reference('\u0000'), 'a missing tag hashes as empty');
  t.equal(shardKeyHash({ z: '1', a: '2' }, []), reference('2\u00001\u0000'), 'no keys: every tag value in key order');
});
