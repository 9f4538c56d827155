// Reference-cluster benchmarks (the figures issue 2 asks for). Run: npm run bench (or
// `node bench/reference-cluster.mjs` after `npm run build`). Starts real nodes on loopback.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './lib/free-ports.mjs';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../reference-server/dist/main.js');
const BATCH = 5000;


async function startCluster(ids) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-bench-'));
  const ports = await freePorts(ids.length);
  const peers = ids.map((id, i) => `${id}=http://127.0.0.1:${ports[i]}`).join(',');
  const nodes = ids.map((id, i) => {
    const proc = spawn(process.execPath, [MAIN, '--node-id', id, '--http', `127.0.0.1:${ports[i]}`, '--data-dir', path.join(root, id), '--peers', peers], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PHANTOM_LOG_LEVEL: 'warn' } });
    return { id, url: `http://127.0.0.1:${ports[i]}`, proc };
  });
  for (const n of nodes) {
    const deadline = Date.now() + 15_000;
    while ((await fetch(`${n.url}/health`).then((r) => r.status, () => 0)) !== 200) {
      if (Date.now() > deadline) throw new Error(`${n.id} not healthy`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  // Wait until every follower has the bootstrap catalog.
  for (const n of nodes) {
    while ((await (await fetch(`${n.url}/api/v3/cluster/nodes`)).json()).catalog_version < 1) await new Promise((r) => setTimeout(r, 50));
  }
  return {
    nodes,
    async stop() {
      await Promise.all(nodes.map((n) => new Promise((r) => { n.proc.once('exit', r); n.proc.kill('SIGTERM'); })));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

async function post(url, body, expect = [200, 204]) {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: typeof body === 'string' ? {} : { 'content-type': 'application/json' } });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${url} -> ${res.status} ${text.slice(0, 300)}`);
  return text;
}

/** `count` batches of BATCH cpu lines; series spread over `hosts` hosts, one second apart. */
function makeBatches(count, hosts = 1000, startSec = 1_700_000_000) {
  const out = [];
  let n = 0;
  for (let b = 0; b < count; b++) {
    const lines = new Array(BATCH);
    for (let i = 0; i < BATCH; i++, n++) {
      lines[i] = `cpu,host=host-${n % hosts},region=r${n % 7} usage=${(n % 1000) / 10},idle=${n % 100}i ${startSec + Math.floor(n / hosts)}000000000`;
    }
    out.push(lines.join('\n'));
  }
  return out;
}

async function ingest(url, db, batches, concurrency, params = '') {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < batches.length) {
      const b = batches[next++];
      await post(`${url}/api/v3/write_lp?db=${db}&precision=ns${params}`, b);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  return (batches.length * BATCH) / secs;
}

function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

export async function run() {
  const results = {};
  const cores = os.cpus().length;
  console.log(`reference cluster benchmarks on ${cores} cores (${os.cpus()[0]?.model ?? 'unknown cpu'})`);

  // 1. One node, RF=1, 5,000-line batches; then memory with 1,000,000 rows held.
  {
    const c = await startCluster(['solo']);
    try {
      const url = c.nodes[0].url;
      await post(`${url}/api/v3/write_lp?db=bench&precision=ns`, makeBatches(1, 1000, 1_600_000_000)[0]); // schema + shards
      const batches = makeBatches(200);
      const rate = await ingest(url, 'bench', batches, 2);
      results.ingestOneNodeLinesPerSec = Math.round(rate);
      console.log(`ingest, 1 node, RF=1, ${BATCH}-line batches: ${results.ingestOneNodeLinesPerSec.toLocaleString()} lines/s (goal 150,000: ratio ${(rate / 150_000).toFixed(2)})`);
      const rss = rssMb(c.nodes[0].proc.pid);
      results.rssMbAt1MRows = Math.round(rss);
      console.log(`resident memory of a node holding 1,000,000 rows: ${results.rssMbAt1MRows} MB (goal < 400 MB: ratio ${(rss / 400).toFixed(2)})`);
    } finally {
      await c.stop();
    }
  }

  // 2. Three nodes, RF=3, quorum, through one coordinator.
  {
    const c = await startCluster(['a', 'b', 'c']);
    try {
      const url = c.nodes[0].url;
      await post(`${url}/api/v3/configure/database`, { db: 'bench' });
      await post(`${url}/api/v3/configure/table`, { db: 'bench', table: 'cpu', tags: ['host', 'region'], fields: [{ name: 'usage', type: 'float64' }, { name: 'idle', type: 'int64' }], shard_keys: ['host'], replication_factor: 3, consistency: 'quorum' });
      await post(`${url}/api/v3/write_lp?db=bench&precision=ns`, makeBatches(1, 1000, 1_600_000_000)[0]);
      const rate = await ingest(url, 'bench', makeBatches(60), 2);
      results.ingestRf3QuorumLinesPerSec = Math.round(rate);
      console.log(`ingest, 3 nodes, RF=3, quorum, one coordinator: ${results.ingestRf3QuorumLinesPerSec.toLocaleString()} lines/s (goal 50,000: ratio ${(rate / 50_000).toFixed(2)})`);
    } finally {
      await c.stop();
    }
  }

  // 3. GROUP BY over 1,000,000 rows spread on 3 nodes (RF=1, 3 hash partitions).
  {
    const c = await startCluster(['a', 'b', 'c']);
    try {
      const urls = c.nodes.map((n) => n.url);
      await post(`${urls[0]}/api/v3/configure/database`, { db: 'bench' });
      await post(`${urls[0]}/api/v3/configure/table`, { db: 'bench', table: 'cpu', tags: ['host', 'region'], fields: [{ name: 'usage', type: 'float64' }, { name: 'idle', type: 'int64' }], shard_keys: ['host'], num_hash_partitions: 3, partition_duration: '30d', replication_factor: 1 });
      const batches = makeBatches(200);
      await ingest(urls[0], 'bench', batches, 2);
      const owners = await (await fetch(`${urls[0]}/api/v3/cluster/shards?db=bench&table=cpu`)).json();
      const spread = new Set(owners.shards.flatMap((s) => s.node_ids));
      const q = encodeURIComponent('SELECT host, count(*), avg(usage) FROM cpu GROUP BY host');
      const times = [];
      let rows = 0;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const res = await fetch(`${urls[1]}/api/v3/query_sql?db=bench&q=${q}`);
        const body = await res.json();
        times.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(JSON.stringify(body));
        rows = body.length;
      }
      times.sort((a, b) => a - b);
      results.groupByMs = Math.round(times[Math.floor(times.length / 2)]);
      console.log(`GROUP BY host over 1,000,000 rows on ${spread.size} nodes: median ${results.groupByMs} ms of 5 (min ${Math.round(times[0])} ms), ${rows} groups (goal < 1,500 ms: ratio ${(results.groupByMs / 1500).toFixed(2)})`);
    } finally {
      await c.stop();
    }
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
