// Docker driver benchmarks (issue 10): a 3-node Docker cluster ready with the image cached
// (target < 5 s) and the image built cold (target < 60 s). Run: `node bench/docker.mjs`
// after `npm run build`, with a Docker engine running (DOCKER_HOST or the default socket).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A state folder of its own: the image-input digest cache starts cold.
process.env.PHANTOM_TEST_STATE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-bench-docker-'));
const { DockerDriver } = await import('../dist/drivers/docker/index.js');
const { dockerClient, withTimeout } = await import('../dist/drivers/docker/engine.js');
const { ensureImage, forgetImageInputs, imageInputs } = await import('../dist/drivers/docker/image.js');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function readyTime(prepare, i) {
  const d = new DockerDriver({ runId: `bench-${process.pid}-${i}` });
  const t0 = performance.now();
  try {
    await d.start({ nodes: ['a', 'b', 'c'].map((id) => ({ id, start: true, args: [], env: {} })), readyTimeoutMs: 60_000, prepare, logDir: path.join(process.env.PHANTOM_TEST_STATE_DIR, `logs-${i}`) });
    return performance.now() - t0;
  } finally {
    const r = await d.teardown({ keep: false });
    if (r.problems.length) console.log(`  teardown problems: ${r.problems.join('; ')}`);
  }
}

export async function run() {
  const docker = dockerClient();
  try { await withTimeout(docker.ping(), 3000, 'no answer'); } catch {
    console.log('  skipped: no Docker engine answers (start dockerd, or set DOCKER_HOST)');
    return { skipped: true };
  }
  forgetImageInputs();
  let t0 = performance.now();
  const inputs = imageInputs();
  const hashMs = performance.now() - t0;
  await docker.getImage(inputs.tag).remove({ force: true }).catch(() => undefined);
  t0 = performance.now();
  const built = await ensureImage(docker, inputs);
  const buildMs = performance.now() - t0;
  console.log(`  cold image: inputs hashed in ${(hashMs / 1000).toFixed(2)} s, built in ${(buildMs / 1000).toFixed(2)} s (built: ${built.built}); total ${((hashMs + buildMs) / 1000).toFixed(2)} s, target < 60 s, ratio ${((hashMs + buildMs) / 60_000).toFixed(2)}`);
  forgetImageInputs(); // later starts hash through the digest cache, as a run after the first does
  const plain = [];
  for (let i = 0; i < 3; i++) plain.push(await readyTime({}, i));
  const faulty = await readyTime({ clock: true, diskSizeMb: 64 }, 9);
  const m = median(plain);
  console.log(`  3-node cluster ready, image cached: median ${(m / 1000).toFixed(2)} s of ${plain.map((x) => (x / 1000).toFixed(2)).join(', ')} s; target < 5 s, ratio ${(m / 5000).toFixed(2)}`);
  console.log(`  the same with clock and disk faults prepared (libfaketime, tmpfs volumes + keeper): ${(faulty / 1000).toFixed(2)} s`);
  return { cold_build_s: +((hashMs + buildMs) / 1000).toFixed(2), ready_cached_median_s: +(m / 1000).toFixed(2), ready_with_faults_s: +(faulty / 1000).toFixed(2) };
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
