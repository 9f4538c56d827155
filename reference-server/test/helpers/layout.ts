// Seed 000's layout: two time ranges, each split in two hash halves on different nodes.
import type { TestCluster } from './cluster.js';

export const T1 = '2024-01-01T00:00:00Z';
export const T2 = '2024-01-02T00:00:00Z';
export const T3 = '2024-01-03T00:00:00Z';
export const T4 = '2024-01-04T00:00:00Z';
export const HALF = 2 ** 31;
export const FULL = 2 ** 32;

/** A tag value whose shard-key hash falls in [lo, hi), found through the route endpoint. */
export async function hostInHashRange(c: TestCluster, db: string, table: string, lo: number, hi: number, prefix = 'host'): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const host = `${prefix}-${i}`;
    const r = await c.json('a', 'GET', `/api/v3/cluster/route?db=${db}&table=${table}&host=${host}`);
    if (r.body.hash >= lo && r.body.hash < hi) return host;
  }
  throw new Error('no host found');
}

export async function createTable(c: TestCluster, via: string, body: Record<string, unknown>): Promise<void> {
  const db = await c.json(via, 'POST', '/api/v3/configure/database', { db: body.db });
  if (db.status !== 200 && db.status !== 409) throw new Error(`create database: ${db.status} ${JSON.stringify(db.body)}`);
  const t = await c.json(via, 'POST', '/api/v3/configure/table', body);
  if (t.status !== 200) throw new Error(`create table: ${t.status} ${JSON.stringify(t.body)}`);
}

export async function defineShards(c: TestCluster, via: string, db: string, table: string, shards: unknown[]): Promise<Array<{ id: number; name: string; node_ids: string[] }>> {
  const r = await c.json(via, 'POST', '/api/v3/cluster/shards', { db, table, shards });
  if (r.status !== 201) throw new Error(`define shards: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.shards;
}
