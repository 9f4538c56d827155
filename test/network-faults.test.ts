// Network faults on real reference-server processes: the process driver routes every
// node-to-node link (and the runner's own calls) through fault proxies; each network fault
// injects, proves itself with its witness (which does not confirm a fault that is not there),
// and undoes. A runner stopped with Ctrl-C closes its proxies; one killed with SIGKILL leaves
// no proxy port listening.
import t, { type Test } from 'tap';
import net from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ProcessDriver } from '../src/drivers/process/index.js';
import type { Driver } from '../src/drivers/driver.js';
import { FAULTS } from '../src/faults/index.js';
import type { Target, TargetContext } from '../src/faults/fault.js';
import { probeLink, timedRoundTrip } from '../src/net/fault-proxy.js';
import { BIN, FIXTURES, ROOT, pidsWith, readJson, sandbox, until } from './helpers.js';

const witnessCtx = (driver: Driver, timeoutMs = 3000) => ({ driver, timeoutMs, signal: new AbortController().signal });
const targetCtx = (driver: Driver): TargetContext => ({ driver, pick: (ref) => (ref === 'random' ? 'a' : ref) });
const resolve = (driver: Driver, kind: string, spec: unknown): Target => FAULTS[kind]!.targets(spec as never, targetCtx(driver));

async function cluster(t: Test, network = true) {
  const driver = new ProcessDriver({ runId: `net-${process.pid}-${Date.now()}` });
  t.teardown(() => driver.teardown({ keep: false }).then(() => undefined));
  await driver.start({ nodes: ['a', 'b', 'c'].map((id) => ({ id, start: true, args: [], env: {} })), readyTimeoutMs: 20_000, network });
  return driver;
}

/** The --peer-url flags a node process was started with. */
function peerUrls(pid: number): string[] {
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return args.flatMap((a, i) => (a === '--peer-url' ? [args[i + 1]!] : []));
}

const port = (driver: Driver, from: string, to: string) => driver.links!.dialable({ from, to }).port;

t.test('every node reaches every other through its own link, and the runner through client links', async (t) => {
  const d = await cluster(t);
  t.ok(d.capabilities.has('network'));
  const a = d.node('a');
  t.same(peerUrls(a.pid!).sort(), [`b=http://127.0.0.1:${port(d, 'a', 'b')}`, `c=http://127.0.0.1:${port(d, 'a', 'c')}`]);
  t.equal(a.clientUrl, `http://127.0.0.1:${port(d, 'client', 'a')}`);
  t.equal(a.peerUrl, a.url, 'the catalog keeps the direct URL');
  // Node a's calls to b really cross link a->b: a replicated write through a fails once it is cut.
  const before = await fetch(`${a.clientUrl}/health`);
  t.equal(before.status, 200);
});

t.test('without network faults no proxy is started', async (t) => {
  const d = await cluster(t, false);
  t.equal(d.links, undefined);
  t.same(peerUrls(d.node('a').pid!), []);
  t.equal(d.node('a').clientUrl, undefined);
});

t.test('partition: isolate cuts both ways, keeps the rest, heals; the witness is honest', async (t) => {
  const d = await cluster(t);
  const p = FAULTS.partition!;
  const target = resolve(d, 'partition', { isolate: 'c' });
  t.same(target, { kind: 'links', links: [{ from: 'c', to: 'a' }, { from: 'c', to: 'b' }, { from: 'a', to: 'c' }, { from: 'b', to: 'c' }], effect: { cut: 'reject' } });
  const before = await p.witness(target, witnessCtx(d, 600));
  t.equal(before.confirmed, false, 'not confirmed before it is injected');
  t.match(before, { reason: /c->a should be cut but connects/ });
  await p.inject(d, target);
  t.match(await p.witness(target, witnessCtx(d)), { confirmed: true, evidence: '4 cut link(s) refuse or hang, 2 kept link(s) answer' });
  t.equal(await probeLink({ port: port(d, 'a', 'c') }), 'refused');
  t.equal(await probeLink({ port: port(d, 'a', 'b') }, 1000), 'connects');
  t.equal(await probeLink({ port: port(d, 'client', 'c') }, 1000), 'connects', 'the runner still reaches c');
  const heal = FAULTS.heal!;
  const healed = resolve(d, 'heal', 'all');
  t.same(healed.kind === 'links' && healed.links.length, 4, 'heal targets the cut links');
  await heal.inject(d, healed);
  t.match(await heal.witness(healed, witnessCtx(d)), { confirmed: true });
  t.same(d.links!.faulted(), []);
});

t.test('partition drop mode: a cut link hangs rather than refuses', async (t) => {
  const d = await cluster(t);
  const target = resolve(d, 'partition', { from: ['a'], to: ['b'], mode: 'drop' });
  t.same(target, { kind: 'links', links: [{ from: 'a', to: 'b' }], effect: { cut: 'drop' } });
  await FAULTS.partition!.inject(d, target);
  t.match(await FAULTS.partition!.witness(target, witnessCtx(d)), { confirmed: true });
  t.equal(await probeLink({ port: port(d, 'a', 'b') }, 300), 'hangs');
  t.equal(await probeLink({ port: port(d, 'b', 'a') }, 1000), 'connects', 'one way: b still calls a');
});

t.test('partition shapes: halves, ring and bridge cut what they say', async (t) => {
  const d = await cluster(t);
  let i = 0;
  const order = ['b', 'c', 'a'];
  const ctx: TargetContext = { driver: d, pick: () => order[i++ % 3]! };
  const halves = FAULTS.partition!.targets('halves' as never, ctx);
  t.same(halves.kind === 'links' && halves.links.map((l) => `${l.from}->${l.to}`).sort(), ['a->b', 'b->a', 'b->c', 'c->b'], 'minority [b] | majority [c, a]');
  i = 0;
  const bridge = FAULTS.partition!.targets('bridge' as never, ctx);
  t.same(bridge.kind === 'links' && bridge.links.map((l) => `${l.from}->${l.to}`).sort(), ['a->b', 'b->a'], 'c is the bridge');
  i = 0;
  const ring = FAULTS.partition!.targets('ring' as never, ctx);
  // Ring b, c, a: b hears b, c (a->b cut); c hears c, a (b->c cut); a hears a, b (c->a cut).
  t.same(ring.kind === 'links' && ring.links.map((l) => `${l.from}->${l.to}`).sort(), ['a->b', 'b->c', 'c->a']);
  await FAULTS.partition!.inject(d, ring);
  t.match(await FAULTS.partition!.witness(ring, witnessCtx(d)), { confirmed: true, evidence: '3 cut link(s) refuse or hang, 3 kept link(s) answer' });
});

t.test('latency shows in a timed round trip, and heal takes it away', async (t) => {
  const d = await cluster(t);
  const l = FAULTS.latency!;
  const target = resolve(d, 'latency', { node: 'c', direction: 'in', delay: '150ms' });
  t.same(target.kind === 'links' && target.links, [{ from: 'a', to: 'c' }, { from: 'b', to: 'c' }]);
  const before = await l.witness(target, witnessCtx(d, 300));
  t.equal(before.confirmed, false, 'no delay before it is injected');
  await l.inject(d, target);
  t.match(await l.witness(target, witnessCtx(d)), { confirmed: true, evidence: /a->c \d+ ms/ });
  t.ok((await timedRoundTrip({ port: port(d, 'a', 'c') })) >= 149, 'a round trip takes the delay');
  t.ok((await timedRoundTrip({ port: port(d, 'c', 'a') })) < 149, 'the other direction is not delayed');
  await l.undo!(d, target);
  t.ok((await timedRoundTrip({ port: port(d, 'a', 'c') })) < 149, 'healed');
});

t.test('bandwidth caps, reset_peer resets live connections; both leave links answering', async (t) => {
  const d = await cluster(t);
  const bw = resolve(d, 'bandwidth', { from: ['a'], to: ['b'], bytes_per_second: 2000 });
  t.equal((await FAULTS.bandwidth!.witness(bw, witnessCtx(d, 300))).confirmed, false, 'no cap yet');
  await FAULTS.bandwidth!.inject(d, bw);
  t.match(await FAULTS.bandwidth!.witness(bw, witnessCtx(d)), { confirmed: true });
  t.match(d.links!.faulted(), [{ from: 'a', to: 'b', upstream: { bytesPerSecond: 2000 } }]);
  await FAULTS.bandwidth!.undo!(d, bw);

  // A live connection over client->b is reset; a new one works.
  const live = net.connect({ port: port(d, 'client', 'b'), host: '127.0.0.1' });
  await new Promise((r) => live.once('connect', r));
  const closed = new Promise<string>((r) => { live.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error')); live.on('close', () => r('closed')); });
  const rp = resolve(d, 'reset_peer', { from: ['client'], to: ['b'] });
  await FAULTS.reset_peer!.inject(d, rp);
  t.equal(await closed, 'ECONNRESET');
  t.match(await FAULTS.reset_peer!.witness(rp, witnessCtx(d)), { confirmed: true });
});

t.test('a link the driver does not route is refused before anything changes', async (t) => {
  const d = await cluster(t);
  await t.rejects(FAULTS.partition!.inject(d, { kind: 'links', links: [{ from: 'a', to: 'b' }, { from: 'a', to: 'zz' }], effect: { cut: 'reject' } }), /cannot fault these links: no proxy for link a->zz/);
  t.same(d.links!.faulted(), [], 'a->b was not cut either');
});

/** Starts a run held in a partition; returns it with its proxy ports (read from a node's flags). */
async function startPartitionedRun(sb: ReturnType<typeof sandbox>) {
  const child = execa(process.execPath, [BIN, 'run', join(FIXTURES, 'network', 'partitioned-wait.yaml'), '--out', sb.out], { cwd: ROOT, reject: false, env: { ...sb.env, CI: '1', NO_COLOR: '1' } });
  sb.track(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  const started = await until(() => /✓ 1 partition/.test(out), 20_000);
  const runs = join(sb.state, 'runs');
  const rec = readJson(join(runs, readdirSync(runs).find((f) => f.endsWith('.json'))!)) as { temp_dir: string; children: Array<{ id: string; pid: number; port: number }> };
  const ports = rec.children.flatMap((c) => peerUrls(c.pid).map((u) => Number(u.split(':').at(-1))));
  return { child, started, rec, ports, output: () => out };
}

/** Some socket listens on the port (the kernel's table: a cut proxy still listens, and refuses). */
const listening = async (p: number): Promise<boolean> => {
  const table = ['/proc/net/tcp', '/proc/net/tcp6'].map((f) => { try { return readFileSync(f, 'utf8'); } catch { return ''; } }).join('\n');
  const hex = p.toString(16).toUpperCase().padStart(4, '0');
  return table.split('\n').some((line) => { const cols = line.trim().split(/\s+/); return cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A'; });
};

t.test('teardown closes every proxy, even with links still cut', async (t) => {
  const d = await cluster(t);
  const ports = ['a', 'b', 'c'].flatMap((id) => peerUrls(d.node(id).pid!).map((u) => Number(u.split(':').at(-1))));
  ports.push(...['a', 'b', 'c'].map((id) => Number(d.node(id).clientUrl!.split(':').at(-1))));
  t.equal(ports.length, 9, '6 node links, 3 client links');
  await FAULTS.partition!.inject(d, resolve(d, 'partition', { isolate: 'a' }));
  for (const p of ports) t.ok(await listening(p), `${p} listens`);
  t.same((await d.teardown({ keep: false })).problems, []);
  for (const p of ports) t.notOk(await listening(p), `${p} is closed`);
});

t.test('Ctrl-C during a partition tears down and closes every proxy', async (t) => {
  const sb = sandbox(t);
  const { child, started, ports, rec, output } = await startPartitionedRun(sb);
  t.ok(started, 'the run holds its partition');
  t.equal(ports.length, 2, 'a->b and b->a');
  for (const p of ports) t.ok(await listening(p), `proxy ${p} listens during the run`);
  child.kill('SIGINT');
  const r = await child;
  t.equal(r.exitCode, 130, output());
  for (const p of ports) t.notOk(await listening(p), `proxy ${p} is closed`);
  t.same(pidsWith(rec.temp_dir), [], 'no node is left');
});

t.test('a SIGKILLed runner leaves no proxy port listening', async (t) => {
  const sb = sandbox(t);
  const { child, started, ports, rec } = await startPartitionedRun(sb);
  t.ok(started);
  child.kill('SIGKILL');
  await child;
  for (const p of ports) t.notOk(await listening(p), `proxy ${p} went with the runner`);
  // Its nodes are left for the reaper, as with any killed run.
  const r = await execa(process.execPath, [BIN, 'clean'], { cwd: ROOT, reject: false, env: sb.env });
  t.equal(r.exitCode, 0, r.stderr);
  t.same(pidsWith(rec.temp_dir), []);
});
