// The external driver's network commands, run for real (sh -c) against nodes that are only
// entries here: what the commands get filled in, which cuts are recorded, and how heal and
// probe behave when a command fails or hangs. No server is needed: the commands touch files.
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExternalLinks } from '../src/drivers/external/network.js';
import type { ExternalNode } from '../src/drivers/external/cluster-file.js';

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'phantom-external-links-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function links(dir: string, nodes: ExternalNode[], commandTimeoutMs = 10_000): Promise<ExternalLinks> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  // https urls: no client proxies are opened, only node-to-node links are exercised.
  return ExternalLinks.open(nodes, {
    entry: (id) => byId.get(id)!, log: (id) => join(dir, `${id}.log`), running: () => true, commandTimeoutMs,
  });
}

const node = (id: string, network: ExternalNode['network'], peerUrl = `https://${id}.example:8443`): ExternalNode => ({
  id, url: `https://${id}.example:8443`, peerUrl, network,
});

t.test('placeholder values are single-quoted: a peer host with $(...) runs nothing', async (t) => {
  const dir = scratch(t);
  const marker = join(dir, 'marker');
  process.env.phantom_marker_cmd = `touch ${marker}`;
  t.teardown(() => { delete process.env.phantom_marker_cmd; });
  // URL accepts this hostname; unquoted, sh would run `touch <marker>`.
  const peerUrl = 'http://x$($phantom_marker_cmd)y`$phantom_marker_cmd`:8181';
  const seen = join(dir, 'seen');
  const l = await links(dir, [
    node('a', { partition: `printf '%s\\n' {peer_host} {peer_port} {mode} {peer} {node} > ${seen}`, heal: 'true' }),
    node('b', undefined, peerUrl),
  ]);
  t.teardown(() => l.close());
  await l.cut([{ from: 'a', to: 'b' }], 'drop');
  t.notOk(existsSync(marker), 'the $(...) and backquotes in the host were not run');
  t.equal(readFileSync(seen, 'utf8'), `${new URL(peerUrl).hostname}\n8181\ndrop\nb\na\n`, 'each value reaches the command verbatim, as one word');
});

t.test('an IPv6 peer reaches the commands as a bare address, as iptables and sockets want it', async (t) => {
  const dir = scratch(t);
  const seen = join(dir, 'seen');
  const l = await links(dir, [
    node('a', { partition: `printf '%s %s' {peer_host} "$PHANTOM_PEER_HOST" > ${seen}`, heal: 'true' }),
    node('b', undefined, 'https://[fd00::7]:8443'),
  ]);
  t.teardown(() => l.close());
  t.equal(l.dialable({ from: 'a', to: 'b' }).host, 'fd00::7');
  await l.cut([{ from: 'a', to: 'b' }], 'drop');
  t.equal(readFileSync(seen, 'utf8'), 'fd00::7 fd00::7', 'no brackets in {peer_host} or PHANTOM_PEER_HOST');
});

t.test('an https peer without a port is dialed on 443', async (t) => {
  const dir = scratch(t);
  const l = await links(dir, [node('a', { partition: 'true', heal: 'true' }), node('b', undefined, 'https://b.example')]);
  t.teardown(() => l.close());
  t.equal(l.dialable({ from: 'a', to: 'b' }).port, 443);
  t.equal((await links(dir, [node('a', undefined), node('b', undefined, 'http://b.example')])).dialable({ from: 'a', to: 'b' }).port, 80);
});

t.test('a partition command that fails after cutting is still healed', async (t) => {
  const dir = scratch(t);
  const rule = (peer: string) => join(dir, `rule-a-${peer}`);
  // Makes its cut, then fails (a second rule it could not add, say).
  const l = await links(dir, [node('a', { partition: `touch ${dir}/rule-{node}-{peer}; exit 1`, heal: `rm ${dir}/rule-{node}-{peer}` }), node('b', undefined)]);
  t.teardown(() => l.close());
  await t.rejects(l.cut([{ from: 'a', to: 'b' }], 'reject'), /the partition command of node a for link a->b failed/);
  t.ok(existsSync(rule('b')), 'the command cut before failing');
  t.same(l.faulted().map((s) => `${s.from}->${s.to}`), ['a->b'], 'the cut is recorded');
  await l.heal();
  t.notOk(existsSync(rule('b')), 'heal undid it');
  t.same(l.faulted(), []);
});

t.test('one failing heal does not stop the heals after it', async (t) => {
  const dir = scratch(t);
  // a's heal of a->b fails; a->c and a->d must still be healed.
  const l = await links(dir, [
    node('a', { partition: `touch ${dir}/rule-{peer}`, heal: `test {peer} != b && rm ${dir}/rule-{peer}` }),
    node('b', undefined), node('c', undefined), node('d', undefined),
  ]);
  t.teardown(() => l.close());
  const cut = ['b', 'c', 'd'].map((to) => ({ from: 'a', to }));
  await l.cut(cut, 'reject');
  await t.rejects(l.heal(), /the heal command of node a for link a->b failed/);
  t.ok(existsSync(join(dir, 'rule-b')), 'the failed heal left its cut');
  t.notOk(existsSync(join(dir, 'rule-c')), 'a->c healed after a->b failed');
  t.notOk(existsSync(join(dir, 'rule-d')), 'a->d healed too');
  t.same(l.faulted().map((s) => `${s.from}->${s.to}`), ['a->b'], 'only the failed heal stays recorded');
});

t.test('a probe that hangs ends within the witness budget as a hung link, not after command_timeout', async (t) => {
  const dir = scratch(t);
  const l = await links(dir, [node('a', { partition: 'true', heal: 'true', probe: 'sleep 60' }), node('b', undefined)], 60_000);
  t.teardown(() => l.close());
  // Before: the probe ran until command_timeout (here 60 s, past the witness's 20 s) and then threw.
  t.equal(await l.probe({ from: 'a', to: 'b' }, 300), 'hangs');
});
