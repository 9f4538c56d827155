// expect_catalog's raft / migrations / shard conditions, await's migration and rebalance
// conditions, and the live template names ${raft...} and ${shards.<table>...}, against
// answers shaped as docs/protocol.md says (a stub client: the scenarios under scenarios/
// run the same code against the reference cluster).
import t, { type Test } from 'tap';
import { checkRaft } from '../src/engine/steps/catalog-raft.js';
import { checkMigrations } from '../src/engine/steps/catalog-migrations.js';
import { checkShardQuantifiers } from '../src/engine/steps/catalog-shard-quantifiers.js';
import { SettledError, checkMigrationState, checkRebalanceState } from '../src/engine/steps/await-migration.js';
import { refreshLiveNames } from '../src/engine/live-names.js';
import { VerificationError } from '../src/engine/errors.js';
import type { ScenarioContext } from '../src/engine/context.js';

type Obj = Record<string, unknown>;

const RAFT = { node_id: 'b', role: 'follower', term: 4, leader: 'a', commit_index: 9, last_applied: 9, voters: ['a', 'b', 'c'], members: [{ id: 'a', voter: true, match_index: 9, next_index: 10 }, { id: 'd', voter: false, match_index: 3, next_index: 4 }] };

const fails = (t: Test, fn: () => unknown, re: RegExp, what: string) => t.throws(fn, re, what);

t.test('raft: leader, role, term and voters', async (t) => {
  t.doesNotThrow(() => checkRaft('b', { leader: 'a', role: 'follower', term_at_least: 4, voters: ['c', 'a', 'b'], members: [{ id: 'd', voter: false }] }, RAFT));
  t.doesNotThrow(() => checkRaft('b', { leader: 'any' }, RAFT));
  fails(t, () => checkRaft('b', { leader: 'c' }, RAFT), /raft state via b: expected leader c, got a \(term 4\)/, 'another leader');
  fails(t, () => checkRaft('b', { leader: 'any' }, { ...RAFT, leader: null, role: 'candidate' }), /no leader is known \(role candidate, term 4\)/, 'no leader');
  fails(t, () => checkRaft('b', { leader: 'none' }, RAFT), /expected no leader, but a leads/, 'a leader where none should be');
  fails(t, () => checkRaft('b', { term_at_least: 5 }, RAFT), /expected term at least 5, got 4/, 'an old term');
  t.doesNotThrow(() => checkRaft('b', { term_above: '3' }, RAFT), 'a template renders to text: still a number');
  fails(t, () => checkRaft('b', { term_above: 4 }, RAFT), /expected a term above 4 \(a new election\), got 4/, 'no election since');
  fails(t, () => checkRaft('b', { term_above: 'x' }, RAFT), /raft\.term_above: "x" is not an integer/, 'a bad template value');
  fails(t, () => checkRaft('b', { voters: ['a', 'b'] }, RAFT), /expected voters \[a, b\], got \[a, b, c\]/, 'voters as a set');
  fails(t, () => checkRaft('b', { members: [{ id: 'd', voter: true }] }, RAFT), /member d differs at member\.voter/, 'a member partially');
  fails(t, () => checkRaft('b', { members: [{ id: 'e' }] }, RAFT), /member e is not listed \(members: a, d\)/, 'a missing member');
});

const hist = (...states: string[]) => states.map((state, i) => ({ state, at: `2026-01-01T00:00:0${i}.000Z` }));
const M1 = { id: 'm1', shard_id: 7, db: 'db1', table: 't1', source: 'c', target: 'd', state: 'Cleaned', history: hist('MigratingSnapshot', 'MigratingWAL', 'AwaitingCutover', 'Stable', 'Cleaned') };
const M2 = { id: 'm2', shard_id: 8, db: 'db1', table: 't1', source: 'a', target: 'd', state: 'MigratingWAL', history: hist('MigratingSnapshot', 'MigratingWAL') };

t.test('migrations: partial match and the exact state sequence', async (t) => {
  const all = ['MigratingSnapshot', 'MigratingWAL', 'AwaitingCutover', 'Stable', 'Cleaned'];
  t.doesNotThrow(() => checkMigrations('a', [{ target: 'd', states: all }, { id: 'm2', source: 'a' }], [M1, M2]));
  fails(t, () => checkMigrations('a', [{ shard_id: 8, states: all }], [M1, M2]), /migration m2 via a: went through MigratingSnapshot -> MigratingWAL, expected MigratingSnapshot -> .* -> Cleaned/, 'an unfinished history');
  fails(t, () => checkMigrations('a', [{ shard_id: 7, states: ['MigratingSnapshot', 'Stable', 'Cleaned'] }], [M1]), /went through MigratingSnapshot -> MigratingWAL -> AwaitingCutover -> Stable -> Cleaned, expected/, 'exact: no skipped state');
  fails(t, () => checkMigrations('a', [{ id: 'm1', source: 'a' }], [M1, M2]), /none matches \{"id":"m1","source":"a"\}: migration m1 differs at migration\.source: expected "a", got "c"/, 'the closest migration says what differs');
  fails(t, () => checkMigrations('a', [{ shard_id: 9 }], []), /none matches \{"shard_id":9\} \(migrations: none\)/, 'no migrations at all');
});

const SHARDS: Obj[] = [
  { id: 1, db: 'db1', table: 't1', node_ids: ['a', 'b'], migration_status: 'Stable' },
  { id: 2, db: 'db1', table: 't1', node_ids: ['d', 'c'], migration_status: 'Stable' },
];

t.test('shard conditions: some, every, none', async (t) => {
  t.doesNotThrow(() => checkShardQuantifiers('w', { some: { node_ids_include: ['d'] }, every: { migration_status: 'Stable' }, none: { node_ids_include: ['e'] } }, SHARDS));
  t.doesNotThrow(() => checkShardQuantifiers('w', { some: { node_ids: ['c', 'd'] } }, SHARDS), 'node_ids as a set');
  fails(t, () => checkShardQuantifiers('w', { some: { node_ids_include: ['e'] } }, SHARDS), /w: no shard matches \{"node_ids_include":\["e"\]\} \(#1 db1\.t1 \[a, b\] Stable; #2 db1\.t1 \[d, c\] Stable\)/, 'some');
  fails(t, () => checkShardQuantifiers('w', { every: { node_ids_exclude: ['c'] } }, SHARDS), /shard #2 db1\.t1 \[d, c\] Stable does not match .*: node_ids \[d, c\] list c/, 'every');
  fails(t, () => checkShardQuantifiers('w', { none: { node_ids_include: ['a'] } }, SHARDS), /shard #1 .* matches \{"node_ids_include":\["a"\]\}, and no shard should/, 'none');
  fails(t, () => checkShardQuantifiers('w', { every: { migration_status: 'Stable' } }, [{ ...SHARDS[0], migration_status: 'MigratingWAL', migrating_to: 'd' }]), /differs|does not match .*migration_status/, 'a migrating shard');
  fails(t, () => checkShardQuantifiers('w', { every: { migration_status: 'Stable' } }, []), /^w: no shard to check \(every over zero shards\)$/, 'every over zero shards');
  fails(t, () => checkShardQuantifiers('w', { none: { table: 'nope' } }, []), /^w: no shard to check \(none over zero shards\)$/, 'none over zero shards');
});

/** A context whose client answers GETs from a table of paths (a function: answers may change per call). */
function stubCtx(answer: (path: string, node: string) => { status: number; json?: unknown }, running = ['a', 'b', 'c']) {
  const calls: string[] = [];
  const ctx = {
    client: {
      call: async (o: { node: string; path: string; query?: Obj }) => {
        calls.push(`${o.node} ${o.path}`);
        const a = answer(o.path, o.node);
        return { status: a.status, json: a.json, text: JSON.stringify(a.json ?? ''), ms: 1 };
      },
    },
    url: (id: string) => `http://${id}`,
    node: (ref?: string) => ref ?? running[0],
    driver: { nodes: () => running.map((id) => ({ id, state: 'running' })) },
    shards: new Map(), tables: new Map([['db1.t1', {}]]), tableShards: new Map(), defaultDb: 'db1',
    doc: { databases: { db1: { tables: { t1: {} } } } },
    raftView: undefined as unknown,
  };
  (ctx as unknown as { tableOfShardsPath: ScenarioContext['tableOfShardsPath'] }).tableOfShardsPath = (rest) => (rest[0] === 't1' ? { db: 'db1', table: 't1', segments: 1 } : undefined);
  return { ctx: ctx as unknown as ScenarioContext, calls };
}
const pick = (ref?: string) => ref ?? 'a';
const signal = new AbortController().signal;

t.test('await migration: a later state counts, a failed one ends the wait, the last state is named', async (t) => {
  let m: Obj = M2;
  const { ctx } = stubCtx((p) => (p === '/api/v3/cluster/migrations/m2' ? { status: 200, json: m } : p === '/api/v3/cluster/migrations' ? { status: 200, json: { migrations: [M1, m] } } : { status: 404, json: { error: 'unknown migration' } }));
  await t.rejects(checkMigrationState(ctx, { id: 'm2', state: 'Stable' }, 's', signal, pick), /last seen migration m2 \(shard 8 a->d\): MigratingWAL; history: MigratingSnapshot -> MigratingWAL/, 'not there yet: the state seen');
  t.notOk(await checkMigrationState(ctx, { id: 'm2', state: 'Stable' }, 's', signal, pick).catch((e) => e) instanceof SettledError, 'and the await keeps polling');
  m = { ...M2, state: 'Cleaned', history: hist('MigratingSnapshot', 'MigratingWAL', 'AwaitingCutover', 'Stable', 'Cleaned') };
  t.match(await checkMigrationState(ctx, { id: 'm2', state: 'Stable' }, 's', signal, pick), { state: 'Cleaned' }, 'Cleaned is past Stable');
  t.match(await checkMigrationState(ctx, { shard_id: 8, state: 'Cleaned' }, 's', signal, pick), { id: 'm2' }, 'by shard: its latest migration');
  m = { ...M2, state: 'RolledBack', error: 'target d went down' };
  const e = await checkMigrationState(ctx, { id: 'm2', state: 'Cleaned' }, 's', signal, pick).catch((x) => x);
  t.ok(e instanceof SettledError, 'RolledBack cannot reach Cleaned: the await stops');
  t.match(e.message, /RolledBack.*error: target d went down: it will not reach Cleaned/);
  await t.rejects(checkMigrationState(ctx, { id: 'nope', state: 'Cleaned' }, 's', signal, pick), /migration nope is not known to a \(404\)/);
  await t.rejects(checkMigrationState(ctx, { shard_id: 99, state: 'Cleaned' }, 's', signal, pick), /no migration of shard 99 is known to a/);
});

t.test('await rebalance: Done, still Running, or Failed for good', async (t) => {
  let state: Obj = { id: 'r1', strategy: 'add_node', state: 'Running', moves: [], migration_ids: [] };
  const { ctx } = stubCtx(() => ({ status: 200, json: state }));
  await t.rejects(checkRebalanceState(ctx, { id: 'r1', state: 'Done' }, 's', signal, pick), /last seen rebalance r1 \(add_node\) is Running/);
  state = { ...state, state: 'Done' };
  t.match(await checkRebalanceState(ctx, { id: 'r1', state: 'Done' }, 's', signal, pick), { state: 'Done' });
  state = { ...state, state: 'Failed', error: 'no room' };
  const e = await checkRebalanceState(ctx, { id: 'r1', state: 'Done' }, 's', signal, pick).catch((x) => x);
  t.ok(e instanceof SettledError && /is Failed: no room; it will not become Done/.test(e.message), e.message);
});

t.test('live names: ${raft.leader}, ${raft.followers.0} and ${shards.t1.0.id} as the cluster says when the step runs', async (t) => {
  const { ctx, calls } = stubCtx((p, node) => {
    if (p === '/api/v3/cluster/raft') return { status: 200, json: { ...RAFT, node_id: node, role: node === 'c' ? 'leader' : 'follower', leader: 'c', voters: ['a', 'b', 'c'] } };
    if (p === '/api/v3/cluster/shards') return { status: 200, json: { shards: [SHARDS[1], SHARDS[0]] } };
    return { status: 404 };
  });
  await refreshLiveNames(ctx, { kill: '${raft.leader}', via: '${raft.followers.0}', s: '${shards.t1.0.id}' }, 's', signal);
  t.same((ctx as unknown as { raftView: unknown }).raftView, { leader: 'c', term: 4, voters: ['a', 'b', 'c'], followers: ['a', 'b'] });
  t.same(ctx.tableShards.get('db1.t1')!.map((s) => s.id), [1, 2], 'in id order');
  t.ok(calls.includes('a /api/v3/cluster/raft') && calls.includes('c /api/v3/cluster/raft'), 'every running node is asked');
  const before = calls.length;
  await refreshLiveNames(ctx, { lines: 'cpu v=1' }, 's', signal);
  t.equal(calls.length, before, 'a step without live names asks nothing');
});

t.test('live names: a killed leader that the survivors still name is not the leader; followers are running voters', async (t) => {
  let elected = false;
  const { ctx } = stubCtx((_p, node) => ({ status: 200, json: elected && node === 'b'
    ? { ...RAFT, node_id: 'b', role: 'leader', term: 5, leader: 'b' }
    : { ...RAFT, node_id: node, role: 'follower', term: 4, leader: 'a' } }), ['b', 'c']);
  setTimeout(() => { elected = true; }, 300);
  await refreshLiveNames(ctx, '${raft.leader}', 's', signal);
  t.same((ctx as unknown as { raftView: unknown }).raftView, { leader: 'b', term: 5, voters: ['a', 'b', 'c'], followers: ['c'] }, 'waits for the election; a (down) is no follower to act on');
});

t.test('live names: no leader within the wait fails naming what each node said', { timeout: 30_000 }, async (t) => {
  const { ctx } = stubCtx((_p, node) => (node === 'a' ? { status: 503, json: { error: 'no catalog leader is reachable' } } : { status: 200, json: { ...RAFT, role: 'candidate', leader: null } }), ['a', 'b']);
  const e = await refreshLiveNames(ctx, '${raft.leader}', 's', signal).catch((x) => x);
  t.ok(e instanceof VerificationError, 'a verification failure of the step');
  t.match(e.message, /no Raft leader is known after 10s \(a: status 503; b: candidate, term 4, leader none\)/);
});

t.test('await migration by shard: the migration that started last, whatever the list order', async (t) => {
  const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
  const old = { ...M1, id: 'm9', shard_id: 5, state: 'Cleaned', history: [{ state: 'MigratingSnapshot', at: at(0) }, { state: 'Cleaned', at: at(100) }] };
  const now = { ...M2, id: 'm1', shard_id: 5, state: 'MigratingWAL', history: [{ state: 'MigratingSnapshot', at: at(5000) }, { state: 'MigratingWAL', at: at(5100) }] };
  const { ctx } = stubCtx(() => ({ status: 200, json: { migrations: [now, old] } }));
  await t.rejects(checkMigrationState(ctx, { shard_id: 5, state: 'Cleaned' }, 's', signal, pick), /last seen migration m1 \(shard 5 a->d\): MigratingWAL/, 'the shard\'s old, Cleaned migration does not satisfy the await');
});

t.test('live names: ${shards.<table>} from the node that lists the most, in numeric id order', async (t) => {
  const shard = (id: number) => ({ ...SHARDS[0], id });
  const { ctx } = stubCtx((p, node) => (p === '/api/v3/cluster/shards' ? { status: 200, json: { shards: node === 'a' ? [] : node === 'b' ? [shard(10), shard(9), shard(2)] : [shard(10)] } } : { status: 404 }));
  await refreshLiveNames(ctx, { s: '${shards.t1.0.id}' }, 's', signal);
  t.same(ctx.tableShards.get('db1.t1')!.map((s) => s.id), [2, 9, 10], 'b wrote them; a has not heard yet; ids compare as numbers');
});
