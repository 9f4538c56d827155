// kill -9 at any moment loses no acknowledged write: writers record every 204, the node is
// SIGKILLed mid-stream, restarted on the same data dir, and every acknowledged row must be there.
import t from 'tap';
import { TestCluster, waitFor } from './helpers/cluster.js';

const c = await TestCluster.start({ ids: ['solo'] });
t.teardown(() => c.teardown());

t.test('acknowledged writes survive SIGKILL and WAL replay', async (t) => {
  const acked: number[] = [];
  let stop = false;
  const writer = async (w: number) => {
    for (let batch = 0; !stop && batch < 10_000; batch++) {
      const base = (w * 10_000 + batch) * 100;
      const lines = Array.from({ length: 100 }, (_, i) => `d,w=w${w} seq=${base + i}i ${base + i}`).join('\n');
      try {
        const r = await c.write('solo', 'dur', lines, '&precision=ns');
        if (r.status === 204) acked.push(base);
      } catch {
        return; // connection cut by the kill
      }
    }
  };
  const writers = [0, 1, 2].map(writer);
  await waitFor(() => acked.length >= 30, 30_000, () => `30 acknowledged batches (have ${acked.length})`);
  await c.kill('solo');
  stop = true;
  await Promise.all(writers);
  await c.startNode('solo');
  const res = await c.query('solo', 'dur', 'SELECT count(*) AS n FROM d');
  const stored = res.body[0].n;
  t.ok(stored >= acked.length * 100, `${stored} rows stored >= ${acked.length * 100} acknowledged`);
  for (const base of acked) {
    const r = await c.query('solo', 'dur', `SELECT count(*) AS n FROM d WHERE time >= ${base} AND time < ${base + 100}`);
    if (r.body[0].n !== 100) t.fail(`batch at ${base} lost rows: ${r.body[0].n}`);
  }
  t.pass(`${acked.length} acknowledged batches all intact`);
});
