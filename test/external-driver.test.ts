// The external driver against a cluster the test runs itself (helpers/external-cluster.ts),
// three reference-server processes launched by a shell script, with a cluster file whose
// fault commands are `kill -9 <pid>` and that same launch script. The runner attaches, runs
// the scenario, undoes its faults and drops only the databases the scenario created.
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT, cli, sandbox } from './helpers.js';
import { freePorts } from '../src/drivers/process/ports.js';
import { healthOk } from '../src/drivers/health.js';
import { waitFor } from './helpers/ref-node.js';
import { clusterFile, startCluster } from './helpers/external-cluster.js';
import { LABEL, dockerClient } from '../src/drivers/docker/engine.js';
import { ensureImage } from '../src/drivers/docker/image.js';
import { dockerSkip } from './helpers/docker.js';

const KILL_AND_START = `
name: a killed replica catches up after it is started again
cluster: { nodes: [a, b, c] }
anchors: { T0: 2024-06-01T00:00:00Z }
databases:
  ext_db1:
    tables:
      events:
        tags: [id]
        fields: { state: string }
        replication_factor: 3
        consistency: one
        shards: { ALL: { time: all, hash: all, nodes: [a, b, c] } }
points:
  E1: { table: events, tags: { id: e1 }, fields: { state: new }, time: T0 + 1s }
  E2: { table: events, tags: { id: e2 }, fields: { state: new }, time: T0 + 2s }
steps:
  - write: { via: a, points: [E1] }
  - fault: { kill: b }
  - write: { via: a, points: [E2] }
  - fault: { start: b }
  - await:
      timeout: 20s
      consistency: { nodes: all, sql: "SELECT * FROM events ORDER BY id", expect: { rows: [E1, E2] } }
  - query: { via: b, sql: "SELECT * FROM events ORDER BY id", expect: { rows: [E1, E2] } }
  - name: left killed, for teardown to start again
    fault: { kill: c }
`;

const PARTITION = `
name: a partition the external cluster cannot make
cluster: { nodes: [a, b, c] }
steps:
  - fault: { partition: { isolate: c } }
  - fault: { heal: all }
`;

async function databases(url: string): Promise<string[]> {
  const r = await fetch(`${url}/api/v3/configure/database`);
  return ((await r.json()) as Array<Record<string, string>>).map((d) => d['iox::database']!);
}

t.test('kill and start through shell commands: the scenario passes, faults are undone, only its databases dropped', async (t) => {
  const sb = sandbox(t);
  const c = await startCluster(t);
  const file = clusterFile(c);
  // Data of the cluster's owner, which the run must leave alone.
  t.equal((await fetch(`${c.urls.a}/api/v3/configure/database`, { method: 'POST', body: '{"db":"owners_data"}', headers: { 'content-type': 'application/json' } })).status, 200);
  const scenario = join(c.dir, 'kill.yaml');
  writeFileSync(scenario, KILL_AND_START);
  const pidB = readFileSync(c.pidFile('b'), 'utf8').trim();

  const r = await cli(['run', scenario, '--driver', 'external', '--cluster-file', file, '--out', sb.out, '--reporter', 'console,json'], { env: sb.env, timeoutMs: 120_000 });
  t.equal(r.exitCode, 0, `passes\n${r.stdout}\n${r.stderr}`);
  t.not(readFileSync(c.pidFile('b'), 'utf8').trim(), pidB, 'b was killed and started again by the commands');
  t.ok(await healthOk(c.urls.c!), 'c, left killed by the scenario, was started again at teardown');
  t.same(await databases(c.urls.a!), ['owners_data'], 'the scenario\'s database is dropped, the owner\'s kept');
  const log = readFileSync(join(sb.out, 'latest', 'logs', 'b.log'), 'utf8');
  t.match(log, /kill: kill -9/, 'the node log records the command run');
});

t.test('a fault the cluster file gives no means for: skipped with the reason', async (t) => {
  const sb = sandbox(t);
  const c = await startCluster(t);
  const file = clusterFile(c);
  const scenario = join(c.dir, 'partition.yaml');
  writeFileSync(scenario, PARTITION);
  const r = await cli(['run', scenario, '--driver', 'external', '--cluster-file', file, '--out', sb.out, '--json'], { env: sb.env, timeoutMs: 60_000 });
  t.equal(r.exitCode, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { scenarios: Array<{ verdict: string }> };
  t.equal(summary.scenarios[0]!.verdict, 'skipped');
  t.match(r.stderr, /external driver cannot do fault "partition" \(at .*partition\.yaml:5:\d+\): it needs the "network" capability/);

  // A node the file lacks, or an action it gives no command for: skipped too, saying which.
  writeFileSync(scenario, 'name: four nodes\ncluster: { nodes: [a, b, c, d] }\nsteps:\n  - wait: 1ms\n');
  const four = await cli(['run', scenario, '--driver', 'external', '--cluster-file', file, '--out', sb.out], { env: sb.env, timeoutMs: 60_000 });
  t.equal(four.exitCode, 0, four.stderr);
  t.match(four.stdout, /node\(s\) d that the cluster file .*cluster\.yaml does not list/);
  writeFileSync(scenario, 'name: pause\ncluster: { nodes: [a, b, c] }\nsteps:\n  - fault: { pause: a }\n');
  const pause = await cli(['run', scenario, '--driver', 'external', '--cluster-file', file, '--out', sb.out], { env: sb.env, timeoutMs: 60_000 });
  t.match(pause.stdout, /fault "pause" \(at .*:4:\d+\) needs the pause action, and the cluster file .* gives node a neither a container nor a pause command/);
});

t.test('a node that stops answering without a fault: down in the run, an infrastructure error naming it', async (t) => {
  const sb = sandbox(t);
  const c = await startCluster(t);
  const file = clusterFile(c);
  // c's kill command takes b down with it (a shared host, say): the scenario never stops b.
  writeFileSync(file, readFileSync(file, 'utf8').replace(`kill: kill -9 $(cat '${c.pidFile('c')}')`, `kill: kill -9 $(cat '${c.pidFile('c')}') $(cat '${c.pidFile('b')}')`));
  const scenario = join(c.dir, 'crash.yaml');
  writeFileSync(scenario, KILL_AND_START.replace(/steps:[^]*$/, 'steps:\n  - write: { via: a, points: [E1] }\n  - fault: { kill: c }\n  - write: { via: b, points: [E2] }\n'));
  const r = await cli(['run', scenario, '--driver', 'external', '--cluster-file', file, '--out', sb.out], { env: sb.env, timeoutMs: 120_000 });
  t.equal(r.exitCode, 3, r.stdout);
  t.match(r.stdout, `node b (${c.urls.b}) stopped answering (connection refused) without the scenario stopping it`);
  t.ok(await healthOk(c.urls.c!), 'c, killed by the scenario, was started again at teardown');
});

t.test('an unreachable node: exit 3 naming it and its URL', async (t) => {
  const sb = sandbox(t);
  const c = await startCluster(t);
  const [dead] = await freePorts(1);
  const file = clusterFile(c, { b: `http://127.0.0.1:${dead}` });
  const scenario = join(c.dir, 'kill.yaml');
  writeFileSync(scenario, KILL_AND_START);
  const r = await cli(['run', scenario, '--driver', 'external', '--cluster-file', file, '--out', sb.out], { env: sb.env, timeoutMs: 60_000 });
  t.equal(r.exitCode, 3, r.stdout);
  t.match(r.stdout, `node b (http://127.0.0.1:${dead}) of the cluster file ${file} is unreachable`);
});

t.test('a bad cluster file: exit 2, every problem at its place, nothing started', async (t) => {
  const sb = sandbox(t);
  const dir = mkdtempSync(join(tmpdir(), 'phantom-external-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, [
    'nodes:',
    '  - id: a',
    '    url: localhost:8181',
    '  - id: b',
    '    url: http://127.0.0.1:8182',
    '    container: "db-b$(touch marker)"',
    '    commands: { kill: "kill -9 1" }',
    '  - id: a',
    '    url: http://127.0.0.1:8183',
    '    comands: { kill: x }',
    'network:',
    '  partition: iptables -I OUTPUT -d {peer_ip} -j DROP',
    '  probe: docker exec {container} true',
  ].join('\n') + '\n');
  const scenario = join(dir, 's.yaml');
  writeFileSync(scenario, 'name: s\nsteps:\n  - wait: 1ms\n');
  const r = await cli(['run', scenario, '--driver', 'external', '--cluster-file', file, '--out', sb.out], { env: sb.env });
  t.equal(r.exitCode, 2);
  t.match(r.stderr, `${file}:3:10: url must be an http(s) URL`);
  t.match(r.stderr, `${file}:7:5: give either "container" or "commands"`);
  t.match(r.stderr, `${file}:6:16: container must be a container name or id: letters, digits, _ . - not first (got "db-b$(touch marker)")`);
  t.match(r.stderr, `${file}:8:9: node id "a" is listed twice`);
  t.match(r.stderr, `${file}:10:5: unknown key "comands"`);
  t.match(r.stderr, `${file}:12:14: unknown placeholder {peer_ip} (known: {node}, {container}, {peer}, {peer_host}, {peer_port}, {mode})`);
  t.match(r.stderr, `${file}:12:3: a partition command needs a heal command`);
  t.match(r.stderr, /:2:5: the network commands name \{container\}, and node "a" gives no container/);
  t.notOk(existsSync(join(sb.out, 'latest')), 'no run started');

  const missing = await cli(['run', scenario, '--driver', 'external', '--out', sb.out], { env: sb.env });
  t.equal(missing.exitCode, 2);
  t.match(missing.stderr, /--driver external needs --cluster-file/);
});

// A compose-style cluster: three containers on a network of their own, faulted by container
// name. Without an engine this skips, unless PHANTOM_REQUIRE_DOCKER=1 (CI), where it fails.
const noEngine = await dockerSkip(t);

interface Containers { name: string; tag: string; ids: string[]; ports: number[]; containers: string[]; ips: string[]; dir: string }

/** Containers a, b, c of the reference image, peers by container name (compose's service names), each published on 127.0.0.1. */
async function startContainers(t: Test): Promise<Containers> {
  const docker = dockerClient();
  const { tag } = await ensureImage(docker);
  const name = `phantom-ext-${Date.now().toString(36)}`;
  const network = await docker.createNetwork({ Name: name, Labels: { [LABEL.run]: name } });
  const ids = ['a', 'b', 'c'];
  const ports = await freePorts(ids.length);
  const containers = ids.map((id) => `${name}-${id}`);
  t.teardown(async () => {
    // The helper containers of the network commands (docker run --rm) carry the label too.
    for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABEL.run}=${name}`] } })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
    await network.remove().catch(() => {});
  });
  const ips: string[] = [];
  for (const [i, id] of ids.entries()) {
    const c = await docker.createContainer({
      name: containers[i], Image: tag, Labels: { [LABEL.run]: name },
      Cmd: ['--node-id', id, '--http', '0.0.0.0:8181', '--data-dir', '/data', '--peers', ids.map((p, j) => `${p}=http://${containers[j]}:8181`).join(',')],
      ExposedPorts: { '8181/tcp': {} },
      HostConfig: { NetworkMode: name, PortBindings: { '8181/tcp': [{ HostIp: '127.0.0.1', HostPort: String(ports[i]) }] } },
    });
    await c.start();
    ips.push((await c.inspect()).NetworkSettings.Networks[name]!.IPAddress);
  }
  for (const p of ports) t.ok(await waitFor(() => healthOk(`http://127.0.0.1:${p}`), 30_000), `container on ${p} serves`);
  const dir = mkdtempSync(join(tmpdir(), 'phantom-external-docker-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { name, tag, ids, ports, containers, ips, dir };
}

t.test('containers named in the cluster file: kill, start and pause through the engine', { skip: noEngine }, async (t) => {
  const sb = sandbox(t);
  const docker = dockerClient();
  const { ids, ports, containers, dir } = await startContainers(t);
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, `nodes:\n${ids.map((id, i) => `  - { id: ${id}, url: http://127.0.0.1:${ports[i]}, container: ${containers[i]} }`).join('\n')}\n`);
  const scenario = join(dir, 'kill.yaml');
  writeFileSync(scenario, KILL_AND_START.replace('  - name: left killed', '  - fault: { pause: a }\n  - name: left killed'));
  const r = await cli(['run', scenario, '--driver', 'external', '--cluster-file', file, '--out', sb.out], { env: sb.env, timeoutMs: 180_000 });
  t.equal(r.exitCode, 0, `passes\n${r.stdout}\n${r.stderr}`);
  for (const c of containers) {
    const s = (await docker.getContainer(c).inspect()).State;
    t.ok(s.Running && !s.Paused, `${c} runs again after teardown (it was paused or killed)`);
  }
  t.ok(await healthOk(`http://127.0.0.1:${ports[2]}`), 'c serves after teardown started it');
});

/**
 * The README's network commands for a compose cluster: iptables from a helper container in the
 * node's network namespace (the reference image carries iptables), a probe from inside the node.
 */
function networkCommands(c: Containers, opts: { probe: boolean }): string {
  const iptables = `docker run --rm --label ${LABEL.run}=${c.name} --network container:{container} --cap-add NET_ADMIN -e XTABLES_LIBDIR=/usr/lib/phantom/xtables --entrypoint /usr/sbin/xtables-legacy-multi ${c.tag} iptables -w`;
  const rule = '-p tcp -d {peer_host} --dport {peer_port} -j $(test {mode} = drop && echo DROP || echo REJECT --reject-with tcp-reset)';
  return [
    'network:',
    `  partition: ${iptables} -I OUTPUT ${rule}`,
    `  heal: ${iptables} -D OUTPUT ${rule}`,
    ...(opts.probe ? ['  probe: >-', '    docker exec {container} /usr/local/bin/node -e "require(\'http\').get({ host: process.argv[1], port: process.argv[2], path: \'/health\', timeout: 3000 },', '    (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on(\'error\', () => process.exit(1)).on(\'timeout\', () => process.exit(1))" {peer_host} {peer_port}'] : []),
  ].join('\n');
}

/** The iptables rules of OUTPUT in a container's namespace, as `iptables -S` lists them. */
async function outputRules(c: Containers, container: string): Promise<string> {
  const r = await execa('docker', ['run', '--rm', '--label', `${LABEL.run}=${c.name}`, '--network', `container:${container}`, '--cap-add', 'NET_ADMIN', '-e', 'XTABLES_LIBDIR=/usr/lib/phantom/xtables', '--entrypoint', '/usr/sbin/xtables-legacy-multi', c.tag, 'iptables', '-w', '-S', 'OUTPUT']);
  return r.stdout.trim();
}

t.test('network commands in the cluster file: the bundled partition scenarios pass, every cut healed', { skip: noEngine }, async (t) => {
  const sb = sandbox(t);
  const c = await startContainers(t);
  const file = join(c.dir, 'cluster.yaml');
  // peer_url by address: iptables in the helper would resolve a container name slowly (seconds).
  const nodes = c.ids.map((id, i) => `  - { id: ${id}, url: http://127.0.0.1:${c.ports[i]}, peer_url: http://${c.ips[i]}:8181, container: ${c.containers[i]} }`);
  writeFileSync(file, `${networkCommands(c, { probe: true })}\nnodes:\n${nodes.join('\n')}\n`);
  const scenarios = ['partition.yaml', 'partition-one-way.yaml', 'client-cut-off.yaml'].map((f) => join(ROOT, 'scenarios', f));
  const r = await cli(['run', ...scenarios, '--driver', 'external', '--cluster-file', file, '--out', sb.out, '--json'], { env: sb.env, timeoutMs: 300_000 });
  t.equal(r.exitCode, 0, `passes\n${r.stdout}\n${r.stderr}`);
  const summary = JSON.parse(r.stdout) as { scenarios: Array<{ file: string; verdict: string }> };
  t.same(summary.scenarios.map((s) => s.verdict), ['passed', 'passed', 'passed'], 'each scenario passed: its cuts and heals were confirmed by the probes');
  // The witnesses looked through the probes: C's four links cut, A<->B still answering.
  const journal = readFileSync(join(sb.out, 'latest', 'journal.json'), 'utf8');
  t.match(journal, '"witness": "4 cut link(s) refuse or hang, 2 kept link(s) answer"', 'isolating C is confirmed link by link');
  const logs = join(sb.out, 'latest', 'logs');
  const log = readFileSync(join(logs, readdirSync(logs).find((d) => /(^|_)partition$/.test(d)) ?? 'partition', 'c.log'), 'utf8');
  t.match(log, /partition c->a: docker run/, 'the node log records the partition command run for its link');
  t.match(log, /heal c->a: docker run/, 'and the heal');
  for (const container of c.containers) t.equal(await outputRules(c, container), '-P OUTPUT ACCEPT', `no rule left in ${container}'s namespace`);
});

t.test('network commands without a probe: the partition is unconfirmed (inconclusive), and still healed', { skip: noEngine }, async (t) => {
  const sb = sandbox(t);
  const c = await startContainers(t);
  const file = join(c.dir, 'cluster.yaml');
  const nodes = c.ids.map((id, i) => `  - { id: ${id}, url: http://127.0.0.1:${c.ports[i]}, peer_url: http://${c.ips[i]}:8181, container: ${c.containers[i]} }`);
  writeFileSync(file, `${networkCommands(c, { probe: false })}\nnodes:\n${nodes.join('\n')}\n`);
  const scenario = join(c.dir, 'isolate.yaml');
  writeFileSync(scenario, 'name: isolate c\ncluster: { nodes: [a, b, c] }\nsteps:\n  - fault: { partition: { isolate: c } }\n');
  const r = await cli(['run', scenario, '--driver', 'external', '--cluster-file', file, '--out', sb.out, '--json'], { env: sb.env, timeoutMs: 180_000 });
  const summary = JSON.parse(r.stdout) as { scenarios: Array<{ verdict: string }> };
  t.equal(summary.scenarios[0]!.verdict, 'inconclusive', `never passed without a witness\n${r.stderr}`);
  t.match(r.stderr, /gives node [abc] no network probe command: nothing can confirm whether/);
  t.equal(r.exitCode, 1);
  for (const container of c.containers) t.equal(await outputRules(c, container), '-P OUTPUT ACCEPT', `teardown healed ${container}'s cuts`);
});
