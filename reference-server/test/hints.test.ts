// Hint files: durable, replayed in order, cut after a torn append, and a hint the target refuses
// for good is set aside instead of blocking the hints behind it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import pino from 'pino';
import { HintedHandoff } from '../src/repair/hints.js';
import { waitFor } from './helpers/cluster.js';
import type { WalEntry } from '../src/storage/wal.js';

const log = pino({ level: 'silent' });
const entry = (shard: number): WalEntry[] => [{ db: 'db', table: 't', shard, ver: shard, points: [] }];
const permanent = (err: unknown) => (err as Error).message.startsWith('refused');

t.test('a hint torn by a crash mid-append is cut, and later hints are not glued to it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-hints-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'b.hints'), JSON.stringify(entry(1)) + '\n' + JSON.stringify(entry(2)).slice(0, 20));
  const sent: number[] = [];
  const h = new HintedHandoff(dir, async (_n, e) => void sent.push(e[0]!.shard), () => true, permanent, log);
  t.equal(h.pendingFor('b'), 1, 'only the complete hint counts');
  h.store('b', entry(3));
  await h.replay('b');
  t.same(sent, [1, 3], 'both complete hints replayed, in order');
  t.equal(h.pendingFor('b'), 0);
  t.equal(fs.readFileSync(path.join(dir, 'b.hints'), 'utf8'), '');
});

t.test('a transient failure keeps the rest for later; a permanent refusal is set aside', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-hints-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  let mode: 'down' | 'up' = 'down';
  const sent: number[] = [];
  const h = new HintedHandoff(dir, async (_n, e) => {
    const shard = e[0]!.shard;
    if (mode === 'down' && shard === 2) throw new Error('connection refused');
    if (shard === 3) throw new Error('refused: shard not found');
    sent.push(shard);
  }, () => true, permanent, log);
  for (const s of [1, 2, 3, 4]) h.store('c', entry(s));
  await h.replay('c');
  t.same(sent, [1], 'stops at the transient failure');
  t.equal(h.pendingFor('c'), 3);
  mode = 'up';
  await h.replay('c');
  t.same(sent, [1, 2, 4], 'hint 3 was refused for good and does not block hint 4');
  t.equal(h.pendingFor('c'), 0);
  t.equal(h.rejected, 1);
  t.match(fs.readFileSync(path.join(dir, 'c.rejected'), 'utf8'), /"shard":3/);
});

t.test('a target that keeps failing is retried less and less often, not every tick', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-hints-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const attempts: number[] = [];
  const h = new HintedHandoff(dir, async () => {
    attempts.push(Date.now());
    throw new Error('503 busy');
  }, () => true, permanent, log);
  t.teardown(() => h.stop());
  h.store('d', entry(1));
  h.start(20); // ticks every 20 ms
  await waitFor(() => attempts.length >= 3, 10_000);
  const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
  t.ok(gaps[0]! >= 450, `second attempt waited ${gaps[0]} ms, not one tick`);
  t.ok(gaps[1]! >= 2 * 450, `third attempt waited ${gaps[1]} ms: the delay doubles`);
  t.equal(h.pendingFor('d'), 1, 'the hint is kept for later');
});
