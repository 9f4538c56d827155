// A cluster the test runs itself, the way a user runs theirs for the external driver: three
// reference-server processes launched by a shell script, and a cluster file whose fault
// commands are `kill -9 <pid>` and that same launch script.
import type { Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { SERVER } from '../helpers.js';
import { freePorts } from '../../src/drivers/process/ports.js';
import { healthOk } from '../../src/drivers/health.js';
import { waitFor } from './ref-node.js';

export interface Cluster { dir: string; urls: Record<string, string>; launch: Record<string, string>; pidFile: (id: string) => string }

/** Three nodes, each started by `sh launch-<id>.sh` (backgrounded, pid in <id>.pid): what a start command runs again. */
export async function startCluster(t: Test): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'phantom-external-'));
  const ids = ['a', 'b', 'c'];
  const ports = await freePorts(ids.length);
  const urls = Object.fromEntries(ids.map((id, i) => [id, `http://127.0.0.1:${ports[i]}`]));
  const peers = ids.map((id) => `${id}=${urls[id]}`).join(',');
  const pidFile = (id: string) => join(dir, `${id}.pid`);
  const launch: Record<string, string> = {};
  for (const [i, id] of ids.entries()) {
    const script = join(dir, `launch-${id}.sh`);
    const args = [SERVER, '--node-id', id, '--http', `127.0.0.1:${ports[i]}`, '--data-dir', join(dir, id), '--peers', peers, '--log-format', 'json'];
    writeFileSync(script, `#!/bin/sh\n${[process.execPath, ...args].map((a) => `'${a}'`).join(' ')} >>'${join(dir, `${id}.server.log`)}' 2>&1 </dev/null &\necho $! >'${pidFile(id)}'\n`);
    launch[id] = `sh '${script}'`;
  }
  t.teardown(async () => {
    for (const id of ids) {
      try { process.kill(Number(readFileSync(pidFile(id), 'utf8')), 'SIGKILL'); } catch { /* gone */ }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  await Promise.all(ids.map((id) => execa(launch[id]!, { shell: true })));
  for (const id of ids) t.ok(await waitFor(() => healthOk(urls[id]!), 15_000), `node ${id} serves`);
  return { dir, urls, launch, pidFile };
}

export function clusterFile(c: Cluster, extra: Record<string, string> = {}): string {
  const file = join(c.dir, 'cluster.yaml');
  const nodes = Object.entries(c.urls).map(([id, url]) => [
    `  - id: ${id}`,
    `    url: ${extra[id] ?? url}`,
    '    commands:',
    `      kill: kill -9 $(cat '${c.pidFile(id)}')`,
    `      start: ${c.launch[id]}`,
  ].join('\n'));
  writeFileSync(file, `command_timeout: 10s\nnodes:\n${nodes.join('\n')}\n`);
  return file;
}
