// Starts real reference-server nodes as child processes on loopback for tests, and cleans up.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/main.js');

export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface TestNode {
  id: string;
  port: number;
  url: string;
  dataDir: string;
  proc?: ChildProcess;
  log: string[];
}

export interface ClusterOptions {
  ids?: string[];
  token?: string;
  extraArgs?: string[];
}

export class TestCluster {
  nodes = new Map<string, TestNode>();
  readonly root: string;
  private peersArg = '';

  constructor(private readonly opts: ClusterOptions = {}) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-ref-test-'));
  }

  static async start(opts: ClusterOptions = {}): Promise<TestCluster> {
    const c = new TestCluster(opts);
    const ids = opts.ids ?? ['a', 'b', 'c'];
    const ports = await freePorts(ids.length);
    ids.forEach((id, i) => c.nodes.set(id, { id, port: ports[i]!, url: `http://127.0.0.1:${ports[i]}`, dataDir: path.join(c.root, id), log: [] }));
    c.peersArg = [...c.nodes.values()].map((n) => `${n.id}=${n.url}`).join(',');
    try {
      await Promise.all(ids.map((id) => c.startNode(id)));
      await c.waitForCatalog();
    } catch (e) {
      // The caller never gets the cluster to tear down: stop what did start, or it outlives the test.
      await c.teardown();
      throw e;
    }
    return c;
  }

  node(id: string): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  url(id: string): string {
    return this.node(id).url;
  }

  async startNode(id: string): Promise<void> {
    const n = this.node(id);
    const args = [MAIN, '--node-id', id, '--http', `127.0.0.1:${n.port}`, '--data-dir', n.dataDir, '--peers', this.peersArg, '--anti-entropy-interval', '500ms', ...(this.opts.extraArgs ?? [])];
    if (this.opts.token) args.push('--token', this.opts.token);
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    n.proc = proc;
    const collect = (b: Buffer) => n.log.push(...b.toString().split('\n').filter(Boolean));
    proc.stdout!.on('data', collect);
    proc.stderr!.on('data', collect);
    await waitFor(async () => (await fetch(`${n.url}/health`).then((r) => r.status, () => 0)) === 200, 30_000, () => `node ${id} never became healthy:\n${n.log.slice(-20).join('\n')}`);
  }

  /** Adds a node at run time (started with the existing peers plus itself). */
  async addNode(id: string): Promise<TestNode> {
    const [port] = await freePorts(1);
    const n: TestNode = { id, port: port!, url: `http://127.0.0.1:${port}`, dataDir: path.join(this.root, id), log: [] };
    this.nodes.set(id, n);
    this.peersArg += `,${id}=${n.url}`;
    await this.startNode(id);
    return n;
  }

  async kill(id: string): Promise<void> {
    await this.signal(id, 'SIGKILL');
  }

  async stop(id: string): Promise<void> {
    await this.signal(id, 'SIGTERM');
  }

  async restart(id: string): Promise<void> {
    await this.stop(id);
    await this.startNode(id);
  }

  private async signal(id: string, sig: NodeJS.Signals): Promise<void> {
    const p = this.node(id).proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(sig);
    await exited;
  }

  async waitForCatalog(): Promise<void> {
    await waitFor(async () => {
      const versions = await Promise.all(
        [...this.nodes.values()].filter((n) => n.proc && n.proc.exitCode === null).map(async (n) => (await this.json(n.id, 'GET', '/api/v3/cluster/nodes')).body.catalog_version),
      );
      return versions.every((v) => v > 0 && v === versions[0]);
    }, 30_000, () => 'catalog never converged');
  }

  async request(id: string, method: string, p: string, body?: string | object, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const h: Record<string, string> = { ...headers };
    if (this.opts.token && !('authorization' in h)) h.authorization = `Bearer ${this.opts.token}`;
    if (h.authorization === '') delete h.authorization;
    let payload: string | undefined;
    if (typeof body === 'object') {
      payload = JSON.stringify(body);
      h['content-type'] = 'application/json';
    } else payload = body;
    const res = await fetch(this.url(id) + p, { method, body: payload, headers: h });
    return { status: res.status, text: await res.text() };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async json(id: string, method: string, p: string, body?: string | object): Promise<{ status: number; body: any }> {
    const r = await this.request(id, method, p, body);
    let parsed: unknown = r.text;
    try {
      parsed = r.text ? JSON.parse(r.text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: r.status, body: parsed };
  }

  write(id: string, db: string, lines: string | string[], params = ''): Promise<{ status: number; text: string }> {
    const body = Array.isArray(lines) ? lines.join('\n') : lines;
    return this.request(id, 'POST', `/api/v3/write_lp?db=${encodeURIComponent(db)}${params}`, body);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async query(id: string, db: string, sql: string, extra = ''): Promise<{ status: number; body: any }> {
    return this.json(id, 'GET', `/api/v3/query_sql?db=${encodeURIComponent(db)}&q=${encodeURIComponent(sql)}${extra}`);
  }

  async metric(id: string, name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = (await this.request(id, 'GET', '/metrics')).text;
    let total = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const lbl = m[2] ?? '';
      if (Object.entries(labels).every(([k, v]) => lbl.includes(`${k}="${v}"`))) total += Number(m[3]);
    }
    return total;
  }

  async teardown(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((id) => this.kill(id)));
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Polls `cond` until it holds or `timeoutMs` passes (then throws with `describe()`). */
export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, describe: () => string = () => 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
