// Docker leftovers after killed runners (issue 10): N times, a `run --driver docker` of a
// scenario with a partition (so netfilter helper containers come and go) is SIGKILLed at a
// random moment, then a normal run of the same scenario follows, whose start reaps what the
// killed one left. Afterwards, and after each pair, it counts the containers, networks and
// volumes that carry phantom-test's run label. Target: zero of each.
//
//   node bench/docker-reap.mjs [--runs 20]      (after `npm run build`, with a Docker engine)
//
// The kill moments are drawn from a fixed seed, so two runs of the benchmark kill at the
// same offsets (the runner's own progress still varies with the machine).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'run.js');
const SCENARIO = join(ROOT, 'scenarios', 'partition.yaml');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } }, strict: false, allowPositionals: true });
const RUNS = Number(values.runs);
// Under `npm run bench` the argv is the bench list, not ours: 20 runs.

const { dockerClient, withTimeout, LABEL } = await import(join(ROOT, 'dist/drivers/docker/engine.js'));

/** mulberry32: the kill offsets, the same every time. */
function rng(seed) {
  return () => { seed |= 0; seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

async function leftovers(docker) {
  const filters = JSON.stringify({ label: [LABEL.run] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return { containers: containers.length, networks: networks.length, volumes: (volumes.Volumes ?? []).length };
}

function runScenario(env, out, killAfterMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'run', SCENARIO, '--driver', 'docker', '--out', out, '--reporter', 'json', '--seed', '1'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stderr }); });
  });
}

export async function run() {
  const docker = dockerClient();
  try { await withTimeout(docker.ping(), 3000, 'no answer'); } catch {
    console.log('  skipped: no Docker engine answers (start dockerd, or set DOCKER_HOST)');
    return { skipped: true };
  }
  const state = mkdtempSync(join(tmpdir(), 'phantom-bench-reap-'));
  const env = { ...process.env, PHANTOM_TEST_STATE_DIR: join(state, 'state'), CI: '1', NO_COLOR: '1' };
  const out = join(state, 'reports');
  const before = await leftovers(docker);
  // Warm the image cache so the kill moments fall inside runs, not inside one image build.
  await runScenario(env, out);
  const random = rng(20261126);
  const after = [];
  const left_by_kills = [];
  let normalFailures = 0;
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const killAt = 200 + Math.floor(random() * 9000);
    const killed = await runScenario(env, out, killAt);
    const leftByKill = await leftovers(docker);
    left_by_kills.push(leftByKill);
    const normal = await runScenario(env, out);
    if (normal.code !== 0) { normalFailures++; console.log(`  pair ${i + 1}: the normal run exited ${normal.code}: ${normal.stderr.split('\n').slice(-5).join(' | ')}`); }
    const left = await leftovers(docker);
    after.push(left);
    console.log(`  pair ${i + 1}/${RUNS}: killed at ${killAt} ms (${killed.signal ?? `exit ${killed.code}`}), leaving ${leftByKill.containers} containers, ${leftByKill.networks} networks, ${leftByKill.volumes} volumes; then a normal run (exit ${normal.code}); labelled leftovers: ${left.containers} containers, ${left.networks} networks, ${left.volumes} volumes`);
  }
  // What the last killed run's successor did not need to reap: clean once more, as a user would.
  await new Promise((resolve) => spawn(process.execPath, [BIN, 'clean', '--all'], { env, stdio: 'ignore' }).on('close', resolve));
  const final = await leftovers(docker);
  rmSync(state, { recursive: true, force: true });
  const worst = after.reduce((m, l) => ({ containers: Math.max(m.containers, l.containers), networks: Math.max(m.networks, l.networks), volumes: Math.max(m.volumes, l.volumes) }), { containers: 0, networks: 0, volumes: 0 });
  console.log(`docker reap benchmark: ${RUNS} runs SIGKILLed at random moments, each followed by a normal run, in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  console.log(`  labelled resources before: ${before.containers} containers, ${before.networks} networks, ${before.volumes} volumes`);
  const sum = (k) => left_by_kills.reduce((n, l) => n + l[k], 0);
  console.log(`  left by the killed runs (what the next run had to reap): ${sum('containers')} containers, ${sum('networks')} networks, ${sum('volumes')} volumes in all`);
  console.log(`  after each pair, at most: ${worst.containers} containers, ${worst.networks} networks, ${worst.volumes} volumes (target 0)`);
  console.log(`  after the last pair and clean --all: ${final.containers} containers, ${final.networks} networks, ${final.volumes} volumes (target 0)`);
  console.log(`  normal runs that did not pass: ${normalFailures} of ${RUNS}`);
  console.log('  iptables rules: none live on the host (each rule is in a node container\'s own network namespace and dies with it)');
  return { runs: RUNS, left_by_kills: { containers: sum('containers'), networks: sum('networks'), volumes: sum('volumes') }, worst_after_pair: worst, final, normal_failures: normalFailures };
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
