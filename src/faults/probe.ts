// How a witness looks at a node from outside: one GET /health on a fresh connection
// (never a pooled one, whose state says nothing about the node now), classified as
// answered, refused (nothing listens: the process is gone) or hung (the connection
// opens or the request goes out but no answer comes: a frozen process).

import { request } from 'node:http';

export type Probe = { kind: 'answered'; status: number } | { kind: 'refused' } | { kind: 'hung' } | { kind: 'broken'; message: string };

export function probeHealth(url: string, timeoutMs: number): Promise<Probe> {
  return new Promise((resolve) => {
    const req = request(`${url}/health`, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ kind: 'answered', status: res.statusCode ?? 0 }));
      res.on('error', (e) => resolve({ kind: 'broken', message: e.message }));
    });
    req.on('timeout', () => { req.destroy(); resolve({ kind: 'hung' }); });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'broken', message: e.code ?? e.message }));
    req.end();
  });
}

export function showProbe(p: Probe): string {
  return p.kind === 'answered' ? `answered ${p.status}` : p.kind === 'broken' ? `failed (${p.message})` : p.kind;
}
