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
