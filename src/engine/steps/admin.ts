// admin: any call on the cluster plane (or any path), expecting a status and a
// partially matching body.

import type { AdminSpec } from '../../scenario/types.js';
import { VerificationError } from '../errors.js';
import type { ScenarioContext } from '../context.js';
import { partialMismatch } from '../../verifiers/partial.js';
import type { PickNode, StepImpl } from './step.js';

export function adminPath(p: string): string {
  return p.startsWith('/') ? p : `/api/v3/cluster/${p}`;
}

export async function runAdmin(ctx: ScenarioContext, s: AdminSpec, path: string, signal: AbortSignal, pick: PickNode) {
  const node = pick(s.via);
  const method = s.method ?? (s.body !== undefined ? 'POST' : 'GET');
  const res = await ctx.client.call({
    node, url: ctx.url(node), method, path: adminPath(s.path), f: 'admin', step: path, signal,
    query: s.query, body: s.body as object | string | undefined,
    value: { method, path: adminPath(s.path), ...(s.body !== undefined ? { body: s.body } : {}) },
  });
  const body = res.json ?? res.text;
  const e = s.expect ?? {};
  const statusOk = e.status !== undefined ? res.status === e.status : res.status >= 200 && res.status < 300;
  if (!statusOk) {
    throw new VerificationError(`${method} ${adminPath(s.path)} via ${node}: expected status ${e.status ?? '2xx'}, got ${res.status}: ${res.text.slice(0, 300)}`, { expected: e.status ?? '2xx', actual: { status: res.status, body } });
  }
  if (e.body !== undefined) {
    const m = partialMismatch(e.body, body);
    if (m) throw new VerificationError(`${method} ${adminPath(s.path)} via ${node}: body differs at ${m}`, { expected: e.body, actual: body });
  }
  if (e.contains !== undefined && !res.text.includes(e.contains)) {
    throw new VerificationError(`${method} ${adminPath(s.path)} via ${node}: body does not contain "${e.contains}"`, { expected: e.contains, actual: res.text });
  }
  return { node, status: res.status, body };
}

export const admin: StepImpl<AdminSpec> = {
  verifies: (s) => s.expect !== undefined,
  label: (s) => `${s.method ?? (s.body !== undefined ? 'POST' : 'GET')} ${adminPath(s.path)}${s.via ? ` via ${s.via}` : ''}`,
  run: (s, { ctx, path, signal, node }) => runAdmin(ctx, s, path, signal, node),
};
