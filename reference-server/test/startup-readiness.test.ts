// A node is healthy only once it can serve catalog requests, and a catalog request that arrives
// while it starts waits for it instead of breaking the bootstrap (which used to exit the node).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { freePorts, waitFor } from './helpers/cluster.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

t.test('the catalog leader is not healthy before bootstrap, and an early change waits for it', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-startup-'));
  // Peer b accepts connections and never answers: a's catalog adoption waits out its timeout.
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => sockets.add(s.on('error', () => undefined)));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const portB = (silent.address() as net.AddressInfo).port;
  const [portA] = await freePorts(1);
  const url = `http://127.0.0.1:${portA}`;
  const proc = spawn(process.execPath, [MAIN, '--node-id', 'a', '--http', `127.0.0.1:${portA}`, '--data-dir', path.join(root, 'a'), '--peers', `a=${url},b=http://127.0.0.1:${portB}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  proc.stdout.on('data', (b: Buffer) => log.push(b.toString()));
  proc.stderr.on('data', (b: Buffer) => log.push(b.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  t.teardown(async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
    for (const s of sockets) s.destroy();
    silent.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  // As soon as /health answers at all, send catalog changes, from a client and as a peer would.
  let first: { status: number; text: string } | undefined;
  await waitFor(async () => {
    const r = await fetch(`${url}/health`);
    first = { status: r.status, text: await r.text() };
    return true;
  }, 10_000, () => `a to answer /health:\n${log.join('')}`);
  const [client, peer] = await Promise.all([
    fetch(`${url}/api/v3/configure/database`, { method: 'POST', body: JSON.stringify({ db: 'race' }) }),
    fetch(`${url}/internal/catalog/propose`, { method: 'POST', body: JSON.stringify({ kind: 'command', command: { type: 'create_database', db: 'race2' } }) }),
  ]);
  t.equal(first!.status, 503, `not healthy while joining the catalog: ${first!.text}`);
  t.match(first!.text, /^starting: joining the cluster catalog/);
  t.equal(client.status, 200, `the client's change waited for the catalog: ${await client.text()}`);
  t.equal(peer.status, 200, `the peer's proposal waited too: ${await peer.text()}`);
  // Past the point where the bootstrap used to fail ("catalog already bootstrapped", exit 1).
  await waitFor(() => proc.exitCode !== null || log.join('').includes('"node started"'), 10_000, () => `a to finish starting:\n${log.join('')}`);
  t.equal(proc.exitCode, null, `the node is still running:\n${log.join('')}`);
  t.equal((await fetch(`${url}/health`)).status, 200, 'healthy once started');

  const dbs = (await (await fetch(`${url}/api/v3/configure/database`)).json()) as Array<Record<string, string>>;
  t.same(dbs.map((d) => d['iox::database']).sort(), ['race', 'race2']);
  const nodes = (await (await fetch(`${url}/api/v3/cluster/nodes`)).json()) as { catalog_version: number };
  t.equal(nodes.catalog_version, 3, 'bootstrap took index 1, the two changes followed');
});
