// `run --keep` leaves the cluster up for a person to poke at. When the scenario used network
// faults, its nodes reached each other through proxies inside the runner, which end with it:
// the runner closes them and exits (it used to hang on their open listeners), says so (console
// and journal) instead of leaving a silently half-broken cluster,
// and `clean --all` still removes what was kept.

import t from 'tap';
import { join } from 'node:path';
import { request } from 'undici';
import { FIXTURES, cli, readJson, sandbox } from './helpers.js';

t.test('a kept cluster of a scenario with network faults: the run says its proxies closed, clean removes it', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', join(FIXTURES, 'network', 'partition-then-heal.yaml'), '--keep', '--out', sb.out, '--seed', '1'], { env: sb.env, timeoutMs: 60_000 });
  t.equal(r.exitCode, 0, `the runner exits (its proxy listeners closed): ${r.stdout}${r.stderr}`);
  t.match(r.stdout, /cluster left running \(--keep\)/);
  t.match(r.stdout, /kept cluster: its nodes reached each other through fault proxies inside this run, which close now/);
  const journal = readJson(join(sb.out, 'latest', 'journal.json'));
  const teardown = journal.scenarios[0].teardown;
  t.equal(teardown.kept, true);
  t.match(teardown.notes, [/fault proxies inside this run/]);
  const nodes: Array<{ id: string; url: string }> = journal.scenarios[0].nodes;
  for (const n of nodes) {
    // The runner reached them through its client links, also gone: the kept node answers on its own port.
    const direct = `http://127.0.0.1:${(n as unknown as { port: number }).port}/health`;
    const res = await request(direct);
    await res.body.dump();
    t.equal(res.statusCode, 200, `node ${n.id} still answers on its own URL`);
  }
  const clean = await cli(['clean', '--all'], { env: sb.env });
  t.equal(clean.exitCode, 0, clean.stderr);
  for (const n of nodes) {
    const port = (n as unknown as { port: number }).port;
    await t.rejects(request(`http://127.0.0.1:${port}/health`), `node ${n.id} is gone after clean --all`);
  }
});

t.test('a kept cluster without network faults has no such note', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', join(FIXTURES, 'good', 'minimal.yaml'), '--keep', '--out', sb.out, '--seed', '1'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  t.match(r.stdout, /cluster left running \(--keep\)/);
  t.notMatch(r.stdout, /kept cluster:/);
  t.notOk(readJson(join(sb.out, 'latest', 'journal.json')).scenarios[0].teardown.notes);
});
