// Work done inside a node's container through the engine's exec API, with the image's own
// node binary (the image has no shell): fill or free the data dir, probe it with a write,
// replace the libfaketime timestamp file. Each script is small and self-contained.

import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { FILLER } from '../process/disk.js';
import { IN_IMAGE } from './image.js';

export interface ExecResult { exitCode: number; stdout: string; stderr: string }

/** Runs `node -e script ...args` in a running container and collects its output. */
export async function execNode(container: Docker.Container, script: string, args: string[] = []): Promise<ExecResult> {
  const exec = await container.exec({ Cmd: [IN_IMAGE.node, '-e', script, ...args], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  out.on('data', (b: Buffer) => stdout.push(b));
  err.on('data', (b: Buffer) => stderr.push(b));
  container.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => { stream.on('end', resolve); stream.on('close', resolve); stream.on('error', reject); });
  const { ExitCode } = await exec.inspect();
  return { exitCode: ExitCode ?? -1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}

const FILLER_PATH = `${IN_IMAGE.dataDir}/${FILLER}`;
const PROBE_PATH = `${IN_IMAGE.dataDir}/.phantom-disk-probe`;

/** Grows the filler until ENOSPC, in smaller and smaller writes (as process/disk.ts fill does); prints its size. */
export const FILL_SCRIPT = `
const fs = require('fs');
const fd = fs.openSync(${JSON.stringify(FILLER_PATH)}, 'a');
const zeros = Buffer.alloc(1 << 20);
let n = 0;
for (let chunk = zeros.length; chunk >= 1;) {
  try { const w = fs.writeSync(fd, zeros, 0, chunk); n += w; if (w === 0) chunk = Math.floor(chunk / 8); }
  catch (e) { if (e.code !== 'ENOSPC') throw e; chunk = Math.floor(chunk / 8); }
}
fs.closeSync(fd);
process.stdout.write(String(n));`;

export const FREE_SCRIPT = `require('fs').rmSync(${JSON.stringify(FILLER_PATH)}, { force: true });`;

/** Writes a page to a new file in the data dir; prints ok or the error code (the disk witness). */
export const PROBE_SCRIPT = `
const fs = require('fs');
let fd = -1, r = 'ok';
try { fd = fs.openSync(${JSON.stringify(PROBE_PATH)}, 'w'); if (fs.writeSync(fd, Buffer.alloc(4096)) < 4096) r = 'ENOSPC'; }
catch (e) { r = e.code || String(e); }
finally { if (fd >= 0) fs.closeSync(fd); try { fs.rmSync(${JSON.stringify(PROBE_PATH)}, { force: true }); } catch {} }
process.stdout.write(r);`;

/** Replaces the timestamp file atomically (a half-written line makes libfaketime exit the node). */
export const CLOCK_SCRIPT = `
const fs = require('fs');
const tmp = ${JSON.stringify(IN_IMAGE.clockFile)} + '.tmp';
fs.writeFileSync(tmp, process.argv[1]);
fs.renameSync(tmp, ${JSON.stringify(IN_IMAGE.clockFile)});`;

/**
 * The link witness from the caller's side: connects to argv host:port from inside a node's
 * network namespace, sends GET /health and prints connects, refused or hangs (as probeLink).
 */
export const PROBE_LINK_SCRIPT = `
const net = require('net');
const [host, port, ms] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), noDelay: true });
const done = (r) => { process.stdout.write(r); process.exit(0); };
setTimeout(() => done('hangs'), Number(ms));
s.on('connect', () => s.write('GET /health HTTP/1.1\\r\\nHost: phantom-probe\\r\\nConnection: close\\r\\n\\r\\n'));
s.once('data', () => done('connects'));
s.on('error', () => done('refused'));
s.on('end', () => done('refused'));`;
