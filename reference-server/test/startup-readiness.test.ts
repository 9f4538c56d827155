// A node is healthy only once it can serve catalog requests (its Raft knows a leader and it has
// applied the catalog), and a catalog request that arrives while it starts waits for it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { freePorts, waitFor } from './helpers/cluster.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

t.test('a node is not healthy before its catalog has a leader, and an early change waits for it', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-startup-'));
  const [portA, portB] = await freePorts(2);
  const url = `http://127.0.0.1:${portA}`;
  const peers = `a=${url},b=http://127.0.0.1:${portB}`;
  const log: string[] = [];
  const procs: ChildProcess[] = [];
  const spawnNode = (id: string, port: number) => {
    const proc = spawn(process.execPath, [MAIN, '--node-id', id, '--http', `127.0.0.1:${port}`, '--data-dir', path.join(root, id), '--peers', peers], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (b: Buffer) => log.push(b.toString()));
    proc.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
    procs.push(proc);
    return proc;
  };
  const a = spawnNode('a', portA!);
  t.teardown(async () => {
    for (const p of procs) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  // a alone is not a majority of {a, b}: no leader, so not healthy; a change sent now waits.
  let first: { status: number; text: string } | undefined;
  await waitFor(async () => {
    const r = await fetch(`${url}/health`);
    first = { status: r.status, text: await r.text() };
    return true;
  }, 10_000, () => `a to answer /health:\n${log.join('')}`);
  const early = fetch(`${url}/api/v3/configure/database`, { method: 'POST', body: JSON.stringify({ db: 'race' }) });
  t.equal(first!.status, 503, `not healthy while joining the catalog: ${first!.text}`);
  t.match(first!.text, /^starting: joining the cluster catalog/);
  spawnNode('b', portB!);
  const client = await early;
  t.equal(client.status, 200, `the client's change waited for the catalog: ${await client.text()}`);
  await waitFor(() => a.exitCode !== null || log.join('').includes('"node started"'), 10_000, () => `a to finish starting:\n${log.join('')}`);
  t.equal(a.exitCode, null, `the node is still running:\n${log.join('')}`);
  t.equal((await fetch(`${url}/health`)).status, 200, 'healthy once started');
  const raft = (await (await fetch(`${url}/api/v3/cluster/raft`)).json()) as { leader: string | null; voters: string[] };
  t.ok(raft.leader === 'a' || raft.leader === 'b', `healthy means a leader is known (${raft.leader})`);
  t.same(raft.voters, ['a', 'b']);

  const dbs = (await (await fetch(`${url}/api/v3/configure/database`)).json()) as Array<Record<string, string>>;
  t.same(dbs.map((d) => d['iox::database']), ['race']);
  const nodes = (await (await fetch(`${url}/api/v3/cluster/nodes`)).json()) as { catalog_version: number };
  t.equal(nodes.catalog_version, 2, 'bootstrap took version 1, the change followed');
});
