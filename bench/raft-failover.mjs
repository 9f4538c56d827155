// Catalog leader failover (issue 8): a real 3-node reference cluster; the Raft leader is killed
// (SIGKILL) 10 times, restarted each time after a new leader took over. Prints each
// time-to-new-leader (kill -> the two survivors agree on a new leader) and the time until a
// catalog change (create database) succeeds again, and the medians. Target: median < 3 s.
// Run: npm run bench -- raft-failover (or `node bench/raft-failover.mjs` after `npm run build`).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './lib/free-ports.mjs';
import { until } from './lib/until.mjs';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../reference-server/dist/main.js');
const ROUNDS = 10;
const TARGET_MS = 3000;



const raftOf = async (n) => (await fetch(`${n.url}/api/v3/cluster/raft`, { signal: AbortSignal.timeout(1000) })).json();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run() {
  const ids = ['a', 'b', 'c'];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-bench-raft-'));
  const ports = await freePorts(ids.length);
  const peers = ids.map((id, i) => `${id}=http://127.0.0.1:${ports[i]}`).join(',');
  const nodes = ids.map((id, i) => ({ id, url: `http://127.0.0.1:${ports[i]}`, port: ports[i], proc: undefined }));
  const start = (n) => {
    n.proc = spawn(process.execPath, [MAIN, '--node-id', n.id, '--http', `127.0.0.1:${n.port}`, '--data-dir', path.join(root, n.id), '--peers', peers], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PHANTOM_LOG_LEVEL: 'warn' } });
    return until(async () => (await fetch(`${n.url}/health`)).status === 200, 30_000, `${n.id} healthy`);
  };
  const kill = (n) => new Promise((r) => { n.proc.once('exit', r); n.proc.kill('SIGKILL'); });
  const agreed = async (among) => {
    const views = await Promise.all(among.map(raftOf));
    const l = views[0].leader;
    return l && among.some((n) => n.id === l) && views.every((v) => v.leader === l) ? l : undefined;
  };
  const rounds = [];
  try {
    await Promise.all(nodes.map(start));
    for (let i = 0; i < ROUNDS; i++) {
      let leaderId;
      await until(async () => (leaderId = await agreed(nodes)), 15_000, 'a leader all agree on');
      const old = nodes.find((n) => n.id === leaderId);
      const rest = nodes.filter((n) => n !== old);
      const t0 = Date.now();
      await kill(old);
      let fresh;
      await until(async () => (fresh = await agreed(rest)), 15_000, 'a new leader');
      const electedMs = Date.now() - t0;
      await until(async () => (await fetch(`${rest[0].url}/api/v3/configure/database`, { method: 'POST', body: JSON.stringify({ db: `round${i}` }) })).status === 200, 15_000, 'a catalog change to succeed');
      const changeMs = Date.now() - t0;
      rounds.push({ killed: old.id, new_leader: fresh, elected_ms: electedMs, change_ok_ms: changeMs });
      console.log(`  round ${i + 1}: killed ${old.id}, ${fresh} leads after ${electedMs} ms, create database succeeded after ${changeMs} ms`);
      await start(old);
      await until(async () => (await raftOf(old)).leader === fresh, 15_000, `${old.id} to follow ${fresh}`);
    }
  } finally {
    await Promise.all(nodes.filter((n) => n.proc && n.proc.exitCode === null && n.proc.signalCode === null).map(kill));
    fs.rmSync(root, { recursive: true, force: true });
  }
  return { rounds, median_elected_ms: median(rounds.map((r) => r.elected_ms)), median_change_ok_ms: median(rounds.map((r) => r.change_ok_ms)), target_ms: TARGET_MS };
}

export function report(r) {
  console.log(`catalog leader failover, ${r.rounds.length} kills of the Raft leader in a 3-node cluster:`);
  console.log(`  time to a new leader: median ${r.median_elected_ms} ms, max ${Math.max(...r.rounds.map((x) => x.elected_ms))} ms (target < ${r.target_ms} ms: ratio ${(r.median_elected_ms / r.target_ms).toFixed(2)})`);
  console.log(`  time until a catalog change succeeds again: median ${r.median_change_ok_ms} ms`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report(await run());
