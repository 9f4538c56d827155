// Network faults on the Docker driver against a real engine, on one 3-node cluster: a partition
// (iptables in the callers' namespaces) and its exact heal, a one-way drop, latency shown in a
// timed round trip, the runner cut off from a node, cuts surviving a node's restart; then a
// runner SIGKILLed while a netfilter helper container runs, reaped to nothing. Without an
// engine these skip, unless PHANTOM_REQUIRE_DOCKER=1 (CI), where a missing engine fails them.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT, cli, sandbox } from './helpers.js';
import { DockerDriver } from '../src/drivers/docker/index.js';
import { dockerClient, LABEL } from '../src/drivers/docker/engine.js';
import { execNode, PROBE_LINK_SCRIPT } from '../src/drivers/docker/exec.js';
import { FAULTS } from '../src/faults/index.js';
import type { Target, WitnessContext } from '../src/faults/fault.js';
import { timedRoundTrip } from '../src/net/fault-proxy.js';
import { dockerSkip, leftovers } from './helpers/docker.js';

const skip = await dockerSkip(t);


t.test('partitions, one-way drops, latency and the client link on a 3-node Docker cluster', { skip }, async (t) => {
  process.env.PHANTOM_TEST_STATE_DIR = mkdtempSync(join(tmpdir(), 'phantom-docker-net-state-'));
  const runId = `test-net-${Date.now().toString(36)}`;
  const d = new DockerDriver({ runId });
  t.teardown(async () => { await d.teardown({ keep: false }); });
  t.ok(d.capabilities.has('network'), 'the docker driver offers network faults');
  const nodes = await d.start({
    nodes: ['a', 'b', 'c'].map((id) => ({ id, start: true, args: [], env: {} })), readyTimeoutMs: 30_000, network: true,
    logDir: mkdtempSync(join(tmpdir(), 'phantom-docker-net-logs-')),
  });
  const links = d.links!;
  const w: WitnessContext = { driver: d, timeoutMs: 10_000, signal: new AbortController().signal };
  const fault = async (name: string, spec: unknown): Promise<Target> => {
    const f = FAULTS[name]!;
    const target = f.targets(spec as never, { driver: d, pick: (ref) => ref });
    await f.inject(d, target);
    const seen = await f.witness(target, w);
    t.ok(seen.confirmed, `${name} ${JSON.stringify(spec)} witnessed: ${seen.confirmed ? seen.evidence : seen.reason}`);
    return target;
  };
  // What node `from`'s own process sees dialing `to` directly (not through the runner's proxy).
  const direct = async (from: string, to: string) => (await execNode(dockerClient().getContainer(`phantom-${runId}-${from}`), PROBE_LINK_SCRIPT, [new URL(d.node(to).peerUrl).hostname, '8181', '500'])).stdout;

  // A write through a reaches c: the nodes talk through their links.
  const write = (via: string, line: string) => fetch(`${d.node(via).clientUrl}/api/v3/write_lp?db=db1`, { method: 'POST', body: line }).then((r) => r.status);
  t.equal((await fetch(`${nodes[0]!.clientUrl}/api/v3/configure/database`, { method: 'POST', body: '{"db":"db1"}', headers: { 'content-type': 'application/json' } })).status, 200);
  t.equal(await write('a', 'm,host=x v=1 1704067200000000000'), 204);

  await fault('partition', { isolate: 'c' });
  t.same(links.faulted().map((s) => `${s.from}->${s.to}:${s.cut}`).sort(), ['a->c:reject', 'b->c:reject', 'c->a:reject', 'c->b:reject']);
  t.equal(await direct('c', 'a'), 'refused', 'the rule also refuses c dialing a\'s address directly');
  t.equal(await direct('a', 'b'), 'connects', 'a still reaches b directly');
  await fault('heal', 'all');
  t.same(links.faulted(), [], 'nothing faulted after the heal');
  t.equal(await direct('c', 'a'), 'connects', 'the heal removed the rule');

  // One way, dropped: c's calls to a hang, a's calls to c still pass.
  await fault('partition', { from: 'c', to: 'a', mode: 'drop' });
  t.equal(await direct('c', 'a'), 'hangs', 'a dropped connect hangs');
  t.equal(await direct('a', 'c'), 'connects', 'the other way passes');
  // Cuts outlive a restart: the new namespace gets them back.
  await d.stop('c');
  await d.startNode('c');
  t.equal(await direct('c', 'a'), 'hangs', 'the restarted node is still cut off from a');
  await fault('heal', 'all');
  t.equal(await direct('c', 'a'), 'connects');

  // Latency: a round trip over b->a takes the delay; over a->b it does not.
  await fault('latency', { from: 'b', to: 'a', delay: '200ms' });
  const slow = await timedRoundTrip(links.dialable({ from: 'b', to: 'a' }));
  const fast = await timedRoundTrip(links.dialable({ from: 'a', to: 'b' }));
  t.ok(slow >= 199, `b->a round trip ${slow.toFixed(0)} ms`);
  t.ok(fast < slow, `a->b round trip ${fast.toFixed(0)} ms is not delayed`);
  await fault('heal', 'all');

  // The runner cut off from a: its requests fail, b still answers; heal brings a back.
  await fault('partition', { from: 'client', to: 'a' });
  await t.rejects(fetch(`${d.node('a').clientUrl}/health`), 'a request to a fails');
  t.equal((await fetch(`${d.node('b').clientUrl}/health`)).status, 200, 'b still answers the runner');
  await fault('heal', 'all');
  t.equal((await fetch(`${d.node('a').clientUrl}/health`)).status, 200, 'a answers again');

  const report = await d.teardown({ keep: false });
  t.same(report.problems, []);
  t.equal(await leftovers(runId), 0, 'no container (helpers included), network or volume is left');
});

t.test('a runner killed by SIGKILL while a netfilter helper runs: clean leaves nothing', { skip }, async (t) => {
  const sb = sandbox(t);
  const runId = `test-net-kill-${Date.now().toString(36)}`;
  // A runner that cuts and heals a link over and over, so a helper container is often alive.
  const script = `
    const { DockerDriver } = await import(${JSON.stringify(join(ROOT, 'dist', 'drivers', 'docker', 'index.js'))});
    const d = new DockerDriver({ runId: ${JSON.stringify(runId)} });
    await d.start({ nodes: [{ id: 'a', start: true, args: [], env: {} }, { id: 'b', start: true, args: [], env: {} }], readyTimeoutMs: 30000, network: true });
    for (;;) { await d.links.cut([{ from: 'a', to: 'b' }], 'reject'); await d.links.heal(); }`;
  const child = execa(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, reject: false, env: { ...sb.env } });
  sb.track(child);
  const docker = dockerClient();
  let helperSeen = false;
  const deadline = Date.now() + 90_000;
  while (!helperSeen && child.exitCode === null && Date.now() < deadline) {
    const helpers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.run}=${runId}`, `${LABEL.role}=netfilter`] } });
    helperSeen = helpers.length > 0;
  }
  t.ok(helperSeen, 'a netfilter helper container exists when the runner is killed');
  child.kill('SIGKILL');
  await child;
  const clean = await cli(['clean'], { env: sb.env });
  t.equal(clean.exitCode, 0, clean.stderr);
  t.equal(await leftovers(runId), 0, 'no node, helper, network or volume of the killed run is left');
});
