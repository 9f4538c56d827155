#!/usr/bin/env node
// Workload generator benchmark (issue 9): the workload step's set kind against one
// reference node, unlimited rate, CLIENTS clients, every operation recorded in a history
// written as JSON lines (as a real run does), compared in the same run with autocannon (the
// baseline the issue names) hitting the same endpoint with the same concurrency and requests
// of the same shape (one unique point per POST), nothing recorded. A minimal undici loop is
// printed beside it, for reference.
// Target: the workload reaches at least 0.9 of autocannon's ops/s. Rounds alternate
// (baseline first, then workload first, and so on) so drift on a shared machine hits both.
//
//   node bench/workload.mjs [--clients 16] [--seconds 5]     (needs `npm run build` first)

import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(root, 'dist', p));
const ROUNDS = 4;
const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };

async function startNode(dir) {
  const port = await new Promise((r) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, [join(root, 'reference-server/dist/main.js'), '--node-id', 'a', '--http', `127.0.0.1:${port}`, '--data-dir', join(dir, 'a'), '--peers', `a=${url}`], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PHANTOM_LOG_LEVEL: 'warn' } });
  const deadline = Date.now() + 15_000;
  while ((await fetch(`${url}/health`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error('node a not healthy');
    await new Promise((r) => setTimeout(r, 50));
  }
  while ((await (await fetch(`${url}/api/v3/cluster/nodes`)).json()).catalog_version < 1) await new Promise((r) => setTimeout(r, 50));
  const res = await fetch(`${url}/api/v3/configure/database`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ db: 'bench' }) });
  if (res.status >= 300) throw new Error(`create database: ${res.status} ${await res.text()}`);
  return { url, stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }) };
}

/** The baseline: `clients` loops POSTing one unique point at a time for `seconds`. */
async function baseline(url, clients, seconds, table) {
  const agent = new Agent({ keepAliveTimeout: 2000, connections: clients });
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let seq = 0; let ok = 0; const statuses = {};
  const start = BigInt(Date.now()) * 1_000_000n;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      const n = seq++;
      const res = await request(`${url}/api/v3/write_lp?db=bench&precision=ns`, { method: 'POST', body: `${table},key=k${n % 16} value=${n}i ${start + BigInt(n) * 1000n}`, dispatcher: agent, headers: { 'content-type': 'text/plain; charset=utf-8' } });
      await res.body.text();
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode < 300) ok++;
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  await agent.close();
  return { ops: ok, ops_per_s: ok / secs, statuses };
}

/** autocannon: `clients` connections POSTing one unique point per request for `seconds`. */
async function autocannonRun(url, clients, seconds, table) {
  let seq = 0;
  const start = BigInt(Date.now()) * 1_000_000n;
  const result = await autocannon({
    url: `${url}/api/v3/write_lp?db=bench&precision=ns`,
    connections: clients,
    duration: seconds,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      setupRequest: (req) => {
        const n = seq++;
        return { ...req, body: `${table},key=k${n % 16} value=${n}i ${start + BigInt(n) * 1000n}` };
      },
    }],
  });
  const ok = result['2xx'];
  return { ops: ok, ops_per_s: ok / (result.duration || seconds), statuses: { '2xx': ok, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts } };
}

/** The workload step itself, in-process, its history streamed to a JSONL file. */
async function workload(url, clients, seconds, table, dir) {
  const { ScenarioContext } = await dist('engine/context.js');
  const { ClusterClient } = await dist('engine/client.js');
  const { History } = await dist('engine/history.js');
  const { Rng } = await dist('engine/rng.js');
  const { workload: step } = await dist('engine/steps/workload.js');
  const file = createWriteStream(join(dir, `history-${table}.jsonl`));
  const history = new History('bench', (e) => file.write(JSON.stringify(e) + '\n'));
  const client = new ClusterClient(history);
  const node = { id: 'a', url, state: 'running' };
  const driver = { nodes: () => [node], node: () => node, crashed: new AbortController().signal };
  const doc = { name: 'bench', steps: [], databases: { bench: { tables: { [table]: { tags: ['key'], fields: { value: 'integer' } } } } } };
  const ctx = new ScenarioContext({ file: 'bench', dir, doc, where: () => 'bench' }, { file: 'bench', name: 'bench', seed: 1, index: 0 }, 'bench', driver, client, history, new Rng(1), new AbortController().signal, 30_000);
  const r = { ctx, path: '0', signal: new AbortController().signal, depth: 0, docPath: [], children: [], picked: [], runChild: () => { throw new Error('no children'); }, node: (ref) => ref ?? 'a', progress: () => {} };
  const out = await step.run({ table, kind: 'set', clients, rate: 'unlimited', duration: `${seconds}s`, final_timeout: '5s' }, r);
  await client.close();
  await new Promise((res) => file.end(res));
  return { ops: out.ops.ok, ops_per_s: out.ops_per_s, started: out.ops.started, write_latency_ms: out.write_latency_ms, history_lines: history.all().length };
}

export async function run() {
  const clients = arg('clients', 16);
  const seconds = arg('seconds', 5);
  const dir = mkdtempSync(join(tmpdir(), 'phantom-bench-workload-'));
  const node = await startNode(dir);
  try {
    await baseline(node.url, clients, 1, 'warmup');
    const rounds = { autocannon: [], undici: [], workload: [] };
    const runBaseline = async (i) => {
      const a = await autocannonRun(node.url, clients, seconds, `ac${i}`);
      rounds.autocannon.push(a);
      console.log(`  autocannon           round ${i + 1}: ${a.ops_per_s.toFixed(0)} ops/s, ${JSON.stringify(a.statuses)}`);
      const b = await baseline(node.url, clients, seconds, `base${i}`);
      rounds.undici.push(b);
      console.log(`  undici loop          round ${i + 1}: ${b.ops_per_s.toFixed(0)} ops/s, statuses ${JSON.stringify(b.statuses)}`);
    };
    const runWorkload = async (i) => {
      const w = await workload(node.url, clients, seconds, `wl${i}`, dir);
      rounds.workload.push(w);
      console.log(`  workload step        round ${i + 1}: ${w.ops_per_s.toFixed(0)} ops/s (write p50 ${w.write_latency_ms?.p50} ms, p99 ${w.write_latency_ms?.p99} ms, ${w.history_lines} history lines)`);
    };
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which goes first, so whatever the node does after a round (flushing what
      // it just stored) weighs on both alike.
      const order = i % 2 === 0 ? [runBaseline, runWorkload] : [runWorkload, runBaseline];
      for (const f of order) await f(i);
    }
    const mean = (xs) => xs.reduce((a, x) => a + x.ops_per_s, 0) / xs.length;
    const a = mean(rounds.autocannon); const b = mean(rounds.undici); const w = mean(rounds.workload);
    const ratio = w / a;
    console.log(`  ${clients} clients, ${seconds} s per round: workload ${w.toFixed(0)} ops/s vs autocannon ${a.toFixed(0)} ops/s = ${ratio.toFixed(2)} (target >= 0.90: ${ratio >= 0.9 ? 'met' : 'NOT met'}); undici loop ${b.toFixed(0)} ops/s (${(w / b).toFixed(2)})`);
    return { clients, seconds, baseline: 'autocannon', autocannon_ops_per_s: Math.round(a), undici_loop_ops_per_s: Math.round(b), workload_ops_per_s: Math.round(w), ratio: Math.round(ratio * 100) / 100, target: 0.9, met: ratio >= 0.9 };
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
