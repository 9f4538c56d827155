// The nemesis' state-dependent targets (the catalog leader, a shard's primary) and its
// membership operations (move_shard, rebalance): the schedule leaves their nodes to the round (pure,
// seeded), validate points at typos, and on a real cluster a leader round hits the node
// GET raft names, a move_shard round moves a copy with the history recording it, a target
// that cannot be read is an info round, replay makes the same choices again, and a
// rebalance round evens a skewed layout toward the least loaded node.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Driver } from '../src/drivers/driver.js';
import { Rng } from '../src/engine/rng.js';
import { planSchedule } from '../src/engine/nemesis/schedule.js';
import type { NemesisSpec } from '../src/scenario/types.js';
import { FIXTURES, cli, readJson, sandbox } from './helpers.js';

const IDS = ['a', 'b', 'c'];
const driver = { nodes: () => IDS.map((id) => ({ id, state: 'running' })) } as unknown as Driver;
const SPEC: NemesisSpec = {
  faults: [{ move_shard: { table: 'events' } }, { kill: { targets: 'leader' } }, { pause: { targets: { primary: 'events' } } }, 'partition', 'rebalance'],
  duration: '40s', hold: '1s', interval: '1s',
};

t.test('schedule: leader, primary and move_shard rounds are drawn as such, their nodes left to the round; same seed, same schedule', async (t) => {
  const a = planSchedule(SPEC, IDS, new Rng(42), driver);
  t.equal(a.length, 20, 'rounds fill the duration');
  t.same(planSchedule(SPEC, IDS, new Rng(42), driver), a, 'same seed, same schedule');
  t.not(JSON.stringify(planSchedule(SPEC, IDS, new Rng(43), driver)), JSON.stringify(a), 'another seed, another schedule');
  t.same(new Set(a.map((r) => r.fault)), new Set(['move_shard', 'kill', 'pause', 'partition', 'rebalance']), 'every kind drawn');
  for (const r of a) {
    if (r.fault === 'move_shard') t.match(r, { nodes: [], move: { table: 'events' }, targets: 'a copy of a shard of events' }, `round ${r.round}: the move is drawn from the catalog when it starts`);
    if (r.fault === 'rebalance') t.match(r, { nodes: [], rebalance: {} }, `round ${r.round}: the node to even toward is read when it starts`);
    if (r.fault === 'kill') t.match(r, { nodes: [], resolve: 'leader', targets: 'the catalog leader' }, `round ${r.round}: the leader is read when it starts`);
    if (r.fault === 'pause') t.match(r, { nodes: [], resolve: { primary: 'events' } }, `round ${r.round}: the primary is read when it starts`);
    if (r.fault === 'partition') {
      t.equal(r.nodes.length, 1, `round ${r.round}: a random node, drawn now`);
      t.equal(r.resolve, undefined);
      t.equal(r.move, undefined);
    }
  }
});

t.test('validate points at typos in membership kinds and state-dependent targets', async (t) => {
  const r = await cli(['validate', join(FIXTURES, 'nemesis', 'bad-membership.yaml')]);
  t.equal(r.exitCode, 2);
  const out = r.stdout + r.stderr;
  for (const m of [
    /bad-membership\.yaml:11:11: move_shard needs table/,
    /bad-membership\.yaml:12:30: must be one of: random, minority, majority, all, leader \(got "leadr"\)/,
    /bad-membership\.yaml:13:42: table "db1\.evnts" is not declared under databases \(did you mean "events"\?\)/,
    /bad-membership\.yaml:14:35: unknown key "primry" \(did you mean "primary"\?\)/,
    /bad-membership\.yaml:18:34: table "db1\.event" is not declared under databases \(did you mean "db1\.events"\?\)/,
    /bad-membership\.yaml:18:45: targets does not apply to move_shard/,
    /bad-membership\.yaml:18:62: delay does not apply to move_shard/,
    /bad-membership\.yaml:19:13: unknown fault kind "move_shrd" \(did you mean "move_shard"\?\)/,
  ]) t.match(out, m);
  t.notMatch(out, /must match "(then|else)" schema/, 'no noise from the schema\'s if/then');
});

interface Round { fault: string; nodes: string[]; rebalance?: { add_node: string }; outcome: string; detail: string; targets: string; move?: { shard_id: number; from: string; to: string }; resolved_from?: unknown; unresolved?: string; undo?: { fault: string; outcome: string; detail: string } }
const rounds = (j: any, path: string): Round[] => j.scenarios[0].steps.find((s: { path: string }) => s.path === path).output.rounds;
const history = (dir: string) => readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

t.test('on a real cluster: the leader round hits the node GET raft names, move_shard moves a copy, an unreadable target is info; replay repeats them', async (t) => {
  const sb = sandbox(t);
  const run = await cli(['run', join(FIXTURES, 'nemesis', 'membership.yaml'), '--seed', '3', '--out', sb.out], { env: sb.env });
  t.equal(run.exitCode, 0, run.stdout);
  const dir = join(sb.out, readdirSync(sb.out).find((d) => d !== 'latest')!);
  const j = readJson(join(dir, 'journal.json'));
  const ops = history(dir);
  const steps = j.scenarios[0].steps as Array<{ path: string; output: any }>;
  const first = steps.find((s) => s.path === '1')!.output.body.leader as string;

  // Step 3: the first leader is stopped; the round reads the new one and pauses it.
  const [lead] = rounds(j, '3');
  t.match(lead, { fault: 'pause', outcome: 'ok', resolved_from: 'leader', undo: { fault: 'resume', outcome: 'ok' } });
  const named = ops.filter((o) => o.step === '3' && o.f === 'catalog' && o.type === 'ok' && o.value.leader).map((o) => o.value.leader);
  t.ok(named.length > 0, 'the round asked GET raft');
  t.same(lead.nodes, [named.at(-1)], `it paused the node GET raft named (${named.at(-1)})`);
  t.not(lead.nodes[0], first, 'the leader as it is when the round starts, not the first one');
  const pauses = ops.filter((o) => o.step === '3' && o.f === 'pause');
  t.same(pauses.map((o) => o.type), ['invoke', 'ok']);
  t.same(pauses[0].value, lead.nodes, 'the history names the node paused');

  // Step 5: a copy moved, awaited to its end; the history has the move and its outcome.
  const [mv] = rounds(j, '5');
  t.match(mv, { fault: 'move_shard', outcome: 'ok', move: { db: 'db1', table: 'events' }, undo: { fault: 'await_migration', outcome: 'ok', detail: /^mig-\S+ Cleaned$/ } });
  const moves = ops.filter((o) => o.f === 'move_shard');
  t.same(moves.map((o) => o.type), ['invoke', 'ok']);
  t.same(moves[0].value, mv.move, 'the invoke names shard, from and to');
  t.match(moves[1].value, { ...mv.move, migration_id: /^mig-/, state: 'Cleaned' }, 'the outcome has the migration id and final state');
  t.ok(ops.some((o) => o.step === '5' && o.f === 'admin' && o.value?.path === '/api/v3/cluster/shards/move'), 'through POST shards/move');
  const shard = steps.find((s) => s.path === '7')!.output.body.shards.find((s: { id: number }) => s.id === mv.move!.shard_id);
  t.ok(shard.node_ids.includes(mv.move!.to) && !shard.node_ids.includes(mv.move!.from), `the catalog lists shard ${mv.move!.shard_id} on ${mv.move!.to}, not ${mv.move!.from}: ${shard.node_ids}`);

  // Step 6: no shard to take a primary from: an info round and an info operation, and the nemesis goes on.
  const [none] = rounds(j, '6');
  t.match(none, { fault: 'pause', outcome: 'info', unresolved: 'table db1.empty has no shards in the catalog' });
  t.match(ops.filter((o) => o.step === '6' && o.f === 'pause').map((o) => o.type), ['invoke', 'info']);

  // Step 8: the primary (first owner) of a shard of events, as the catalog lists them now.
  const [primary] = rounds(j, '8');
  const firsts = steps.find((s) => s.path === '7')!.output.body.shards.map((s: { node_ids: string[] }) => s.node_ids[0]);
  t.match(primary, { fault: 'pause', outcome: 'ok', resolved_from: { primary: 'events' } });
  t.ok(primary.nodes.length === 1 && firsts.includes(primary.nodes[0]), `it paused ${primary.nodes}, the first owner of a shard (${firsts})`);

  // Replay acts on the recorded nodes and makes the recorded move again.
  const replay = await cli(['replay', dir, '--out', join(sb.out, 'replay')], { env: sb.env });
  t.equal(replay.exitCode, 0, replay.stdout + replay.stderr);
  const r = readJson(join(sb.out, 'replay', 'latest', 'journal.json'));
  t.same(rounds(r, '3')[0]!.nodes, lead.nodes, 'the recorded leader round hits the same node');
  t.same(rounds(r, '5')[0]!.move, mv.move, 'the same move');
  t.match(rounds(r, '5')[0], { outcome: 'ok', undo: { outcome: 'ok' } });
  t.match(rounds(r, '6')[0], { outcome: 'info', unresolved: none.unresolved });
  const rops = history(join(sb.out, 'replay', 'latest'));
  t.notOk(rops.some((o) => o.step === '3' && o.value?.path === '/api/v3/cluster/raft'), 'replay does not read the leader again');
});

t.test('on a real cluster: a rebalance round moves copies toward the least loaded node and awaits Done', async (t) => {
  const sb = sandbox(t);
  const run = await cli(['run', join(FIXTURES, 'nemesis', 'rebalance.yaml'), '--seed', '5', '--out', sb.out], { env: sb.env });
  t.equal(run.exitCode, 0, run.stdout);
  const dir = join(sb.out, readdirSync(sb.out).find((d) => d !== 'latest')!);
  const j = readJson(join(dir, 'journal.json'));
  const [rb] = rounds(j, '1');
  t.match(rb, { fault: 'rebalance', outcome: 'ok', rebalance: { add_node: 'c' }, nodes: ['c'], undo: { fault: 'await_rebalance', outcome: 'ok', detail: /^\S+ Done$/ } }, 'toward c, the only node without a copy');
  const ops = history(dir).filter((o) => o.f === 'rebalance');
  t.same(ops.map((o) => o.type), ['invoke', 'ok']);
  t.same(ops[0].value, { add_node: 'c' });
  t.match(ops[1].value, { add_node: 'c', rebalance_id: /\S/, state: 'Done' });
  const steps = j.scenarios[0].steps as Array<{ path: string; output: any }>;
  const owners = steps.find((s) => s.path === '2')!.output.body.shards.map((s: { node_ids: string[] }) => s.node_ids[0]);
  t.ok(owners.includes('c'), `c holds a copy now: ${owners}`);
});
