// Between two scenarios sharing a cluster (cluster.reuse): drop every database the
// last one left (whatever made it: the databases section, a write that created it,
// an admin call), then check the cluster is as it started: every node running and
// healthy, membership unchanged, and every node's catalog empty (a dropped database
// also drops its data on each node as the node applies the drop). Says why the
// cluster cannot be trusted any more, or returns undefined when it is clean.

import { request } from 'undici';
import type { Driver } from '../drivers/driver.js';
import { errorMessage } from './errors.js';
import { PollTimeout, pollUntil } from '../util/poll.js';

const API = '/api/v3/configure/database';

interface Reply { status: number; json: unknown }

async function call(url: string, method: 'GET' | 'DELETE', path: string, token: string | undefined, signal: AbortSignal): Promise<Reply> {
  const res = await request(`${url}${path}`, {
    method, signal, headersTimeout: 5000, bodyTimeout: 5000,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await res.body.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.statusCode, json };
}

const databases = (r: Reply) => (Array.isArray(r.json) ? r.json.map((d) => String((d as Record<string, unknown>)['iox::database'])) : null);

export async function resetSharedCluster(driver: Driver, token: string | undefined, signal: AbortSignal, timeoutMs = 15_000): Promise<string | undefined> {
  if (driver.crashed.aborted) return errorMessage(driver.crashed.reason);
  await driver.noticeExits();
  const nodes = driver.nodes();
  const down = nodes.filter((n) => n.state !== 'running');
  if (down.length) return `node(s) not running: ${down.map((n) => `${n.id} (${n.state})`).join(', ')}`;
  const first = nodes[0]!;
  try {
    const listed = await call(first.url, 'GET', API, token, signal);
    const names = databases(listed);
    if (listed.status !== 200 || !names) return `GET ${API} on ${first.id} answered ${listed.status}`;
    for (const db of names) {
      const r = await call(first.url, 'DELETE', `${API}?db=${encodeURIComponent(db)}`, token, signal);
      // 404: gone already (dropped by the scenario itself meanwhile).
      if (r.status !== 200 && r.status !== 404) return `dropping database ${db} on ${first.id} answered ${r.status}: ${JSON.stringify(r.json).slice(0, 200)}`;
    }
    const ids = nodes.map((n) => n.id).sort().join(',');
    const members = await call(first.url, 'GET', '/api/v3/cluster/nodes', token, signal);
    const listedMembers = ((members.json as { nodes?: Array<{ id: string; status: string }> })?.nodes ?? []);
    const seen = listedMembers.map((m) => `${m.id}`).sort().join(',');
    if (seen !== ids || listedMembers.some((m) => m.status !== 'Active')) {
      return `membership changed: the catalog lists ${listedMembers.map((m) => `${m.id} (${m.status})`).join(', ') || 'no node'}, the cluster started with ${ids}`;
    }
    // Every node must have applied the drops before the next scenario creates the same names.
    const deadline = performance.now() + timeoutMs;
    for (const n of nodes) {
      const clean = async () => {
        const r = await call(n.url, 'GET', API, token, signal);
        return r.status === 200 && databases(r)?.length === 0;
      };
      await pollUntil(clean, { timeoutMs: Math.max(1, deadline - performance.now()), intervalMs: 20, signal, describe: `node ${n.id} to drop every database` });
    }
  } catch (e) {
    if (e instanceof PollTimeout) return `a node still lists databases ${timeoutMs / 1000} s after they were dropped`;
    return `could not reset it: ${errorMessage(e)}`;
  }
  return undefined;
}
