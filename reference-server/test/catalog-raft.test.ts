// The catalog's Raft driven in one process over the in-memory transport: catalogs as nodes
// would run them, with links cut and healed, nodes killed and restarted on their storage.
// What a node relies on: at most one leader per term, a committed change is never lost when
// the leader is, a minority cannot change the catalog (and says so with a 503), and a node
// that was down catches up, from the log or from a snapshot.
import t, { type Test } from 'tap';
import type { Logger } from '../src/util/log.js';
import { raftCatalog, type Catalog } from '../src/catalog/catalog.js';
import { MemoryRaftStorage } from '../src/catalog/raft/storage.js';
import { InMemoryCatalogNetwork } from '../src/catalog/memory-transport.js';
import type { RaftTiming } from '../src/catalog/raft/timing.js';

/** Ten times faster than on a node: the in-memory transport answers in microseconds. */
const FAST: Partial<RaftTiming> = { electionMinMs: 60, electionMaxMs: 120, heartbeatMs: 15, tickMs: 5, rpcTimeoutMs: 100, snapshotTimeoutMs: 300, leaderWaitMs: 800, startWaitMs: 3000 };

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Cluster {
  net: InMemoryCatalogNetwork;
  nodes: Record<string, Catalog>;
  storages: Record<string, MemoryRaftStorage>;
  /** Every (term, leader) any node announced: two leaders in one term would show up here. */
  leadersByTerm: Map<number, Set<string>>;
  /** Starts (or restarts) a node on its storage; resolves when its start() has. */
  boot(id: string, opts?: { wipe?: boolean }): Promise<Catalog>;
  kill(id: string): void;
  leader(among?: string[]): Promise<string>;
}

async function cluster(t: Test, opts: { ids?: string[]; seed?: number; timing?: Partial<RaftTiming>; storage?: (id: string) => MemoryRaftStorage } = {}): Promise<Cluster> {
  const ids = opts.ids ?? ['a', 'b', 'c'];
  const peers = ids.map((id) => ({ id, url: `mem://${id}` }));
  const net = new InMemoryCatalogNetwork();
  const nodes: Record<string, Catalog> = {};
  const storages: Record<string, MemoryRaftStorage> = {};
  const leadersByTerm = new Map<number, Set<string>>();
  const random = seeded(opts.seed ?? 1);
  const logger = (id: string) =>
    ({
      info(obj: { term?: number }, msg?: string) {
        if (msg === 'catalog leader elected') {
          const set = leadersByTerm.get(obj.term!) ?? new Set<string>();
          leadersByTerm.set(obj.term!, set.add(id));
        }
      },
      warn() {},
      error() {},
      debug() {},
    }) as unknown as Logger;
  const boot = async (id: string, o: { wipe?: boolean } = {}) => {
    nodes[id]?.stop();
    if (o.wipe) delete storages[id];
    const c = raftCatalog({
      selfId: id,
      bootstrapPeers: peers,
      storage: (storages[id] ??= opts.storage?.(id) ?? new MemoryRaftStorage()),
      transport: net.transport(id),
      log: logger(id),
      timing: { ...FAST, ...opts.timing },
      random,
    });
    nodes[id] = c;
    net.register(id, c.rpc);
    c.open();
    await c.start();
    return c;
  };
  const kill = (id: string) => {
    nodes[id]?.stop();
    net.unregister(id);
  };
  const leader = async (among = Object.keys(nodes)) => {
    let found: string | undefined;
    const ok = await eventually(() => {
      const leaders = among.filter((id) => nodes[id]!.isLeader && nodes[id]!.ready);
      found = leaders.length === 1 ? leaders[0] : undefined;
      return found !== undefined && among.every((id) => nodes[id]!.leaderId === found);
    });
    if (!ok) throw new Error(`no single leader among ${among}: ${among.map((id) => `${id}=${nodes[id]!.leaderId}`).join(' ')}`);
    return found!;
  };
  await Promise.all(ids.map((id) => boot(id)));
  t.teardown(() => Object.values(nodes).forEach((c) => c.stop()));
  return { net, nodes, storages, leadersByTerm, boot, kill, leader };
}

const databases = (c: Catalog) => Object.keys(c.state.databases).sort();
const createDb = (db: string) => ({ kind: 'command' as const, command: { type: 'create_database' as const, db } });

/** Polls until `cond` holds or `ms` have passed. */
async function eventually(cond: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

function oneLeaderPerTerm(t: Test, c: Cluster): void {
  const doubled = [...c.leadersByTerm].filter(([, s]) => s.size > 1);
  t.same(doubled.map(([term, s]) => `${term}:${[...s]}`), [], `at most one leader per term (${c.leadersByTerm.size} terms had one)`);
}

t.test('a cluster elects one leader, founds one catalog, and a change made anywhere is applied everywhere', async (t) => {
  const c = await cluster(t);
  const leader = await c.leader();
  const ids = Object.keys(c.nodes);
  t.ok(ids.every((id) => c.nodes[id]!.state.cluster_id === c.nodes[leader]!.state.cluster_id && c.nodes[id]!.state.cluster_id), 'one cluster id');
  const follower = ids.find((id) => id !== leader)!;
  const r = await c.nodes[follower]!.propose(createDb('via-follower'));
  t.ok(databases(c.nodes[follower]!).includes('via-follower'), 'the proposer has applied it when it answers');
  t.ok(await eventually(() => ids.every((id) => c.nodes[id]!.version === r.version)), 'every node applies it');
  const status = c.nodes[leader]!.raftStatus();
  t.equal(status.role, 'leader');
  t.same(status.voters, ['a', 'b', 'c']);
  t.ok(status.members.every((m) => m.match_index >= 1), 'the leader tracks every member');
  oneLeaderPerTerm(t, c);
});

t.test('a committed change survives the loss of the leader, and the restarted leader catches up', async (t) => {
  const c = await cluster(t, { seed: 7 });
  const old = await c.leader();
  await c.nodes[old]!.propose(createDb('before'));
  c.kill(old);
  const rest = Object.keys(c.nodes).filter((id) => id !== old);
  const fresh = await c.leader(rest);
  t.not(fresh, old, 'a new leader is elected among the survivors');
  for (const id of rest) t.ok(databases(c.nodes[id]!).includes('before'), `${id} still has the committed change`);
  await c.nodes[rest[0]!]!.propose(createDb('after'));
  await c.boot(old);
  t.ok(await eventually(() => databases(c.nodes[old]!).includes('after')), 'the old leader, restarted, catches up');
  t.ok(databases(c.nodes[old]!).includes('before'), 'and replays its own log');
  oneLeaderPerTerm(t, c);
});

t.test('a partitioned minority cannot commit: its requests get 503, the majority goes on, then one history', async (t) => {
  const c = await cluster(t, { seed: 3 });
  const old = await c.leader();
  c.net.isolate(old);
  const started = Date.now();
  await t.rejects(c.nodes[old]!.propose(createDb('minority')), { status: 503, message: /no catalog leader is reachable/ }, 'the cut-off leader refuses');
  t.ok(Date.now() - started < 5000, `it answers within seconds (${Date.now() - started} ms)`);
  const rest = Object.keys(c.nodes).filter((id) => id !== old);
  await c.leader(rest);
  await c.nodes[rest[0]!]!.propose(createDb('majority'));
  t.notOk(databases(c.nodes[old]!).includes('majority'));
  await t.rejects(c.nodes[old]!.propose(createDb('minority-2')), { status: 503, message: /no catalog leader is reachable/ }, 'still refused once it stepped down');
  c.net.heal(old);
  t.ok(await eventually(() => databases(c.nodes[old]!).includes('majority')), 'healed, it follows the majority');
  const views = Object.values(c.nodes).map((n) => JSON.stringify([n.version, databases(n)]));
  t.ok(await eventually(() => new Set(Object.values(c.nodes).map((n) => JSON.stringify([n.version, databases(n)]))).size === 1), `one history: ${views}`);
  t.notOk(databases(c.nodes[old]!).includes('minority'), 'the minority change never committed');
  oneLeaderPerTerm(t, c);
});

t.test('a follower back from a partition does not depose the healthy leader (pre-vote)', async (t) => {
  const c = await cluster(t, { seed: 13 });
  const leader = await c.leader();
  const term = c.nodes[leader]!.raftStatus().term;
  const cut = Object.keys(c.nodes).find((id) => id !== leader)!;
  c.net.isolate(cut);
  await new Promise((r) => setTimeout(r, 10 * FAST.electionMaxMs!)); // many election timeouts alone
  t.equal(c.nodes[cut]!.raftStatus().term, term, 'alone, it never won a pre-vote, so never raised its term');
  c.net.heal(cut);
  await c.nodes[leader]!.propose(createDb('after-heal'));
  t.ok(await eventually(() => databases(c.nodes[cut]!).includes('after-heal')), 'it follows again');
  t.equal(await c.leader(), leader, 'the same leader');
  t.equal(c.nodes[leader]!.raftStatus().term, term, 'in the same term');
});

t.test('a change whose leader was deposed before it committed is settled: sent to the new leader, applied once', async (t) => {
  const c = await cluster(t, { seed: 9 });
  const old = await c.leader();
  c.net.isolate(old);
  const pending = c.nodes[old]!.propose(createDb('in-doubt')); // appended on the old leader only
  const rest = Object.keys(c.nodes).filter((id) => id !== old);
  await c.leader(rest);
  c.net.heal(old); // the new leader overwrites the old leader's uncommitted entry
  const r = await pending;
  t.ok(r.version > 0, 'the proposer got an answer, not a 503');
  t.ok(await eventually(() => Object.values(c.nodes).every((n) => databases(n).includes('in-doubt'))), 'the change is applied everywhere');
  t.equal(new Set(Object.values(c.nodes).map((n) => n.version)).size, 1, 'one history');
  oneLeaderPerTerm(t, c);
});

t.test('a node that missed more than a snapshot covers catches up from the snapshot', async (t) => {
  const c = await cluster(t, { seed: 5, timing: { snapshotEvery: 5 } });
  const leader = await c.leader();
  const lagging = Object.keys(c.nodes).find((id) => id !== leader)!;
  await c.nodes[leader]!.propose(createDb('dropped'));
  t.ok(await eventually(() => databases(c.nodes[lagging]!).includes('dropped')));
  c.kill(lagging);
  await c.nodes[leader]!.propose({ kind: 'command', command: { type: 'delete_database', db: 'dropped' } });
  for (let i = 0; i < 12; i++) await c.nodes[leader]!.propose(createDb(`db${i}`));
  t.ok((c.storages[leader]!.snapshot?.index ?? 0) > 5, 'the leader compacted its log');
  t.ok(c.storages[leader]!.entries.length < 12, `the log did not keep growing (${c.storages[leader]!.entries.length} entries)`);
  const heard: string[] = [];
  const restarted = c.boot(lagging);
  c.nodes[lagging]!.onApplied((cmd) => heard.push(cmd.type === 'delete_database' ? `delete ${cmd.db}` : cmd.type));
  await restarted;
  t.ok(await eventually(() => c.nodes[lagging]!.version === c.nodes[leader]!.version), 'the restarted node caught up');
  t.ok(heard.includes('delete dropped'), `its listeners heard of the delete the snapshot covers (they heard ${heard})`);
  t.same(databases(c.nodes[lagging]!), databases(c.nodes[leader]!));
  t.ok(c.storages[lagging]!.snapshot, 'from a snapshot the leader sent');
  // A wiped node (data dir lost) rejoins the cluster it belonged to instead of founding one.
  await c.boot(lagging, { wipe: true });
  t.ok(await eventually(() => c.nodes[lagging]!.version === c.nodes[leader]!.version));
  t.equal(c.nodes[lagging]!.state.cluster_id, c.nodes[leader]!.state.cluster_id, 'same cluster id');
});

t.test('membership: a joining node becomes a voter and Active once caught up; a decommissioned one leaves the voters', async (t) => {
  const c = await cluster(t, { seed: 11 });
  const leader = await c.leader();
  await c.nodes[leader]!.propose({ kind: 'command', command: { type: 'add_node', id: 'd', url: 'mem://d', status: 'Joining' } });
  t.equal(c.nodes[leader]!.state.nodes['d']!.status, 'Joining');
  // d starts with the initial peers in its list; the cluster exists, so it waits to be replicated to.
  const d = c.boot('d');
  t.ok(await eventually(() => c.nodes[leader]!.state.nodes['d']!.status === 'Active'), 'd caught up and is Active');
  t.ok(c.nodes[leader]!.raftStatus().voters.includes('d'), 'd is a voter');
  await d;
  t.equal(c.nodes['d']!.raftStatus().role === 'learner', false, 'd no longer reports itself a learner');
  const other = ['a', 'b', 'c'].find((id) => id !== leader)!;
  await c.nodes[leader]!.propose({ kind: 'command', command: { type: 'set_node_status', id: other, status: 'Decommissioned' } });
  t.ok(await eventually(() => !c.nodes[leader]!.raftStatus().voters.includes(other)), `${other} left the voter set`);
  t.ok(await eventually(() => c.nodes[other]!.raftStatus().role === 'learner'), `${other} knows it is a learner now`);
  await t.rejects(c.nodes[leader]!.propose({ kind: 'command', command: { type: 'remove_node', id: leader } }), { status: 409, message: /is the catalog leader and cannot be removed/ }, 'the leader is not removed under itself');
});

t.test('random partitions and restarts (seeded, bounded): one leader per term, no acknowledged change lost', async (t) => {
  const SEEDS = [101, 202, 303, 404, 505, 606];
  for (const seed of SEEDS) {
    const c = await cluster(t, { seed, ids: ['a', 'b', 'c', 'd', 'e'] });
    const rnd = seeded(seed * 31);
    const ids = Object.keys(c.nodes);
    const pick = () => ids[Math.floor(rnd() * ids.length)]!;
    const acked: string[] = [];
    const inflight: Array<Promise<unknown>> = [];
    const down = new Set<string>();
    for (let step = 0; step < 40; step++) {
      const r = rnd();
      const id = pick();
      if (r < 0.15) c.net.isolate(id);
      else if (r < 0.3) c.net.heal(id);
      else if (r < 0.38 && !down.has(id) && down.size < 2) {
        c.kill(id);
        down.add(id);
      } else if (r < 0.46 && down.has(id)) {
        down.delete(id);
        inflight.push(c.boot(id));
      } else if (!down.has(id)) {
        const db = `s${seed}-${step}`;
        inflight.push(c.nodes[id]!.propose(createDb(db)).then(() => acked.push(db), () => undefined));
      }
      await new Promise((res) => setTimeout(res, 20 + rnd() * 60));
    }
    c.net.healAll();
    for (const id of down) inflight.push(c.boot(id));
    await Promise.all(inflight);
    const leader = await c.leader();
    await c.nodes[leader]!.propose(createDb(`final-${seed}`)); // commits everything before it too
    const same = await eventually(() => ids.every((id) => c.nodes[id]!.version === c.nodes[leader]!.version));
    t.ok(same, `seed ${seed}: every node converges on one version`);
    const want = databases(c.nodes[leader]!);
    t.ok(ids.every((id) => JSON.stringify(databases(c.nodes[id]!)) === JSON.stringify(want)), `seed ${seed}: one history on every node`);
    t.same(acked.filter((db) => !want.includes(db)), [], `seed ${seed}: every acknowledged change (${acked.length}) is in the catalog`);
    oneLeaderPerTerm(t, c);
    Object.values(c.nodes).forEach((n) => n.stop());
  }
});

t.test('a client of a leader that loses the leadership while its request waits gets 503, never 421', async (t) => {
  const c = await cluster(t);
  const old = await c.leader();
  c.net.isolate(old);
  // The first holds the request mutex until the leader steps down; the second then finds it a follower.
  const results = await Promise.allSettled([c.nodes[old]!.propose(createDb('queued-1')), c.nodes[old]!.propose(createDb('queued-2'))]);
  for (const [i, r] of results.entries()) {
    t.equal(r.status, 'rejected', `request ${i + 1} failed`);
    const err = (r as PromiseRejectedResult).reason as { status: number; message: string };
    t.equal(err.status, 503, `request ${i + 1}: 503 (${err.message})`);
    t.match(err.message, /no catalog leader is reachable/);
  }
});

t.test('a forward whose answer was lost is not sent again: 503 "may still commit", and it is applied once', async (t) => {
  const c = await cluster(t);
  const leader = await c.leader();
  const follower = Object.keys(c.nodes).find((id) => id !== leader)!;
  c.net.loseReplies(follower, leader); // delivered and handled, the answer never comes back
  await t.rejects(c.nodes[follower]!.propose(createDb('once')), { status: 503, message: /no catalog leader is reachable.*may still commit/ }, 'not retried (a retry would be a 409: it exists)');
  c.net.healAll();
  t.ok(await eventually(() => databases(c.nodes[follower]!).includes('once')), 'it did commit, and reaches the follower');
  const again = await c.nodes[follower]!.propose(createDb('after'));
  t.ok(again.version > 0, 'forwarding works again once replies come back');
});

t.test('a change committed on the leader is a success on the forwarding node even if it cannot apply it in time', async (t) => {
  const c = await cluster(t);
  const leader = await c.leader();
  const follower = Object.keys(c.nodes).find((id) => id !== leader)!;
  c.net.cutOneWay(leader, follower); // the follower reaches the leader; the leader's appends do not reach it
  const r = await c.nodes[follower]!.propose(createDb('lagging'));
  t.ok(r.version > 0, 'answered with the committed version, not a 503 that invites a second create');
  t.ok(databases(c.nodes[leader]!).includes('lagging'), 'committed');
  c.net.healAll();
  t.ok(await eventually(() => databases(c.nodes[follower]!).includes('lagging')), 'the follower applies it once healed');
});

t.test('a write\'s schema intent that committed but is not applied on the forwarding node is a 503 (its caller reads it at once)', async (t) => {
  const c = await cluster(t);
  const leader = await c.leader();
  const follower = Object.keys(c.nodes).find((id) => id !== leader)!;
  const intent = { kind: 'ensure_schema' as const, db: 'w', tables: [{ table: 'm', columns: [{ name: 'time', kind: 'time' as const }] }] };
  c.net.cutOneWay(leader, follower); // the follower reaches the leader; the leader's appends do not reach it
  const outcome = await c.nodes[follower]!.propose(intent).then(
    (r) => ({ resolved: r }),
    (e: { status?: number; message?: string }) => ({ status: e.status, message: e.message }),
  );
  t.match(outcome, { status: 503, message: /committed on leader .* has not applied it yet .*; retrying is safe/ }, 'a 503 that says it committed');
  t.ok(databases(c.nodes[leader]!).includes('w'), 'committed on the leader');
  c.net.healAll();
  t.ok(await eventually(() => databases(c.nodes[follower]!).includes('w')), 'applied once healed');
  const again = await c.nodes[follower]!.propose(intent);
  t.same(again.rejected, {}, 'the retry is harmless');
});

t.test('a voter whose data dir was wiped refuses votes until it holds the log again', async (t) => {
  const c = await cluster(t);
  const leader = await c.leader();
  const wiped = Object.keys(c.nodes).find((id) => id !== leader)!;
  const other = Object.keys(c.nodes).find((id) => id !== leader && id !== wiped)!;
  c.kill(wiped);
  c.net.cutOneWay(leader, wiped); // its probes find the cluster, the leader's appends do not arrive yet
  const node = await c.boot(wiped, { wipe: true }); // start() waits out startWaitMs: no leader heard
  const vote = node.rpc.requestVote({ term: 1000, candidate_id: other, last_log_index: 1000, last_log_term: 1000, pre_vote: false, cluster_id: '' });
  t.notOk(vote.granted, 'no vote: it may have given one in that term before it lost its disk');
  c.net.healAll();
  t.ok(await eventually(() => node.state.cluster_id === c.nodes[leader]!.state.cluster_id && node.leaderId === leader), 'it catches up from the leader');
  t.equal(await c.leader(), leader, 'the leader kept its place');
  oneLeaderPerTerm(t, c);
});

t.test('a disk error while electing is logged, never an unhandled rejection (which would kill the process)', async (t) => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', record);
  t.teardown(() => process.off('unhandledRejection', record));
  class FullDisk extends MemoryRaftStorage {
    attempts = 0;
    override saveHardState(): void {
      this.attempts++;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
  }
  const storage = new FullDisk();
  const net = new InMemoryCatalogNetwork();
  const errors: string[] = [];
  const log = { info() {}, warn() {}, debug() {}, error: (o: { err?: string }) => errors.push(o.err ?? '') } as unknown as Logger;
  const solo = raftCatalog({ selfId: 'solo', bootstrapPeers: [{ id: 'solo', url: 'mem://solo' }], storage, transport: net.transport('solo'), log, timing: { ...FAST, startWaitMs: 200 }, random: seeded(3) });
  net.register('solo', solo.rpc);
  solo.open();
  t.teardown(() => solo.stop());
  await solo.start(); // it cannot win: voting for itself cannot be stored
  t.ok(await eventually(() => storage.attempts >= 3), 'it tried to elect itself several times');
  t.same(unhandled.map(String), [], 'no unhandled rejection');
  t.ok(errors.some((e) => /ENOSPC/.test(e)), 'the disk error is logged');
});

t.test('a stopped node writes nothing, even when answers to its calls arrive after stop()', async (t) => {
  class Recording extends MemoryRaftStorage {
    closed = false;
    afterClose: string[] = [];
    override close(): void {
      this.closed = true;
    }
    override saveHardState(hard: Parameters<MemoryRaftStorage['saveHardState']>[0]): void {
      if (this.closed) this.afterClose.push('saveHardState');
      super.saveHardState(hard);
    }
    override saveCommitIndex(index: number): void {
      if (this.closed) this.afterClose.push('saveCommitIndex');
      super.saveCommitIndex(index);
    }
    override append(entries: Parameters<MemoryRaftStorage['append']>[0]): void {
      if (this.closed) this.afterClose.push('append');
      super.append(entries);
    }
  }
  const c = await cluster(t, { storage: () => new Recording() });
  const leader = await c.leader();
  const term = c.nodes[leader]!.rpc.probe().term;
  const followers = Object.keys(c.nodes).filter((id) => id !== leader);
  // Heartbeats under way now are dropped, so every answer held below is to one sent afterwards.
  for (const id of followers) c.net.cutOneWay(leader, id);
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  // The followers move to a later term (a vote they refuse: the candidate has no log), so each
  // answer to the leader's next heartbeat tells it to step down, which stores the new term.
  for (const id of followers) {
    c.nodes[id]!.rpc.requestVote({ term: term + 5, candidate_id: 'nobody', last_log_index: 0, last_log_term: 0, pre_vote: false, cluster_id: '' });
  }
  c.net.holdReplies(leader);
  c.net.healAll();
  t.ok(await eventually(() => c.net.heldReplies > 0), 'a heartbeat went out, its answer held back');
  c.kill(leader);
  c.net.releaseReplies();
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r)); // the answers are handled
  t.same((c.storages[leader] as Recording).afterClose, [], 'nothing written after stop()');
});

t.test('a deposed leader whose entry was overwritten in its own log waits for what commits (figure 8): applied once, a success', async (t) => {
  const c = await cluster(t, { timing: { leaderWaitMs: 3000 } });
  const a = await c.leader();
  const [b, other] = Object.keys(c.nodes).filter((id) => id !== a) as [string, string];
  c.net.cutLink(a, b);
  c.net.loseReplies(a, other); // `other` stores the entry, its ack never arrives: nothing commits
  const before = c.nodes[a]!.rpc.probe();
  const pending = c.nodes[a]!.propose(createDb('fig8'));
  const i = before.last_log_index + 1;
  t.ok(await eventually(() => c.nodes[other]!.rpc.probe().last_log_index >= i), 'the entry reached one follower');
  // A leader of the next term (its messages forged here) overwrites the entry in a's log only.
  const prev = c.storages[a]!.entries.find((e) => e.index === i - 1)!;
  const reply = c.nodes[a]!.rpc.appendEntries({ term: before.term + 1, leader_id: b, prev_log_index: i - 1, prev_log_term: prev.term, entries: [{ index: i, term: before.term + 1 }], leader_commit: 0, cluster_id: before.cluster_id });
  t.ok(reply.success, 'a took the next leader\'s entry in place of its own');
  c.net.healAll();
  // `other` still holds the entry: elected, it commits it under its own term.
  const r = await pending;
  t.ok(r.version > 0, 'the proposer learns it committed (a re-proposal would have been a 409: it exists)');
  const leader = await c.leader();
  t.ok(await eventually(() => Object.values(c.nodes).every((n) => n.state.version === c.nodes[leader]!.state.version)), 'every node converges');
  t.ok(databases(c.nodes[a]!).includes('fig8'), 'applied');
});
