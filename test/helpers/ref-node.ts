// One real reference-server node as a child process, for tests of process-driver mechanisms
// (clock, disk) that must choose its data dir and environment before it starts.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePorts } from '../../src/drivers/process/ports.js';
import { SERVER } from '../helpers.js';

export interface RefNode {
  id: string;
  url: string;
  dataDir: string;
  proc: ChildProcess;
  log: string[];
  logTail(): string;
  /** Ends it (SIGTERM, or SIGKILL) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Starts it again on the same port, data dir and environment. */
  restart(): Promise<void>;
  exited(): boolean;
}

export async function startRefNode(opts: { dataDir: string; env?: Record<string, string>; id?: string }): Promise<RefNode> {
  const id = opts.id ?? 'solo';
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const node: RefNode = {
    id, url, dataDir: opts.dataDir, log: [], proc: undefined as unknown as ChildProcess,
    logTail: () => node.log.slice(-20).join('\n'),
    exited: () => node.proc.exitCode !== null || node.proc.signalCode !== null,
    stop: async (signal = 'SIGTERM') => {
      const p = node.proc;
      if (!node.exited()) {
        const done = new Promise((r) => p.once('exit', r));
        p.kill(signal);
        await done;
      }
      return { code: p.exitCode, signal: p.signalCode };
    },
    restart: async () => {
      await node.stop();
      await launch();
    },
  };
  const launch = async () => {
    const args = [SERVER, '--node-id', id, '--http', `127.0.0.1:${port}`, '--data-dir', opts.dataDir, '--peers', `${id}=${url}`, '--log-format', 'pretty'];
    node.proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    const collect = (b: Buffer) => node.log.push(...b.toString().split('\n').filter(Boolean));
    node.proc.stdout!.on('data', collect);
    node.proc.stderr!.on('data', collect);
    const healthy = await waitFor(async () => !node.exited() && (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status === 200, () => false)), 15_000, () => node.exited());
    if (!healthy) throw new Error(`node ${id} never became healthy (${node.exited() ? `exited ${node.proc.exitCode ?? node.proc.signalCode}` : 'timeout'}):\n${node.logTail()}`);
  };
  await launch();
  return node;
}

/** Polls `cond` every 25 ms until it holds (true), `giveUp` holds or `timeoutMs` passes (false). */
export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, giveUp: () => boolean = () => false): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (giveUp() || performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
