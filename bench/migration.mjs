// Live shard migration (issue 8): one shard of 1,000,000 rows moved between the two nodes of a
// real cluster, with a bounded writer (a fixed offered rate, a cap on requests in flight) writing
// to that same shard. Prints the migration time (goal < 15 s, from the move's first state to
// Cleaned) and the writer's acknowledged rate during the migration against the same writer
// without a migration (goal >= 99%). Run: npm run bench -- migration (or
// `node bench/migration.mjs` after `npm run build`). Starts real nodes on loopback.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './lib/free-ports.mjs';
import { until } from './lib/until.mjs';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../reference-server/dist/main.js');
const ROWS = Number(process.env.PHANTOM_BENCH_MIGRATION_ROWS ?? 1_000_000);
const SEED_BATCH = 10_000;
/** The bounded writer: a batch of WRITE_BATCH rows every TICK_MS, at most IN_FLIGHT at once. */
const WRITE_BATCH = 50;
const TICK_MS = 20;
const IN_FLIGHT = 64;
const BASELINE_MS = 8000;
const T0 = 1_704_067_200_000_000_000n; // 2024-01-01



async function startCluster(ids) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-bench-mig-'));
  const ports = await freePorts(ids.length);
  const peers = ids.map((id, i) => `${id}=http://127.0.0.1:${ports[i]}`).join(',');
  const nodes = ids.map((id, i) => {
    const proc = spawn(process.execPath, [MAIN, '--node-id', id, '--http', `127.0.0.1:${ports[i]}`, '--data-dir', path.join(root, id), '--peers', peers], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PHANTOM_LOG_LEVEL: 'warn' } });
    return { id, url: `http://127.0.0.1:${ports[i]}`, proc };
  });
  for (const n of nodes) await until(async () => (await fetch(`${n.url}/health`)).status === 200, 30_000, `${n.id} healthy`);
  for (const n of nodes) await until(async () => (await (await fetch(`${n.url}/api/v3/cluster/nodes`)).json()).catalog_version >= 1, 30_000, 'the catalog');
  return {
    nodes,
    async stop() {
      await Promise.all(nodes.map((n) => new Promise((r) => { n.proc.once('exit', r); n.proc.kill('SIGTERM'); })));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

async function call(url, method, body) {
  const res = await fetch(url, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), headers: typeof body === 'object' ? { 'content-type': 'application/json' } : {} });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

/** Writes batches at the fixed rate until stop() resolves; returns rows offered and acknowledged. */
function boundedWriter(url, writer) {
  let stopped = false;
  let inFlight = 0;
  let k = 0;
  const counts = { offered: 0, acked: 0, refused: 0, skipped: 0 };
  const pending = new Set();
  const t0 = performance.now();
  let sent = 0;
  const send = () => {
    counts.offered += WRITE_BATCH;
    if (inFlight >= IN_FLIGHT) { counts.skipped += WRITE_BATCH; return; } // the bound: a slow cluster loses this batch
    const lines = [];
    for (let j = 0; j < WRITE_BATCH; j++, k++) lines.push(`m,w=${writer}-${k % 100} n=${k}i ${T0 + BigInt(k) * 1000n}`);
    inFlight++;
    const p = call(`${url}/api/v3/write_lp?db=mig`, 'POST', lines.join('\n')).then(
      (r) => { if (r.status === 204) counts.acked += WRITE_BATCH; else counts.refused += WRITE_BATCH; },
      () => { counts.refused += WRITE_BATCH; },
    ).finally(() => { inFlight--; pending.delete(p); });
    pending.add(p);
  };
  // The offered rate follows the wall clock: a tick this (busy) process runs late sends every batch that was due.
  const timer = setInterval(() => {
    if (stopped) return;
    const due = Math.floor((performance.now() - t0) / TICK_MS);
    for (; sent < due; sent++) send();
  }, TICK_MS);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      const secs = (performance.now() - t0) / 1000;
      await Promise.all(pending);
      return { ...counts, secs, ackedPerSec: counts.acked / secs };
    },
  };
}

export async function run() {
  const results = {};
  const c = await startCluster(['a', 'b']);
  try {
    const [a, b] = c.nodes.map((n) => n.url);
    await call(`${a}/api/v3/configure/database`, 'POST', { db: 'mig' });
    const t = await call(`${a}/api/v3/configure/table`, 'POST', { db: 'mig', table: 'm', tags: ['w'], fields: [{ name: 'n', type: 'int64' }], shard_keys: ['w'] });
    if (t.status !== 200) throw new Error(`create table: ${t.text}`);
    const s = await call(`${a}/api/v3/cluster/shards`, 'POST', { db: 'mig', table: 'm', shards: [{ time_range: ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'], node_ids: ['a'] }] });
    if (s.status !== 201) throw new Error(`define shard: ${s.text}`);
    const shardId = s.json().shards[0].id;

    const seedStart = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 2 }, async () => {
      while (next < ROWS) {
        const from = next;
        next += SEED_BATCH;
        const lines = [];
        for (let i = from; i < Math.min(ROWS, from + SEED_BATCH); i++) lines.push(`m,w=seed-${i % 1000} n=${i}i ${T0 + BigInt(i) * 50_000n}`);
        const r = await call(`${a}/api/v3/write_lp?db=mig`, 'POST', lines.join('\n'));
        if (r.status !== 204) throw new Error(`seed: ${r.status} ${r.text.slice(0, 200)}`);
      }
    }));
    console.log(`seeded ${ROWS.toLocaleString()} rows on node a in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    const baseline = await (async () => {
      const w = boundedWriter(a, 'base');
      await new Promise((r) => setTimeout(r, BASELINE_MS));
      return w.stop();
    })();
    console.log(`writer without migration: ${Math.round(baseline.ackedPerSec).toLocaleString()} rows/s acknowledged (offered ${Math.round(baseline.offered / baseline.secs).toLocaleString()}/s, ${baseline.refused} refused, ${baseline.skipped} skipped by the in-flight bound)`);

    const w = boundedWriter(a, 'live');
    const t0 = performance.now();
    const move = await call(`${a}/api/v3/cluster/shards/move`, 'POST', { shard_id: shardId, from: 'a', to: 'b' });
    if (move.status !== 202) throw new Error(`move: ${move.status} ${move.text}`);
    const id = move.json().migration_id;
    let m;
    await until(async () => {
      m = (await call(`${a}/api/v3/cluster/migrations/${id}`, 'GET')).json();
      return ['Cleaned', 'RolledBack', 'Failed'].includes(m.state);
    }, 300_000, 'the migration');
    const wall = (performance.now() - t0) / 1000;
    const during = await w.stop();
    if (m.state !== 'Cleaned') throw new Error(`migration ended ${m.state}: ${m.error}`);
    const at = (state) => Date.parse(m.history.find((h) => h.state === state).at);
    const steps = m.history.slice(1).map((h, i) => `${h.state} +${((Date.parse(h.at) - Date.parse(m.history[i].at)) / 1000).toFixed(1)} s`).join(', ');
    results.migrationSeconds = Number(((at('Cleaned') - at('MigratingSnapshot')) / 1000).toFixed(2));
    results.ackRatio = Number((during.ackedPerSec / baseline.ackedPerSec).toFixed(4));
    results.ackedPerSecBaseline = Math.round(baseline.ackedPerSec);
    results.ackedPerSecDuringMigration = Math.round(during.ackedPerSec);
    console.log(`load average during the run: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores (figures on a busy machine run slow)`);
    console.log(`migration of ${ROWS.toLocaleString()} rows a -> b: ${results.migrationSeconds} s in the catalog (${wall.toFixed(1)} s wall; ${steps}) (goal < 15 s: ratio ${(results.migrationSeconds / 15).toFixed(2)})`);
    console.log(`writer during migration: ${results.ackedPerSecDuringMigration.toLocaleString()} rows/s acknowledged (${during.refused} refused, ${during.skipped} skipped by the in-flight bound): ${(results.ackRatio * 100).toFixed(1)}% of the rate without migration (goal >= 99%)`);

    const count = async (url) => (await call(`${url}/api/v3/query_sql?db=mig&q=${encodeURIComponent('SELECT count(*) AS n FROM m')}`, 'GET')).json()[0].n;
    const expected = ROWS + baseline.acked + during.acked;
    const [ca, cb] = [await count(a), await count(b)];
    results.rowsAfter = cb;
    console.log(`rows readable after the migration: via a ${ca.toLocaleString()}, via b ${cb.toLocaleString()} (acknowledged: ${expected.toLocaleString()})`);
    if (ca < expected || cb < expected) throw new Error('acknowledged rows are missing after the migration');
  } finally {
    await c.stop();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
