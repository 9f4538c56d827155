// Shared steps of the migration tests: one table with one shard on chosen owners, rows with
// known identities, a bounded writer that records what the cluster acknowledged, and waits on
// a migration's state.
import type { TestCluster } from './cluster.js';
import { waitFor } from './cluster.js';
import { createTable, defineShards } from './layout.js';

export const DB = 'mig';
export const T0 = 1_704_067_200_000_000_000n; // 2024-01-01T00:00:00Z

/** Table m with one shard over 2024-01-01 .. 2024-01-02, owned by `owners`; returns its id. */
export async function oneShard(c: TestCluster, owners: string[], via = 'a', db = DB): Promise<number> {
  await createTable(c, via, { db, table: 'm', tags: ['w'], fields: [{ name: 'n', type: 'int64' }], shard_keys: ['w'] });
  const [s] = await defineShards(c, via, db, 'm', [{ time_range: ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'], node_ids: owners }]);
  return s!.id;
}

export function line(writer: string, i: number): string {
  return `m,w=${writer} n=${i}i ${T0 + BigInt(i) * 1000n}`;
}

/** Writes rows [from, to) of `writer` in batches of `batch` through `via`; throws unless all are acknowledged. */
export async function seed(c: TestCluster, via: string, writer: string, from: number, to: number, batch = 5000, db = DB): Promise<void> {
  for (let i = from; i < to; i += batch) {
    const lines = [];
    for (let j = i; j < Math.min(to, i + batch); j++) lines.push(line(writer, j));
    const r = await c.write(via, db, lines);
    if (r.status !== 204) throw new Error(`seed write answered ${r.status}: ${r.text}`);
  }
}

/**
 * Writes batches of `batch` rows of writer `writer` through the nodes in `via` (round robin)
 * until `stop()` says so or `maxBatches` were sent; returns the row numbers acknowledged (204)
 * and the count of refused batches.
 */
export async function writeWhile(c: TestCluster, via: string[], writer: string, stop: () => boolean, batch = 20, maxBatches = 2000, db = DB): Promise<{ acked: number[]; refused: number }> {
  const acked: number[] = [];
  let refused = 0;
  for (let k = 0; k < maxBatches && !stop(); k++) {
    const lines = [];
    for (let j = 0; j < batch; j++) lines.push(line(writer, k * batch + j));
    const r = await c.write(via[k % via.length]!, db, lines).catch(() => ({ status: 0, text: '' }));
    if (r.status === 204) for (let j = 0; j < batch; j++) acked.push(k * batch + j);
    else refused++;
  }
  return { acked, refused };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migration(c: TestCluster, via: string, id: string): Promise<any> {
  const r = await c.json(via, 'GET', `/api/v3/cluster/migrations/${id}`);
  if (r.status !== 200) throw new Error(`migration ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function waitForState(c: TestCluster, via: string, id: string, states: string[], timeoutMs = 60_000): Promise<string> {
  let last = '';
  await waitFor(async () => {
    last = (await migration(c, via, id)).state;
    return states.includes(last);
  }, timeoutMs, () => `migration ${id} to reach ${states.join(' or ')} (last seen: ${last})`);
  return last;
}

/** Row numbers of `writer` a query through `via` returns. */
export async function readable(c: TestCluster, via: string, writer: string, db = DB): Promise<Set<number>> {
  const r = await c.query(via, db, `SELECT n FROM m WHERE w = '${writer}'`);
  if (r.status !== 200) throw new Error(`query via ${via} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return new Set((r.body as Array<{ n: number }>).map((x) => x.n));
}

export function missing(acked: number[], have: Set<number>): number[] {
  return acked.filter((n) => !have.has(n));
}
