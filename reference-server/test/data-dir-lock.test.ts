// One process per data dir, but a dead one must not hold it. A node killed while its parent
// never reaps it (a launcher script that backgrounded it, in a container whose init reaps
// nothing: an external cluster's start command, for instance) stays a zombie; signal 0 still
// reaches a zombie, and the next node on that data dir used to refuse to start.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { waitFor } from './helpers/cluster.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const healthy = (url: string) => fetch(`${url}/health`).then((r) => r.status === 200, () => false);
const state = (pid: number) => {
  try { const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); return s.slice(s.lastIndexOf(')') + 2)[0]; } catch { return 'gone'; }
};

t.test('a node whose earlier process is a zombie takes over its data dir', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-lock-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [MAIN, '--node-id', 'a', '--http', `127.0.0.1:${port}`, '--data-dir', path.join(dir, 'data')].map((a) => `'${a}'`).join(' ');
  // The shell backgrounds the node, then becomes `sleep`: the node's parent, which never waits.
  const parent = spawn('sh', ['-c', `'${process.execPath}' ${args} >/dev/null 2>&1 & echo $! > '${dir}/pid'; exec sleep 120`], { stdio: 'ignore' });
  let second: ChildProcess | undefined;
  t.teardown(() => {
    second?.kill('SIGKILL');
    parent.kill('SIGKILL'); // reaps the zombie with it
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await waitFor(() => healthy(url), 30_000, () => 'the first node');
  const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
  process.kill(pid, 'SIGKILL');
  await waitFor(() => state(pid) === 'Z', 10_000, () => `node ${pid} to become a zombie (state ${state(pid)})`);

  let stderr = '';
  second = spawn(process.execPath, [MAIN, '--node-id', 'a', '--http', `127.0.0.1:${port}`, '--data-dir', path.join(dir, 'data')], { stdio: ['ignore', 'ignore', 'pipe'] });
  second.stderr!.on('data', (b) => { stderr += b; });
  const exited = new Promise<number | null>((r) => second!.once('exit', (code) => r(code)));
  const up = await Promise.race([waitFor(() => healthy(url), 30_000, () => 'the second node').then(() => true), exited.then(() => false)]);
  t.ok(up, `the new node starts on the data dir its zombie predecessor left (${stderr.trim() || 'no stderr'})`);
});
