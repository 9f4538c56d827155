// Fault proxy benchmark (issue 7). Run: npm run bench -- proxy (or `node bench/proxy.mjs`
// after `npm run build`). Prints each figure with its target and ratio:
//   - bulk transfer throughput through a LinkProxy vs a direct connection (target >= 0.8), both
//     ways (upload: the client sends; download: the upstream server sends), with the CPU seconds
//     per GiB of each party and the bounds they imply (see "Why bulk is below 0.8" below);
//   - latency the proxy adds to a small request/response round trip, p50 (target < 100 us)
//     and p99: the round trip crosses the link both ways, so this is the cost of one hop
//     through the link, request and answer included;
//   - applying a partition to a 5-node cluster's 20 directed links and witnessing it (every
//     cut link refuses, every kept link answers /health), target < 50 ms.
// Sender and receiver run in child processes, like real nodes; the proxy runs here, as it does
// inside the runner.
//
// Why bulk is below 0.8 on a 2-core machine. A userspace proxy receives and sends every byte:
// the same syscalls the sender and the receiver make, so it costs about what they cost together.
// Measured (CPU s per GiB, load average 8-12 from other work): direct client + server 0.7-1.0;
// the proxy 0.74-0.85 for uploads and 0.37-0.45 for downloads, of which only 0.04-0.17 is user
// space (JavaScript, Node): the rest is the kernel's copies and loopback TCP. With three busy
// parties on two cores the CPU is the limit and throughput goes as 1 / total CPU per GiB, so
// proxied / direct <= D / (D' + P) (D, D': client + server direct and proxied, P: the proxy),
// and 0.8 needs P <= D / 0.8 - D' (0.3-0.6 here): downloads fit, uploads do not. What lowers P is
// fewer, larger reads: the upstream socket (dialled by us) reads into reused 1 MiB buffers; the
// client socket is accepted, and Node has no public way to set its read buffer (64 KiB per read),
// SO_RCVBUF or splice(2). Given a spare core per party the limit is the busiest party instead,
// and the bench prints that ratio too.
//
// The same link hosted by a worker thread is measured beside it: no faster (the CPU is the same
// CPU), but this event loop, the runner's, no longer waits behind proxy callbacks (its p99 delay
// during the transfer falls back to about what it is with no proxy at all).
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { freePorts } from './lib/free-ports.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'reference-server/dist/main.js');
const { LinkProxy, ProxySet, probeLink } = await import(path.join(ROOT, 'dist/net/fault-proxy.js'));

const BULK_BYTES = 256 << 20;
const BULK_RUNS = 5;
const PINGS = 5000;

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs) => percentile(xs, 50);

/** A child process running `code`; resolves with its first stdout line parsed as JSON. */
function child(code, args = []) {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', code, ...args.map(String)], { stdio: ['pipe', 'pipe', 'inherit'] });
  proc.stdin.on('error', () => undefined);
  const first = new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (b) => {
      buf += b;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)));
    });
    proc.once('exit', (c) => reject(new Error(`child exited ${c} before answering`)));
  });
  return { proc, first };
}

// Echo: sends back what it gets. Bulk: the first byte of a connection says which way the bulk
// goes: 'U' (upload: the client sends, this server counts and answers the count when the client
// ends) or 'D<bytes>' (download: this server sends <bytes> in 1 MiB writes, then ends). Any line
// on stdin asks for this process's CPU seconds so far (the bench reads it around each run).
const SERVERS = `
import net from 'node:net';
const kind = process.argv[1];
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
const chunk = Buffer.alloc(1 << 20, 7);
const bulk = (s) => s.once('data', (first) => {
  if (first[0] === 0x55) {
    let n = first.length - 1;
    s.on('data', (b) => { n += b.length; });
    s.on('end', () => s.end(String(n)));
    return;
  }
  const bytes = Number(first.subarray(1).toString());
  let sent = 0;
  const pump = () => {
    while (sent < bytes) {
      sent += chunk.length;
      if (!s.write(chunk)) return s.once('drain', pump);
    }
    s.end();
  };
  s.resume();
  pump();
});
const server = net.createServer({ noDelay: true }, (s) => (kind === 'echo' ? s.pipe(s) : bulk(s)));
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.stdin.on('data', () => console.log(JSON.stringify({ cpu: cpu() })));
`;

// Bulk client: uploads BYTES in 1 MiB writes and waits for the server's count, or asks for a
// download of BYTES and counts them. Answers its wall time and the CPU it spent from connect on.
const CLIENT = `
import net from 'node:net';
const [way, port, bytes] = [process.argv[1], ...process.argv.slice(2).map(Number)];
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
const chunk = Buffer.alloc(1 << 20, 7);
const c0 = cpu();
const t0 = performance.now();
let got = 0;
let answer = '';
const s = net.connect({ port, host: '127.0.0.1' }, () => {
  if (way === 'download') return s.write('D' + bytes);
  s.write('U');
  let sent = 0;
  const pump = () => {
    while (sent < bytes) {
      sent += chunk.length;
      if (!s.write(chunk)) return s.once('drain', pump);
    }
    s.end();
  };
  pump();
});
s.on('data', (b) => { if (way === 'download') got += b.length; else answer += b; });
s.on('end', () => {
  const n = way === 'download' ? got : Number(answer);
  if (n !== bytes) throw new Error(way + ': ' + n + ' of ' + bytes + ' bytes arrived');
  console.log(JSON.stringify({ ms: performance.now() - t0, cpu: cpu() - c0 }));
  s.end();
});
`;

// Pinger: N sequential 64-byte round trips on one connection, each timed.
const PINGER = `
import net from 'node:net';
const [port, n] = process.argv.slice(1).map(Number);
const msg = Buffer.alloc(64, 1);
const rtts = [];
const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => {
  let got = 0, t0 = 0;
  const send = () => { got = 0; t0 = performance.now(); s.write(msg); };
  s.on('data', (b) => {
    got += b.length;
    if (got < msg.length) return;
    rtts.push((performance.now() - t0) * 1000);
    if (rtts.length < n) send(); else { console.log(JSON.stringify({ rtts })); s.end(); }
  });
  send();
});
`;

async function server(kind) {
  const c = child(SERVERS, [kind]);
  return { proc: c.proc, port: (await c.first).port };
}

/** The server child's CPU seconds so far (it answers a line on stdin with one on stdout). */
function serverCpu(srv) {
  return new Promise((resolve) => {
    srv.proc.stdout.once('data', (b) => resolve(JSON.parse(String(b)).cpu));
    srv.proc.stdin.write('\n');
  });
}

/** This process's CPU seconds so far: [all, user (our JavaScript and Node's; the rest is the kernel's)]. */
const ownCpu = () => {
  const c = process.cpuUsage();
  return [(c.user + c.system) / 1e6, c.user / 1e6];
};

/**
 * Bulk transfers both ways, direct and through the link, interleaved; each figure is the median
 * over the runs. Besides the rate, each party's CPU seconds per GiB moved: the client, the
 * server, and this process, which runs the proxy (its own cost when direct is ~0).
 */
async function throughput(bulk, link, workerLink) {
  const out = {};
  for (const way of ['upload', 'download']) {
    const runs = { direct: [], proxied: [], worker: [] };
    for (let i = 0; i < BULK_RUNS; i++) {
      for (const [name, port] of [['direct', bulk.port], ['proxied', link.port], ['worker', workerLink.port]]) {
        const [server0, [proxy0, user0]] = [await serverCpu(bulk), ownCpu()];
        const delay = monitorEventLoopDelay({ resolution: 1 });
        delay.enable();
        const { ms, cpu } = await child(CLIENT, [way, port, BULK_BYTES]).first;
        delay.disable();
        const [[proxy1, user1], server1] = [ownCpu(), await serverCpu(bulk)];
        const gib = BULK_BYTES / 2 ** 30;
        const perGib = (secs) => secs / gib;
        runs[name].push({ mib_s: BULK_BYTES / 2 ** 20 / (ms / 1000), client: perGib(cpu), server: perGib(server1 - server0), proxy: perGib(proxy1 - proxy0), proxy_user: perGib(user1 - user0), loop_p99_ms: delay.percentile(99) / 1e6 });
      }
    }
    const m = (name, key) => median(runs[name].map((r) => r[key]));
    const party = (name) => ({ mib_s: m(name, 'mib_s'), client_cpu_s_per_gib: m(name, 'client'), server_cpu_s_per_gib: m(name, 'server'), proxy_cpu_s_per_gib: m(name, 'proxy'), proxy_user_cpu_s_per_gib: m(name, 'proxy_user') });
    const loop = (name) => m(name, 'loop_p99_ms');
    out[way] = { direct: party('direct'), proxied: party('proxied'), in_worker: party('worker'), loop_delay_p99_ms: { direct: loop('direct'), proxied: loop('proxied'), in_worker: loop('worker') }, samples: runs };
  }
  return out;
}

/** Alternating direct and proxied runs; each percentile is the median over the runs. */
async function latency(echoPort, proxyPort) {
  const runs = { direct: [], proxied: [] };
  for (let i = 0; i < 5; i++) {
    for (const [name, port] of [['direct', echoPort], ['proxied', proxyPort]]) {
      const rtts = (await child(PINGER, [port, PINGS]).first).rtts.slice(500); // after warm-up
      runs[name].push({ p50: median(rtts), p99: percentile(rtts, 99) });
    }
  }
  const m = (name, p) => median(runs[name].map((r) => r[p]));
  return {
    direct_p50_us: m('direct', 'p50'),
    direct_p99_us: m('direct', 'p99'),
    proxied_p50_us: m('proxied', 'p50'),
    proxied_p99_us: m('proxied', 'p99'),
    added_p50_us: m('proxied', 'p50') - m('direct', 'p50'),
    added_p99_us: m('proxied', 'p99') - m('direct', 'p99'),
    samples: runs,
  };
}

/**
 * A LinkProxy in a worker thread, as the runner could host its links: what that would buy (the
 * runner's event loop free of proxy work) and cost, measured rather than guessed.
 */
async function workerLink(upstream) {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     import(workerData.module).then(async ({ LinkProxy }) => {
       const link = await LinkProxy.listen({ from: 'x', to: 'bulk', upstream: workerData.upstream });
       parentPort.postMessage(link.port);
     });`,
    { eval: true, workerData: { module: pathToFileURL(path.join(ROOT, 'dist/net/fault-proxy.js')).href, upstream } },
  );
  const port = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
  return { port, close: () => worker.terminate() };
}


/** 5 real nodes, each reaching every other through its own link proxy. */
async function partition() {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-bench-proxy-'));
  const ports = Object.fromEntries((await freePorts(ids.length)).map((p, i) => [ids[i], p]));
  const set = new ProxySet();
  for (const from of ids) for (const to of ids) if (from !== to) await set.add(from, to, { host: '127.0.0.1', port: ports[to] });
  const peers = ids.map((id) => `${id}=http://127.0.0.1:${ports[id]}`).join(',');
  const procs = ids.map((id) => {
    const routes = ids.filter((to) => to !== id).map((to) => `--peer-url=${to}=${set.link({ from: id, to }).url}`);
    return spawn(process.execPath, [MAIN, '--node-id', id, '--http', `127.0.0.1:${ports[id]}`, '--data-dir', path.join(root, id), '--peers', peers, ...routes], { stdio: 'ignore' });
  });
  try {
    for (const id of ids) {
      const deadline = Date.now() + 20_000;
      while ((await fetch(`http://127.0.0.1:${ports[id]}/health`).then((r) => r.status, () => 0)) !== 200) {
        if (Date.now() > deadline) throw new Error(`${id} not healthy`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const minority = new Set(['a', 'b']);
    const all = set.all();
    const cut = all.filter((l) => minority.has(l.from) !== minority.has(l.to));
    const witness = async (mode, hangMs) => {
      const t0 = performance.now();
      set.cut(cut, mode);
      // Kept links must answer (they get a long deadline); cut ones must stay silent for hangMs.
      const seen = await Promise.all(all.map((l) => probeLink(l, cut.includes(l) ? hangMs : 1000)));
      const ms = performance.now() - t0;
      const expected = all.map((l) => (cut.includes(l) ? (mode === 'reject' ? 'refused' : 'hangs') : 'connects'));
      if (seen.some((s, i) => s !== expected[i])) throw new Error(`partition not witnessed: ${JSON.stringify(seen)}`);
      set.heal();
      const healed = await Promise.all(all.map((l) => probeLink(l, 1000)));
      if (healed.some((s) => s !== 'connects')) throw new Error(`heal not witnessed: ${JSON.stringify(healed)}`);
      return ms;
    };
    const reject = [];
    const drop = [];
    for (let i = 0; i < 20; i++) reject.push(await witness('reject', 1000));
    // A drop is witnessed by silence: a kept link answers in ~1 ms, so 25 ms of silence is the proof.
    for (let i = 0; i < 10; i++) drop.push(await witness('drop', 25));
    return { links: all.length, cut: cut.length, reject_p50_ms: median(reject), reject_max_ms: Math.max(...reject), drop_p50_ms: median(drop), drop_max_ms: Math.max(...drop), samples: { reject, drop } };
  } finally {
    await set.close();
    await Promise.all(procs.map((p) => new Promise((r) => { p.once('exit', r); p.kill('SIGKILL'); })));
    fs.rmSync(root, { recursive: true, force: true });
  }
}

export async function run() {
  const bulk = await server('bulk');
  const echo = await server('echo');
  const bulkLink = await LinkProxy.listen({ from: 'x', to: 'bulk', upstream: { host: '127.0.0.1', port: bulk.port } });
  const bulkWorker = await workerLink({ host: '127.0.0.1', port: bulk.port });
  const echoLink = await LinkProxy.listen({ from: 'x', to: 'echo', upstream: { host: '127.0.0.1', port: echo.port } });
  try {
    const load_average = os.loadavg()[0];
    const transfers = await throughput(bulk, bulkLink, bulkWorker);
    const rtt = await latency(echo.port, echoLink.port);
    const part = await partition();
    return { load_average, cores: os.cpus().length, throughput: transfers, latency: rtt, partition: part };
  } finally {
    await Promise.all([bulkLink.close(), echoLink.close(), bulkWorker.close()]);
    bulk.proc.kill();
    echo.proc.kill();
  }
}

/** The figures that explain a bulk ratio: where the CPU goes and what it allows. */
function bulkCosts(w, cores) {
  const total = (p) => p.client_cpu_s_per_gib + p.server_cpu_s_per_gib + p.proxy_cpu_s_per_gib;
  const busiest = (p) => Math.max(p.client_cpu_s_per_gib, p.server_cpu_s_per_gib, p.proxy_cpu_s_per_gib);
  const d = w.direct;
  const p = w.proxied;
  return {
    direct_total: total(d),
    proxied_total: total(p),
    // One core running only the proxy would move this much.
    proxy_one_core_mib_s: 1024 / p.proxy_cpu_s_per_gib,
    // When the cores are the limit (every party runnable, more parties than free cores),
    // throughput goes as cores / total CPU per GiB, so the ratio is direct CPU / proxied CPU...
    cpu_bound_ratio: total(d) / total(p),
    cpu_bound_direct_mib_s: (1024 * cores) / total(d),
    cpu_bound_proxied_mib_s: (1024 * cores) / total(p),
    // ...and 0.8 of direct needs the proxy to cost at most this per GiB.
    proxy_budget_for_goal: total(d) / 0.8 - (p.client_cpu_s_per_gib + p.server_cpu_s_per_gib),
    // With a core for each party, each side is limited by its busiest party.
    core_each_ratio: Math.min(1, busiest(d) / busiest(p)),
  };
}

export function report(r) {
  const { throughput: t, latency: l, partition: p } = r;
  const ratio = (v, goal) => `ratio ${(v / goal).toFixed(2)}`;
  const f2 = (x) => x.toFixed(2);
  console.log(`fault proxy on ${r.cores} cores, load average ${r.load_average.toFixed(1)} (other work on the machine takes CPU from every party)`);
  console.log(`  bulk ${BULK_BYTES >> 20} MiB, direct, proxied and proxied by a worker thread interleaved, median of ${BULK_RUNS}:`);
  for (const [way, w] of Object.entries(t)) {
    const share = w.proxied.mib_s / w.direct.mib_s;
    const c = bulkCosts(w, r.cores);
    const cpu = (q) => `client ${f2(q.client_cpu_s_per_gib)} + server ${f2(q.server_cpu_s_per_gib)}`;
    const proxy = w.proxied;
    console.log(`    ${way.padEnd(8)}: direct ${w.direct.mib_s.toFixed(0)} MiB/s, proxied ${proxy.mib_s.toFixed(0)} MiB/s: ${share.toFixed(2)} of direct (goal >= 0.80: ${ratio(share, 0.8)})`);
    console.log(`      CPU s per GiB: direct ${cpu(w.direct)} = ${f2(c.direct_total)}; proxied ${cpu(proxy)} + proxy ${f2(proxy.proxy_cpu_s_per_gib)} (${f2(proxy.proxy_user_cpu_s_per_gib)} of it in user space) = ${f2(c.proxied_total)}`);
    console.log(`      proxy capacity on one core: ${c.proxy_one_core_mib_s.toFixed(0)} MiB/s = ${f2(c.proxy_one_core_mib_s / w.direct.mib_s)} x direct throughput`);
    console.log(`      CPU-bound on ${r.cores} cores: direct <= ${c.cpu_bound_direct_mib_s.toFixed(0)} MiB/s, proxied <= ${c.cpu_bound_proxied_mib_s.toFixed(0)} MiB/s: ratio <= ${f2(c.cpu_bound_ratio)}; 0.8 would need the proxy at <= ${f2(Math.max(0, c.proxy_budget_for_goal))} s/GiB`);
    console.log(`      with a spare core per party (each side limited by its busiest party): ratio <= ${f2(c.core_each_ratio)}`);
    const loop = w.loop_delay_p99_ms;
    console.log(`      this (the runner's) event loop, p99 delay: ${loop.proxied.toFixed(1)} ms while proxying, ${loop.direct.toFixed(1)} ms while idle (direct)`);
    console.log(`      the proxy in a worker thread: ${w.in_worker.mib_s.toFixed(0)} MiB/s (${f2(w.in_worker.mib_s / w.direct.mib_s)} of direct), proxy CPU ${f2(w.in_worker.proxy_cpu_s_per_gib)} s/GiB, runner's loop p99 delay ${loop.in_worker.toFixed(1)} ms`);
  }
  console.log(`  64-byte round trip:  direct p50 ${l.direct_p50_us.toFixed(0)} us / p99 ${l.direct_p99_us.toFixed(0)} us, proxied p50 ${l.proxied_p50_us.toFixed(0)} us / p99 ${l.proxied_p99_us.toFixed(0)} us`);
  console.log(`  added per hop:       p50 ${l.added_p50_us.toFixed(0)} us (goal < 100 us: ${ratio(l.added_p50_us, 100)}), p99 ${l.added_p99_us.toFixed(0)} us`);
  console.log(`  partition (${p.cut} of ${p.links} links cut, 5 nodes), applied and witnessed:`);
  console.log(`    reject: p50 ${p.reject_p50_ms.toFixed(1)} ms, max ${p.reject_max_ms.toFixed(1)} ms (goal < 50 ms: ${ratio(p.reject_p50_ms, 50)})`);
  console.log(`    drop (25 ms of silence as proof): p50 ${p.drop_p50_ms.toFixed(1)} ms, max ${p.drop_max_ms.toFixed(1)} ms (goal < 50 ms: ${ratio(p.drop_p50_ms, 50)})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report(await run());
