// Ports the benchmarks give the nodes they start: bound once to learn a free one, then released.
import net from 'node:net';

export async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((r) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => r(s)); })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
