// write: line protocol to one node (inline lines, a file, named or inline points,
// or generated points), expecting 204 or a given status and partial-write errors.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { WriteSpec } from '../../scenario/types.js';
import type { ScenarioContext } from '../context.js';
import type { HttpResult } from '../client.js';
import { parseLineProtocol } from '../line-protocol.js';
import { durationNs } from '../../scenario/duration.js';
import { VerificationError } from '../errors.js';
import { generatePoints, pointToLine } from '../points.js';
import type { StepImpl } from './step.js';
import { expectUnreachable } from './unreachable.js';

export const write: StepImpl<WriteSpec> = {
  verifies: (s) => s.expect !== undefined,
  label(s) {
    const what = s.points ? `${s.points.map((p) => (typeof p === 'string' ? p : 'point')).join(', ')}` : s.generate ? `${s.generate.count} generated points` : s.file ? s.file : 'lines';
    return `write ${what}${s.via ? ` via ${s.via}` : ''}`;
  },
  async run(s, { ctx, path, signal, node: pick }) {
    const node = pick(s.via);
    const db = ctx.db(s.db);
    let body: string;
    let precision = s.precision;
    if (s.lines !== undefined) body = Array.isArray(s.lines) ? s.lines.join('\n') : s.lines;
    else if (s.file !== undefined) body = await readFile(resolve(ctx.scenario.dir, s.file), 'utf8');
    else if (s.points) {
      body = s.points
        .map((ref) => {
          const p = ctx.point(ref);
          return pointToLine(p, ctx.time(p.time), ctx.tables.get(`${db}.${p.table}`)?.fields);
        })
        .join('\n');
      precision ??= 'ns';
    } else {
      const g = s.generate!;
      const intervalNs = durationNs(g.interval, 1_000_000_000n, 'spacing');
      body = generatePoints(g, ctx.time(g.start), intervalNs, ctx.rng.derive(`write:${path}`)).join('\n');
      precision ??= 'ns';
    }
    const lines = body.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')).length;
    const call = () => ctx.client.call({
      node, url: ctx.url(node), method: 'POST', path: '/api/v3/write_lp', f: 'write', step: path, signal,
      query: { db, precision, accept_partial: s.accept_partial, no_sync: s.no_sync, consistency: s.consistency },
      body, value: writeValue(ctx, db, body, lines, precision, s.consistency),
      record: (r) => partialWrite(r, s.accept_partial),
    });
    if (s.expect?.unreachable !== undefined) {
      return { node, db, lines, unreachable: await expectUnreachable(`write via ${node}`, s.expect.unreachable, call, signal) };
    }
    const res = await call();
    const e = s.expect ?? {};
    const wantStatus = e.status ?? (e.errors || e.error ? 400 : 204);
    if (res.status !== wantStatus) {
      throw new VerificationError(`write via ${node}: expected status ${wantStatus}, got ${res.status}`, { expected: wantStatus, actual: { status: res.status, body: res.json ?? res.text } });
    }
    if (e.error && !res.text.includes(e.error)) {
      throw new VerificationError(`write via ${node}: the error does not mention "${e.error}"`, { expected: e.error, actual: res.text });
    }
    if (e.errors) {
      const data = ((res.json as { data?: unknown })?.data ?? []) as Array<{ line_number?: number; error_message?: string }>;
      const list = Array.isArray(data) ? data : [data];
      const got = list.map((d) => `line ${d.line_number}: ${d.error_message}`);
      const ok = list.length === e.errors.length && e.errors.every((x, i) => list[i]?.line_number === x.line && (!x.message || String(list[i]?.error_message ?? '').includes(x.message)));
      if (!ok) {
        throw new VerificationError(`write via ${node}: rejected lines differ`, {
          expected: e.errors, actual: list,
          diff: ['--- expected', ...e.errors.map((x) => `- line ${x.line}${x.message ? `: ...${x.message}...` : ''}`), '+++ actual', ...got.map((g) => `+ ${g}`)].join('\n'),
        });
      }
    }
    return { node, db, status: res.status, lines, body: res.json ?? (res.text || undefined) };
  },
};

/**
 * The write as the history records it (docs/history.md): every point it sent, and what
 * the scenario declares about its tables' replication, for the stale-reads checker.
 */
export function writeValue(ctx: ScenarioContext, db: string, body: string, lines: number, precision: string | undefined, consistency: string | undefined) {
  const { points, unparsed } = parseLineProtocol(body, precision ?? 'auto');
  const tables: Record<string, { replication_factor: number; consistency: string }> = {};
  for (const p of points) {
    const t = ctx.tables.get(`${db}.${p.table}`);
    if (t && !tables[p.table]) tables[p.table] = { replication_factor: t.replication_factor ?? 1, consistency: t.consistency ?? 'quorum' };
  }
  return {
    db, lines, body: body.length <= 2000 ? body : `${body.slice(0, 2000)}...`,
    ...(consistency ? { consistency } : {}), ...(Object.keys(tables).length ? { tables } : {}),
    points, ...(unparsed.length ? { unparsed } : {}),
  };
}

/** A partial write stored its good lines: ok for the history, with the lines it rejected. */
export function partialWrite(r: HttpResult, acceptPartial: boolean | undefined) {
  const j = r.json as { error?: string; data?: unknown } | undefined;
  if (r.status !== 400 || acceptPartial === false || !j || !/partial write/.test(String(j.error))) return undefined;
  const data = Array.isArray(j.data) ? j.data : [j.data];
  return { type: 'ok' as const, value: { rejected_lines: data.map((d) => Number((d as { line_number?: unknown })?.line_number)).filter(Number.isInteger) } };
}
