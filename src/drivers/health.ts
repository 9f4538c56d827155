// Whether a node serves: GET /health answers 200. The same for every driver.

import { request } from 'undici';

export async function healthOk(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await request(`${url}/health`, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    await res.body.text();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

/** The node id a node says it is (`node_id` of GET /ping), or undefined when it does not say. */
export async function pingNodeId(url: string, timeoutMs = 1000): Promise<string | undefined> {
  try {
    const res = await request(`${url}/ping`, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const body = await res.body.text();
    const id = (JSON.parse(body) as { node_id?: unknown }).node_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
