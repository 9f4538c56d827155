// The Docker driver against a real engine: a 3-node cluster serving writes and queries, each
// process, disk and clock fault with its undo and witness, teardown leaving nothing, the
// reaper after a runner killed by SIGKILL, and no engine reported as exit 3 (network faults:
// docker-network.test.ts). Without an engine these skip, unless PHANTOM_REQUIRE_DOCKER=1
// (CI), where a missing engine fails them.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN, FIXTURES, ROOT, cli, sandbox, until } from './helpers.js';
import { DockerDriver } from '../src/drivers/docker/index.js';
import { dockerClient, LABEL } from '../src/drivers/docker/engine.js';
import { execNode } from '../src/drivers/docker/exec.js';
import { buildImage } from '../src/drivers/docker/image.js';
import { FAULTS } from '../src/faults/index.js';
import { clockWitness } from '../src/drivers/process/clock.js';
import { healthOk } from '../src/drivers/health.js';
import { dockerSkip, leftovers } from './helpers/docker.js';

const skip = await dockerSkip(t);


async function http(method: string, url: string, body?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method, body, headers: body?.startsWith('{') ? { 'content-type': 'application/json' } : {} });
  return { status: res.status, text: await res.text() };
}

t.test('a 3-node cluster: data, process, disk and clock faults with witnesses, clean teardown', { skip }, async (t) => {
  const state = mkdtempSync(join(tmpdir(), 'phantom-docker-state-'));
  process.env.PHANTOM_TEST_STATE_DIR = state;
  const runId = `test-${Date.now().toString(36)}`;
  const d = new DockerDriver({ runId });
  const logDir = mkdtempSync(join(tmpdir(), 'phantom-docker-logs-'));
  t.teardown(async () => { await d.teardown({ keep: false }); });

  const nodes = await d.start({ nodes: ['a', 'b', 'c'].map((id) => ({ id, start: true, args: [], env: {} })), readyTimeoutMs: 30_000, logDir, prepare: { clock: true, diskSizeMb: 8 } });
  t.same(nodes.map((n) => n.state), ['running', 'running', 'running']);
  t.ok(nodes.every((n) => n.url.startsWith('http://127.0.0.1:')), 'the runner reaches nodes on loopback');
  t.ok(nodes.every((n) => /^http:\/\/172\.30\.\d+\.\d+:8181$/.test(n.peerUrl)), 'nodes reach each other on the run network');
  const members = JSON.parse((await http('GET', `${nodes[0]!.url}/api/v3/cluster/nodes`)).text) as { nodes: Array<{ id: string; url: string }> };
  t.same(members.nodes.map((n) => n.url).sort(), nodes.map((n) => n.peerUrl).sort(), 'the cluster knows its members by network address');

  // Written through one node, read through another (which has to ask the owners over the network).
  t.equal((await http('POST', `${nodes[0]!.url}/api/v3/configure/database`, '{"db":"db1"}')).status, 200);
  t.equal((await http('POST', `${nodes[0]!.url}/api/v3/write_lp?db=db1`, 'm,host=x v=1 1704067200000000000')).status, 204);
  const rows = await http('GET', `${nodes[2]!.url}/api/v3/query_sql?db=db1&q=${encodeURIComponent('SELECT * FROM m')}`);
  t.match(JSON.parse(rows.text), [{ host: 'x', v: 1 }], 'a write through a is read through c');

  const peerOf = (id: string) => d.node(id).peerUrl;
  const bAddress = peerOf('b');
  await d.kill('b');
  t.equal(d.node('b').state, 'stopped');
  t.match(d.node('b').exit, { signal: 'SIGKILL', unexpected: false }, 'killed by SIGKILL, as the scenario asked');
  t.notOk(d.crashed.aborted, 'a kill is not a crash');
  await d.startNode('b');
  t.equal(d.node('b').state, 'running');
  t.equal(peerOf('b'), bAddress);

  // restart = stop + start: same address, same data volume.
  const container = () => dockerClient().getContainer(`phantom-${runId}-c`);
  t.equal((await execNode(container(), `require('fs').writeFileSync('/data/marker', 'kept')`)).exitCode, 0);
  const ipBefore = (await container().inspect()).NetworkSettings.Networks[`phantom-${runId}`]!.IPAddress;
  await d.stop('c');
  t.match(d.node('c').exit, { code: 0, unexpected: false }, 'a graceful stop ends it with code 0');
  await d.startNode('c');
  t.equal((await container().inspect()).NetworkSettings.Networks[`phantom-${runId}`]!.IPAddress, ipBefore, 'restart keeps the address');
  t.equal((await execNode(container(), `process.stdout.write(require('fs').readFileSync('/data/marker', 'utf8'))`)).stdout, 'kept', 'restart keeps the data volume');

  await d.pause('a');
  t.equal(d.node('a').state, 'paused');
  t.notOk(await healthOk(d.node('a').url, 500), 'a paused node does not answer');
  await d.resume('a');
  t.ok(await healthOk(d.node('a').url, 2000), 'a resumed node answers');

  const target = { kind: 'nodes' as const, nodes: ['a'] };
  const w = { driver: d, timeoutMs: 5000, signal: new AbortController().signal };
  await FAULTS.disk_full!.inject(d, target);
  t.match(await FAULTS.disk_full!.witness(target, w), { confirmed: true, evidence: /ENOSPC/ }, 'disk_full: a write in the data dir is refused');
  await FAULTS.disk_free!.inject(d, target);
  t.match(await FAULTS.disk_free!.witness(target, w), { confirmed: true }, 'disk_free: a write in the data dir succeeds again');

  await d.setClock('a', { offsetMs: 3_600_000, rate: 1 });
  const skewed = await clockWitness(d.node('a').url, 3_600_000, 500, { timeoutMs: 5000 });
  t.ok(skewed.ok, `clock +1h witnessed by the Date header: ${skewed.message}`);
  const other = await clockWitness(d.node('b').url, 0, 500, { timeoutMs: 5000 });
  t.ok(other.ok, 'the other nodes keep real time');
  await d.setClock('a', { offsetMs: 0, rate: 1 });
  t.ok((await clockWitness(d.node('a').url, 0, 500, { timeoutMs: 5000 })).ok, 'offset 0 puts it back');

  const log = readFileSync(join(logDir, 'a.log'), 'utf8');
  t.ok(log.split('\n').filter(Boolean).every((l) => l.startsWith('{')), 'the log is demultiplexed: JSON lines, no frame headers');
  t.match(log, /"node_id":"a"/);

  const report = await d.teardown({ keep: false });
  t.same(report.problems, []);
  t.equal(await leftovers(runId), 0, 'no container, network or volume is left');
});

t.test('run --driver docker: a scenario passes, logs land in the report', { skip }, async (t) => {
  const sb = sandbox(t);
  const dir = mkdtempSync(join(tmpdir(), 'phantom-docker-scenarios-'));
  writeFileSync(join(dir, 'write-read.yaml'), [
    'name: write and read on docker', 'cluster: { nodes: [a, b] }', 'steps:',
    '  - write: { via: a, db: db1, lines: "m,host=x v=1 1704067200000000000" }',
    '  - query: { via: b, db: db1, sql: "SELECT v FROM m", expect: { rows: [{ v: 1 }] } }',
    '  - fault: { restart: b }',
    '  - query: { via: b, db: db1, sql: "SELECT v FROM m", expect: { rows: [{ v: 1 }] } }', '',
  ].join('\n'));
  const r = await cli(['run', dir, '--driver', 'docker', '--out', sb.out], { env: sb.env, timeoutMs: 120_000 });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  const run = readdirSync(sb.out).find((f) => f !== 'latest')!;
  const logs = join(sb.out, run, 'logs');
  const files = readdirSync(logs, { recursive: true }).map(String).filter((f) => f.endsWith('.log'));
  t.ok(files.length >= 2, `node logs in reports/<run-id>/logs: ${files.join(', ')}`);
  t.match(readFileSync(join(logs, files[0]!), 'utf8'), /^\{"level"/);
  const all = await dockerClient().listContainers({ all: true, filters: { label: [LABEL.project] } });
  t.equal(all.filter((c) => c.Labels[LABEL.run]?.startsWith(run)).length, 0, 'the run left no containers');
});

t.test('run --driver docker: a node added by the scenario is registered at its network address and takes copies', { skip }, async (t) => {
  // The runner reaches a container on a loopback port; the other nodes reach it on the run's
  // network. Registered at the loopback url, d never heard from the catalog leader.
  const sb = sandbox(t);
  const r = await cli(['run', join(ROOT, 'scenarios/rebalance.yaml'), '--driver', 'docker', '--out', sb.out], { env: sb.env, timeoutMs: 180_000 });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
});

t.test('a runner killed by SIGKILL: clean removes its containers, network and volumes', { skip }, async (t) => {
  const sb = sandbox(t);
  const child = execa(process.execPath, [BIN, 'run', join(FIXTURES, 'engine', 'slow.yaml'), '--driver', 'docker', '--out', sb.out], { cwd: ROOT, reject: false, env: { ...sb.env, CI: '1', NO_COLOR: '1' } });
  sb.track(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  t.ok(await until(() => /✓ 0 write/.test(out), 60_000), 'the run reached its long wait');
  const runId = /phantom-test run (\S+)/.exec(out)![1]!;
  child.kill('SIGKILL');
  await child;
  t.ok(await leftovers(`${runId}-0`) > 0, 'the killed runner left its cluster');
  const clean = await cli(['clean'], { env: sb.env });
  t.equal(clean.exitCode, 0, clean.stderr);
  t.match(clean.stdout, new RegExp(`${runId}-0: killed 2 node\\(s\\)`));
  t.equal(await leftovers(`${runId}-0`), 0, 'nothing of the killed run is left');
});

t.test('cluster up --driver docker: containers serving after the command exits; status lists them, down removes them', { skip }, async (t) => {
  const sb = sandbox(t);
  t.teardown(async () => { await cli(['cluster', 'down'], { env: sb.env }); });
  // The command returns (nothing of the cluster keeps it running) with the nodes up.
  const up = await cli(['cluster', 'up', '--driver', 'docker', '--nodes', 'a,b', '--json'], { env: sb.env, timeoutMs: 120_000 });
  t.equal(up.exitCode, 0, up.stderr);
  const cluster = JSON.parse(up.stdout) as { id: string; driver: string; nodes: Array<{ id: string; url: string; container: string; log: string }> };
  t.equal(cluster.driver, 'docker');
  // Nothing writes a log file once the command exits: the log is the container's, no temp folder is left.
  t.same(cluster.nodes.map((n) => n.log), cluster.nodes.map((n) => `docker logs ${n.container}`));
  const scratch = join(tmpdir(), `phantom-${cluster.id}-logs`);
  t.notOk(existsSync(scratch), 'the log folder of the start is removed');
  for (const n of cluster.nodes) t.ok(await healthOk(n.url, 2000), `${n.id} answers on ${n.url} after cluster up exited`);
  // The nodes form one cluster: a database made through a is listed by b.
  t.equal((await http('POST', `${cluster.nodes[0]!.url}/api/v3/configure/database`, '{"db":"poke"}')).status, 200);
  t.match((await http('GET', `${cluster.nodes[1]!.url}/api/v3/configure/database`)).text, /"poke"/);

  const again = await cli(['cluster', 'up', '--driver', 'docker'], { env: sb.env });
  t.equal(again.exitCode, 2);
  t.match(again.stderr, /already up/);
  t.match(again.stderr, cluster.id, 'naming the cluster that is up');
  const processToo = await cli(['cluster', 'up'], { env: sb.env });
  t.equal(processToo.exitCode, 2, 'one cluster per project, whichever driver');

  const status = await cli(['cluster', 'status', '--json'], { env: sb.env });
  const listed = (JSON.parse(status.stdout) as { clusters: Array<{ id: string; driver: string; nodes: Array<{ id: string; url: string; container: string; healthy: boolean }> }> }).clusters;
  t.same(listed.map((c) => [c.id, c.driver]), [[cluster.id, 'docker']]);
  t.same(listed[0]!.nodes.map((n) => [n.id, n.url, n.container, n.healthy]), cluster.nodes.map((n) => [n.id, n.url, n.container, true]));

  mkdirSync(scratch); // as an `up` killed while starting leaves it: `down` removes it with the cluster
  const down = await cli(['cluster', 'down'], { env: sb.env, timeoutMs: 60_000 });
  t.equal(down.exitCode, 0, down.stderr);
  t.match(down.stdout, new RegExp(`stopped ${cluster.id}: [ab], [ab]`));
  t.equal(await leftovers(cluster.id), 0, 'no container, network or volume is left');
  t.notOk(existsSync(scratch), 'nor its log folder');
  t.match((await cli(['cluster', 'status'], { env: sb.env })).stdout, /no cluster is up/);
  t.equal((await cli(['cluster', 'down'], { env: sb.env })).stdout, 'no cluster is up', 'down again: nothing to do');
});

t.test('an image build that fails: exit 3 with its last output lines, no tag, layer or container left', { skip }, async (t) => {
  const sb = sandbox(t);
  const dir = mkdtempSync(join(tmpdir(), 'phantom-docker-badbuild-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A step that commits a layer of its own (a destination no other build uses), then one that fails.
  const marker = `/phantom-badbuild-${Date.now().toString(36)}`;
  writeFileSync(join(dir, 'Dockerfile'), `FROM scratch\nCOPY rootfs/app/package.json ${marker}\nCOPY no-such-file /x\n`);
  const r = await cli(['run', join(FIXTURES, 'engine', 'slow.yaml'), '--driver', 'docker', '--out', sb.out], { env: { ...sb.env, PHANTOM_DOCKERFILE: join(dir, 'Dockerfile') }, timeoutMs: 180_000 });
  t.equal(r.exitCode, 3, r.stdout + r.stderr);
  const out = r.stdout + r.stderr;
  const tag = /building image (\S+) failed: COPY failed: .*no-such-file/.exec(out)?.[1];
  t.ok(tag, `the engine's error is named: ${out}`);
  t.match(out, /last log lines:\n(.*\n)*\s*Step 3\/\d+ : COPY no-such-file \/x\n/, 'with the build output up to the failed step');
  const layer = new RegExp(`COPY rootfs/app/package.json ${marker}\\n\\s*---> ([0-9a-f]{12})`).exec(out)?.[1];
  t.ok(layer, 'the first step committed a layer');
  const docker = dockerClient();
  const gone = async (ref: string) => docker.getImage(ref).inspect().then(() => false, (e: { statusCode?: number }) => e.statusCode === 404);
  t.ok(await gone(tag!), 'the failed image is not tagged');
  t.ok(await gone(layer!), 'the layer the failed build committed is removed');
  const containers = await docker.listContainers({ all: true });
  t.equal(containers.filter((c) => c.Image === tag || c.ImageID.includes(layer!) || c.Image === layer).length, 0, 'no build container is left');
  const run = /phantom-test run (\S+)/.exec(r.stdout)![1]!;
  t.equal(await leftovers(`${run}-0`), 0, 'nothing of the run was created');
});

t.test('a failed build FROM a local tagged image: the base image is kept', { skip }, async (t) => {
  const docker = dockerClient();
  const stamp = Date.now().toString(36);
  const base = `phantom-test/fixext-base:${stamp}`;
  const failed = `phantom-test/fixext-failed:${stamp}`;
  t.teardown(async () => { await docker.getImage(base).remove({ force: true }).catch(() => {}); });
  // The base: an image of this test's own with one tag (removing it by id would delete it).
  await buildImage(docker, [{ path: 'Dockerfile', data: Buffer.from('FROM scratch\nCOPY base.txt /base.txt\n') }, { path: 'base.txt', data: Buffer.from(stamp) }], base);
  const id = (await docker.getImage(base).inspect()).Id;
  await t.rejects(buildImage(docker, [{ path: 'Dockerfile', data: Buffer.from(`FROM ${base}\nCOPY no-such-file /x\n`) }], failed), /building image .* failed: COPY failed/);
  t.equal((await docker.getImage(base).inspect()).Id, id, 'the base image is still there, tagged');
});

t.test('cluster down with an engine that does not answer: exit 3 saying so, not "no cluster is up"', async (t) => {
  const sb = sandbox(t);
  // A socket that accepts and never answers: an engine hung or overloaded.
  const dir = mkdtempSync(join(tmpdir(), 'phantom-mute-engine-'));
  const sock = join(dir, 'docker.sock');
  const held = new Set<Socket>();
  const mute = createServer((c) => { held.add(c); }); // never answers
  await new Promise<void>((resolve) => mute.listen(sock, resolve));
  t.teardown(() => {
    for (const c of held) c.destroy();
    mute.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const r = await cli(['cluster', 'down'], { env: { ...sb.env, DOCKER_HOST: `unix://${sock}` }, timeoutMs: 30_000 });
  t.equal(r.exitCode, 3, r.stdout + r.stderr);
  t.notMatch(r.stdout, /no cluster is up/);
  t.match(r.stderr, `the Docker engine at DOCKER_HOST=unix://${sock} did not answer`);
  t.match(r.stderr, /may still be running/);
});

t.test('no engine: exit 3 naming DOCKER_HOST and how to start one', async (t) => {
  const sb = sandbox(t);
  const dead = `unix://${join(tmpdir(), `no-docker-${process.pid}.sock`)}`;
  const r = await cli(['run', join(FIXTURES, 'engine', 'slow.yaml'), '--driver', 'docker', '--out', sb.out], { env: { ...sb.env, DOCKER_HOST: dead }, timeoutMs: 30_000 });
  t.equal(r.exitCode, 3, r.stdout + r.stderr);
  t.match(r.stdout + r.stderr, `no Docker engine answers at DOCKER_HOST=${dead}`);
  t.match(r.stdout + r.stderr, /dockerd/);
});
