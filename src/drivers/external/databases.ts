// An attached cluster may hold data of its own: the external driver notes the databases it
// lists when a scenario starts and, at teardown, drops only those that appeared since (what
// the scenario created), like cluster reuse does between scenarios (engine/cluster-reset.ts).

import { request } from 'undici';

const API = '/api/v3/configure/database';

async function call(url: string, method: 'GET' | 'DELETE', path: string, token: string | undefined): Promise<{ status: number; json: unknown }> {
  const res = await request(`${url}${path}`, {
    method, headersTimeout: 5000, bodyTimeout: 5000, headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await res.body.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.statusCode, json };
}

/** The databases the node lists; throws when it does not answer 200 with a list. */
export async function listDatabases(url: string, token: string | undefined): Promise<string[]> {
  const r = await call(url, 'GET', API, token);
  if (r.status !== 200 || !Array.isArray(r.json)) throw new Error(`GET ${API} answered ${r.status}: ${JSON.stringify(r.json).slice(0, 200)}`);
  return r.json.map((d) => String((d as Record<string, unknown>)['iox::database']));
}

/** Drops what the node lists now and `before` did not; returns the problems (empty: done). */
export async function dropCreatedDatabases(url: string, token: string | undefined, before: ReadonlySet<string>): Promise<{ dropped: string[]; problems: string[] }> {
  const dropped: string[] = [];
  const problems: string[] = [];
  for (const db of (await listDatabases(url, token)).filter((d) => !before.has(d))) {
    const r = await call(url, 'DELETE', `${API}?db=${encodeURIComponent(db)}`, token);
    // 404: gone already (dropped by the scenario itself meanwhile).
    if (r.status === 200 || r.status === 204 || r.status === 404) dropped.push(db);
    else problems.push(`dropping database ${db} answered ${r.status}: ${JSON.stringify(r.json).slice(0, 200)}`);
  }
  return { dropped, problems };
}
