// Fault proxy benchmark (issue 7). Run: npm run bench -- proxy (or `node bench/proxy.mjs`
// after `npm run build`). Prints each figure with its target and ratio:
//   - bulk transfer throughput through a LinkProxy vs a direct connection (target >= 0.8);
//   - latency the proxy adds to a small request/response round trip, p50 (target < 100 us)
//     and p99: the round trip crosses the link both ways, so this is the cost of one hop
//     through the link, request and answer included;
//   - applying a partition to a 5-node cluster's 20 directed links and witnessing it (every
//     cut link refuses, every kept link answers /health), target < 50 ms.
// Sender and receiver run in child processes, like real nodes; the proxy runs here, as it does
// inside the runner.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'reference-server/dist/main.js');
const { LinkProxy, ProxySet, probeLink } = await import(path.join(ROOT, 'dist/net/fault-proxy.js'));

const BULK_BYTES = 256 << 20;
const PINGS = 5000;

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs) => percentile(xs, 50);

/** A child process running `code`; resolves with its first stdout line parsed as JSON. */
function child(code, args = []) {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', code, ...args.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
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

// Sink: counts bytes until the sender ends, then answers the count. Echo: sends back what it gets.
const SERVERS = `
import net from 'node:net';
const kind = process.argv[1];
const server = net.createServer({ noDelay: true }, (s) => {
  if (kind === 'echo') return s.pipe(s);
  let n = 0;
  s.on('data', (b) => { n += b.length; });
  s.on('end', () => s.end(String(n)));
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

// Bulk sender: writes BYTES in 1 MiB chunks, ends, waits for the sink's count.
const SENDER = `
import net from 'node:net';
const [port, bytes] = process.argv.slice(1).map(Number);
const chunk = Buffer.alloc(1 << 20, 7);
const t0 = performance.now();
const s = net.connect({ port, host: '127.0.0.1' }, () => {
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
let answer = '';
s.on('data', (b) => { answer += b; });
s.on('end', () => {
  if (Number(answer) !== bytes) throw new Error('sink got ' + answer + ' of ' + bytes);
  console.log(JSON.stringify({ ms: performance.now() - t0 }));
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

async function throughput(sinkPort, proxyPort) {
  const runs = { direct: [], proxied: [], proxyCpu: [] };
  for (let i = 0; i < 3; i++) {
    for (const [name, port] of [['direct', sinkPort], ['proxied', proxyPort]]) {
      const cpu0 = process.cpuUsage();
      const { ms } = await child(SENDER, [port, BULK_BYTES]).first;
      const cpu = process.cpuUsage(cpu0);
      runs[name].push(BULK_BYTES / 2 ** 20 / (ms / 1000));
      // What the proxy alone could carry on one core: bytes per CPU second this process spent.
      if (name === 'proxied') runs.proxyCpu.push(BULK_BYTES / 2 ** 20 / ((cpu.user + cpu.system) / 1e6));
    }
  }
  return { direct_mib_s: median(runs.direct), proxied_mib_s: median(runs.proxied), proxy_cpu_mib_s: median(runs.proxyCpu), samples: runs };
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

async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((r) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => r(s)); })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
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
  const sink = await server('sink');
  const echo = await server('echo');
  const sinkLink = await LinkProxy.listen({ from: 'x', to: 'sink', upstream: { host: '127.0.0.1', port: sink.port } });
  const echoLink = await LinkProxy.listen({ from: 'x', to: 'echo', upstream: { host: '127.0.0.1', port: echo.port } });
  try {
    const bulk = await throughput(sink.port, sinkLink.port);
    const rtt = await latency(echo.port, echoLink.port);
    const part = await partition();
    return { load_average: os.loadavg()[0], throughput: bulk, latency: rtt, partition: part };
  } finally {
    await Promise.all([sinkLink.close(), echoLink.close()]);
    sink.proc.kill();
    echo.proc.kill();
  }
}

export function report(r) {
  const { throughput: t, latency: l, partition: p } = r;
  const ratio = (v, goal) => `ratio ${(v / goal).toFixed(2)}`;
  console.log(`fault proxy on ${os.cpus().length} cores, load average ${r.load_average.toFixed(1)}`);
  const share = t.proxied_mib_s / t.direct_mib_s;
  console.log(`  bulk ${BULK_BYTES >> 20} MiB:       direct ${t.direct_mib_s.toFixed(0)} MiB/s, proxied ${t.proxied_mib_s.toFixed(0)} MiB/s: ${share.toFixed(2)} of direct (goal >= 0.80: ${ratio(share, 0.8)})`);
  // Sender, proxy and sink each want a core: with fewer free cores the proxy's share is CPU-bound.
  console.log(`  proxy CPU cost:      ${t.proxy_cpu_mib_s.toFixed(0)} MiB per CPU second (${(t.proxy_cpu_mib_s / t.direct_mib_s).toFixed(2)} x the direct rate: the proxy alone is ${t.proxy_cpu_mib_s >= t.direct_mib_s * 0.8 ? 'not' : 'also'} the bottleneck given a core of its own)`);
  console.log(`  64-byte round trip:  direct p50 ${l.direct_p50_us.toFixed(0)} us / p99 ${l.direct_p99_us.toFixed(0)} us, proxied p50 ${l.proxied_p50_us.toFixed(0)} us / p99 ${l.proxied_p99_us.toFixed(0)} us`);
  console.log(`  added per hop:       p50 ${l.added_p50_us.toFixed(0)} us (goal < 100 us: ${ratio(l.added_p50_us, 100)}), p99 ${l.added_p99_us.toFixed(0)} us`);
  console.log(`  partition (${p.cut} of ${p.links} links cut, 5 nodes), applied and witnessed:`);
  console.log(`    reject: p50 ${p.reject_p50_ms.toFixed(1)} ms, max ${p.reject_max_ms.toFixed(1)} ms (goal < 50 ms: ${ratio(p.reject_p50_ms, 50)})`);
  console.log(`    drop (25 ms of silence as proof): p50 ${p.drop_p50_ms.toFixed(1)} ms, max ${p.drop_max_ms.toFixed(1)} ms (goal < 50 ms: ${ratio(p.drop_p50_ms, 50)})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report(await run());
