// Forwarding a catalog change to the leader over HTTP: only a request that never left this node
// (connection refused) may be sent again; one that reached the leader and lost its answer (a
// reset, a timeout) may have committed, so it is a 503 saying so, never a retry.
import http from 'node:http';
import net from 'node:net';
import t from 'tap';
import { PeerClient } from '../src/cluster/peer-client.js';
import { HttpCatalogTransport } from '../src/catalog/http-transport.js';
import { ForwardUncertain, LeaderUnreachable } from '../src/catalog/transport.js';

const request = { kind: 'command' as const, command: { type: 'create_database' as const, db: 'x' } };

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

t.test('refused: never sent, LeaderUnreachable (retried); reset after the leader read it: ForwardUncertain', async (t) => {
  const peers = new PeerClient('b', undefined, () => 0);
  t.teardown(() => peers.close());
  let received = 0;
  // A leader that reads the whole request, then dies before answering.
  const leader = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.socket?.destroy();
    });
  });
  await new Promise<void>((r) => leader.listen(0, '127.0.0.1', r));
  t.teardown(() => leader.close());
  const urls: Record<string, string> = {
    dead: `http://127.0.0.1:${await closedPort()}`,
    flaky: `http://127.0.0.1:${(leader.address() as net.AddressInfo).port}`,
  };
  const transport = new HttpCatalogTransport(peers, (id) => urls[id]);

  const refused = await transport.forwardPropose('dead', request).catch((e: unknown) => e);
  t.ok(refused instanceof LeaderUnreachable, `refused is LeaderUnreachable (${(refused as Error).message})`);
  t.match((refused as { status: number }).status, 503);

  const lost = await transport.forwardPropose('flaky', request).catch((e: unknown) => e);
  t.equal(received, 1, 'the leader got the request');
  t.ok(lost instanceof ForwardUncertain && !(lost instanceof LeaderUnreachable), `a lost answer is ForwardUncertain (${(lost as Error).message})`);
  t.match(lost, { status: 503, message: /no catalog leader is reachable.*may still commit/ });
});
