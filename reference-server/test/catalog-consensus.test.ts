// The catalog's leader-ordered log driven in one process over the in-memory transport: three
// catalogs, as three nodes would run them, with links cut and healed at will. What a node
// relies on: a change proposed anywhere is applied on every reachable node before the proposer
// hears back, and a node that was cut off (or restarted) catches up by itself.
import t, { type Test } from 'tap';
import type { Logger } from '../src/util/log.js';
import { leaderOrderedCatalog, type Catalog } from '../src/catalog/catalog.js';
import { MemoryCatalogLog } from '../src/catalog/log-store.js';
import { InMemoryCatalogNetwork } from '../src/catalog/memory-transport.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;
const IDS = ['a', 'b', 'c'];
const peers = IDS.map((id) => ({ id, url: `mem://${id}` }));

interface Cluster {
  net: InMemoryCatalogNetwork;
  nodes: Record<string, Catalog>;
  stores: Record<string, MemoryCatalogLog>;
  /** Starts (or restarts) a node's catalog on its store. */
  boot(id: string): Promise<Catalog>;
}

async function cluster(t: Test): Promise<Cluster> {
  const net = new InMemoryCatalogNetwork();
  const nodes: Record<string, Catalog> = {};
  const stores: Record<string, MemoryCatalogLog> = {};
  const boot = async (id: string) => {
    nodes[id]?.stop();
    const c = leaderOrderedCatalog({
      selfId: id,
      bootstrapPeers: peers,
      store: (stores[id] ??= new MemoryCatalogLog()),
      transport: net.transport(id),
      liveness: { isUp: () => true, markDown() {} },
      log: quiet,
    });
    net.register(id, c.rpc);
    c.open();
    await c.start();
    return (nodes[id] = c);
  };
  for (const id of IDS) await boot(id); // the leader (a, the lowest id) founds the catalog first
  t.teardown(() => Object.values(nodes).forEach((c) => c.stop()));
  return { net, nodes, stores, boot };
}

const databases = (c: Catalog) => Object.keys(c.state.databases).sort();
const createDb = (db: string) => ({ kind: 'command' as const, command: { type: 'create_database' as const, db } });

/** Polls until `cond` holds or 5 s have passed. */
async function eventually(cond: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

t.test('one catalog: the lowest id leads, the others adopted its log', async (t) => {
  const { nodes } = await cluster(t);
  const ids = new Set(IDS.map((id) => nodes[id]!.state.cluster_id));
  t.equal(ids.size, 1, 'one cluster id on every node');
  for (const id of IDS) t.equal(nodes[id]!.leaderId, 'a', `${id} sees a as leader`);
  t.ok(nodes.a!.isLeader);
});

t.test('a change proposed on the leader is applied on every follower before it answers', async (t) => {
  const { nodes } = await cluster(t);
  const res = await nodes.a!.propose(createDb('one'));
  for (const id of IDS) {
    t.equal(nodes[id]!.version, res.version, `${id} at the committed version`);
    t.same(databases(nodes[id]!), ['one'], `${id} has the database`);
  }
});

t.test('a change proposed on a follower goes through the leader', async (t) => {
  const { nodes } = await cluster(t);
  const res = await nodes.c!.propose(createDb('from_c'));
  t.equal(nodes.a!.version, res.version, 'the leader ordered it');
  t.same(databases(nodes.c!), ['from_c'], 'the proposer applied it before its propose returned');
  t.same(databases(nodes.b!), ['from_c'], 'the other follower got it pushed');
});

t.test('a follower cut off misses changes, cannot propose, and catches up once reconnected', async (t) => {
  const { net, nodes } = await cluster(t);
  net.isolate('c');
  await nodes.a!.propose(createDb('one'));
  await nodes.b!.propose(createDb('two'));
  t.same(databases(nodes.b!), ['one', 'two']);
  t.same(databases(nodes.c!), [], 'the cut-off follower has neither');
  await t.rejects(nodes.c!.propose(createDb('three')), { status: 503, message: /catalog leader a is unreachable/ });
  net.heal('c');
  t.ok(await eventually(() => nodes.c!.version === nodes.a!.version), 'c caught up by itself (its periodic pull)');
  t.same(databases(nodes.c!), ['one', 'two']);
  t.same(nodes.c!.state, nodes.a!.state, 'the same catalog as the leader');
});

t.test('a restarted follower replays its own log and pulls what it missed', async (t) => {
  const { net, nodes, boot } = await cluster(t);
  await nodes.a!.propose(createDb('before'));
  nodes.b!.stop();
  net.isolate('b'); // down: the leader's push cannot reach it
  await nodes.a!.propose(createDb('while_down'));
  net.heal('b');
  const b = await boot('b');
  t.ok(b.state.databases.before, 'replayed from its log at once');
  t.ok(await eventually(() => b.version === nodes.a!.version), 'then caught up with the leader');
  t.same(databases(b), ['before', 'while_down']);
});
