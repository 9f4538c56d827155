// The external driver's teardown against a cluster the test runs itself: a node the scenario
// cut off and then killed is started again before its cuts are healed (a heal runs on the
// source's side, as `docker run --network container:...` does).
import t from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, sandbox } from './helpers.js';
import { healthOk } from '../src/drivers/health.js';
import { clusterFile, startCluster } from './helpers/external-cluster.js';

t.test('a node cut off and then killed: teardown starts it before healing its cuts', async (t) => {
  const sb = sandbox(t);
  const c = await startCluster(t);
  const file = clusterFile(c);
  // A "cut" is a file; its heal runs on the source's side, so (like docker run --network
  // container:...) it fails while the source node is down. The probe reads the file.
  const cutFile = `${c.dir}/cut-{node}-{peer}`;
  const up = `'${process.execPath}' -e "fetch(process.env.PHANTOM_NODE_URL + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"`;
  const network = { partition: `touch ${cutFile}`, heal: `${up} && rm ${cutFile}`, probe: `test ! -e ${cutFile}` };
  writeFileSync(file, `${readFileSync(file, 'utf8')}network:\n${Object.entries(network).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`).join('')}`);
  const scenario = join(c.dir, 'isolate-then-kill.yaml');
  writeFileSync(scenario, 'name: c cut off, then killed\ncluster: { nodes: [a, b, c] }\nsteps:\n  - fault: { partition: { isolate: c } }\n  - fault: { kill: c }\n');
  const r = await cli(['run', scenario, '--driver', 'external', '--cluster-file', file, '--out', sb.out], { env: sb.env, timeoutMs: 120_000 });
  t.equal(r.exitCode, 0, `passes, nothing left for teardown to report\n${r.stdout}\n${r.stderr}`);
  t.notMatch(r.stdout + r.stderr, /could not heal/);
  t.ok(await healthOk(c.urls.c!), 'c was started again');
  t.same(readdirSync(c.dir).filter((f) => f.startsWith('cut-')), [], 'every cut healed, c\'s own after it was back');
});
