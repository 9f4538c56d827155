// The reference server's --peer-url override with real nodes: a reaches b through a fault
// proxy (link a→b), so cutting that link makes a see b as down while b still reaches a, and
// the catalog keeps b's own URL throughout.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LinkProxy } from '../src/net/fault-proxy.js';
import { SERVER } from './helpers.js';
import { freePorts } from '../src/drivers/process/ports.js';

const ids = ['a', 'b', 'c'];
const root = mkdtempSync(join(tmpdir(), 'phantom-peer-url-'));
const procs: ChildProcess[] = [];
const logs: string[] = [];

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${logs.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// One call: ports asked for one at a time could come back twice.
const free = await freePorts(ids.length);
const ports = Object.fromEntries(ids.map((id, i) => [id, free[i]!] as const));
const url = (id: string) => `http://127.0.0.1:${ports[id]}`;
const link = await LinkProxy.listen({ from: 'a', to: 'b', upstream: { host: '127.0.0.1', port: ports.b! } });
t.teardown(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await link.close();
  rmSync(root, { recursive: true, force: true });
});

const api = async (id: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(url(id) + path, {
    method,
    body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body),
    headers: typeof body === 'object' ? { 'content-type': 'application/json' } : {},
  });
  return { status: res.status, text: await res.text() };
};
const writeAll = (via: string, line: string) => api(via, 'POST', '/api/v3/write_lp?db=db1&consistency=all', line);

// In before(), so tap waits for it (a top-level await after an assertion would let it end early).
t.before(async () => {
  const peers = ids.map((id) => `${id}=${url(id)}`).join(',');
  for (const id of ids) {
    const args = [SERVER, '--node-id', id, '--http', `127.0.0.1:${ports[id]}`, '--data-dir', join(root, id), '--peers', peers];
    // a's override comes from the environment, to cover PHANTOM_PEER_URLS too.
    const env = id === 'a' ? { ...process.env, PHANTOM_PEER_URLS: `b=${link.url}` } : process.env;
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    proc.stdout!.on('data', (b: Buffer) => logs.push(`${id}: ${b}`));
    proc.stderr!.on('data', (b: Buffer) => logs.push(`${id}: ${b}`));
    procs.push(proc);
  }
  await until('every node healthy, one catalog', async () => {
    const versions = await Promise.all(ids.map(async (id) => JSON.parse((await api(id, 'GET', '/api/v3/cluster/nodes')).text).catalog_version));
    return versions.every((v) => v > 0 && v === versions[0]);
  });
  const db = await api('a', 'POST', '/api/v3/configure/database', { db: 'db1' });
  const table = await api('a', 'POST', '/api/v3/configure/table', { db: 'db1', table: 'm', tags: ['host'], fields: [{ name: 'v', type: 'int64' }], replication_factor: 3 });
  if (db.status !== 200 || table.status !== 200) throw new Error(`setup: ${db.status} ${db.text} / ${table.status} ${table.text}`);
});

t.test('a reaches b through the link while it is healthy', async (t) => {
  const w = await writeAll('a', 'm,host=h v=1i 1000');
  t.equal(w.status, 204, w.text);
  t.ok(link.openConnections > 0, 'the replica write to b went through the proxy');
});

t.test('cutting a→b: a sees b down, b still reaches a, the catalog keeps b\'s own URL', async (t) => {
  link.cut('reject');
  const w = await writeAll('a', 'm,host=h v=2i 2000');
  t.equal(w.status, 503, 'consistency all cannot be met from a');
  t.match(w.text, /unavailable: b"/, `the error names b, and only b: ${w.text}`);
  const fromB = await writeAll('b', 'm,host=h v=3i 3000');
  t.equal(fromB.status, 204, `b→a and b→c are untouched: ${fromB.text}`);
  const nodes = JSON.parse((await api('a', 'GET', '/api/v3/cluster/nodes')).text).nodes as Array<{ id: string; url: string }>;
  t.equal(nodes.find((n) => n.id === 'b')?.url, url('b'), 'the catalog holds b\'s own URL, not a\'s route');
  t.notOk(JSON.stringify(nodes).includes(String(link.port)), 'the proxy port is nowhere in the catalog');
});

t.test('healing a→b: a\'s writes at consistency all succeed again', async (t) => {
  link.heal();
  await until('a write at consistency all via a', async () => (await writeAll('a', 'm,host=h v=4i 4000')).status === 204);
  t.pass('healed');
});

t.test('a drop cut hangs a\'s replica write until its timeout, naming b', async (t) => {
  link.cut('drop');
  const t0 = Date.now();
  const w = await writeAll('a', 'm,host=h v=5i 5000');
  const took = Date.now() - t0;
  t.equal(w.status, 503, w.text);
  t.match(w.text, /unavailable: b"/);
  t.ok(took >= 1000, `the write waited for b (${took} ms) instead of being refused at once`);
  link.heal();
  await until('a write at consistency all via a after heal', async () => (await writeAll('a', 'm,host=h v=6i 6000')).status === 204);
});
