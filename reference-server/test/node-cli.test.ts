// The node binary's command line: help, bad flags, a busy port, an unusable data dir.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { TestCluster } from './helpers/cluster.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-cli-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } });

t.test('--help documents every flag and its environment variable', async (t) => {
  const r = run(['--help']);
  t.equal(r.status, 0);
  for (const flag of ['--node-id', '--http', '--data-dir', '--peers', '--peer-url', 'PHANTOM_PEER_URLS', '--token', '--log-format', '--max-body-bytes', '--anti-entropy-interval']) {
    t.match(r.stdout, flag);
  }
  t.match(r.stdout, 'PHANTOM_NODE_ID');
});

t.test('bad flags exit 2 with what is wrong', async (t) => {
  const unknown = run(['--node-id', 'a', '--data-dir', tmp, '--bogus', 'x']);
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /bogus/);
  const missing = run(['--data-dir', tmp]);
  t.equal(missing.status, 2);
  t.match(missing.stderr, /--node-id is required \(or set PHANTOM_NODE_ID\)/);
  const badPeers = run(['--node-id', 'a', '--data-dir', tmp, '--peers', 'a=localhost']);
  t.equal(badPeers.status, 2);
  t.match(badPeers.stderr, /--peers entry 'a=localhost' must look like id=http:\/\/host:port/);
  const badRoute = run(['--node-id', 'a', '--data-dir', tmp, '--peer-url', 'b=http://127.0.0.1:1', '--peer-url', 'c=127.0.0.1:2']);
  t.equal(badRoute.status, 2);
  t.match(badRoute.stderr, /--peer-url 'c=127.0.0.1:2' must look like id=http:\/\/host:port/);
  const selfRoute = run(['--node-id', 'a', '--data-dir', tmp], { PHANTOM_PEER_URLS: 'a=http://127.0.0.1:1' });
  t.equal(selfRoute.status, 2);
  t.match(selfRoute.stderr, /--peer-url 'a=http:\/\/127.0.0.1:1' names this node/);
  const twice = run(['--node-id', 'a', '--data-dir', tmp], { PHANTOM_PEER_URLS: 'b=http://127.0.0.1:1,b=http://127.0.0.1:2' });
  t.equal(twice.status, 2);
  t.match(twice.stderr, /--peer-url gives node 'b' two URLs/);
  const badFormat = run(['--node-id', 'a', '--data-dir', tmp], { PHANTOM_LOG_FORMAT: 'xml' });
  t.equal(badFormat.status, 2, 'environment variables are validated like flags');
  t.match(badFormat.stderr, /--log-format must be json or pretty/);
});

t.test('a busy port exits non-zero saying so', async (t) => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const r = run(['--node-id', 'a', '--data-dir', path.join(tmp, 'busy'), '--http', `127.0.0.1:${port}`]);
  server.close();
  t.equal(r.status, 1);
  t.match(r.stderr, `cannot listen on 127.0.0.1:${port}: the port is already in use`);
});

t.test('an unwritable data dir exits non-zero saying so', async (t) => {
  const file = path.join(tmp, 'a-file');
  fs.writeFileSync(file, '');
  const r = run(['--node-id', 'a', '--data-dir', path.join(file, 'data'), '--http', '127.0.0.1:0']);
  t.equal(r.status, 1);
  t.match(r.stderr, /data dir .*a-file\/data is not writable/);
});

t.test('a data dir already used by a running node is refused', async (t) => {
  const c = await TestCluster.start({ ids: ['solo'] });
  t.teardown(() => c.teardown());
  const r = run(['--node-id', 'solo', '--data-dir', c.node('solo').dataDir, '--http', '127.0.0.1:0']);
  t.equal(r.status, 1);
  t.match(r.stderr, /is in use by process \d+/);
});
