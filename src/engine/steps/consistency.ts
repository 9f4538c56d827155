// consistency: the same query answered by several nodes must agree (seed 003's
// verify_data_consistency), and/or every replica of a shard must have the same
// checksum.

import type { ConsistencySpec } from '../../scenario/types.js';
import { VerificationError } from '../errors.js';
import type { ScenarioContext } from '../context.js';
import { lineDiff } from '../../verifiers/diff.js';
import { checkRows, sameRows, type Row } from '../../verifiers/rows.js';
import { showRow } from '../../verifiers/values.js';
import { rowChecks, runQuery } from './query.js';
import type { PickNode, StepImpl } from './step.js';

const sortKey = (r: Row) => showRow(r);

export async function checkConsistency(ctx: ScenarioContext, s: ConsistencySpec, path: string, signal: AbortSignal, pick: PickNode) {
  const nodes = s.nodes === undefined || s.nodes === 'all'
    ? ctx.driver.nodes().filter((n) => n.state === 'running').map((n) => n.id)
    : s.nodes.map((n) => pick(n));
  if (nodes.length === 0) throw new VerificationError('consistency: no running node to compare');
  const out: { nodes: string[]; rows?: Record<string, number>; checksums?: Record<string, unknown> } = { nodes };

  if (s.sql) {
    const q = { sql: s.sql, db: s.db, local: s.local ?? true };
    const results = await Promise.all(nodes.map((n) => runQuery(ctx, q, n, path, signal)));
    const ordered = s.ordered ?? false;
    const base = results[0]!;
    for (const r of results.slice(1)) {
      if (!sameRows(base.rows, r.rows, ordered)) {
        const [a, b] = ordered ? [base.rows, r.rows] : [[...base.rows].sort((x, y) => sortKey(x).localeCompare(sortKey(y))), [...r.rows].sort((x, y) => sortKey(x).localeCompare(sortKey(y)))];
        throw new VerificationError(
          `nodes disagree on "${s.sql}"${q.local ? ' (local data)' : ''}: ${base.node} has ${base.count} row(s), ${r.node} has ${r.count}`,
          { expected: { node: base.node, rows: base.rows }, actual: { node: r.node, rows: r.rows }, diff: lineDiff(a.map(showRow), b.map(showRow)).replace('--- expected', `--- ${base.node}`).replace('+++ actual', `+++ ${r.node}`) },
        );
      }
    }
    out.rows = Object.fromEntries(results.map((r) => [r.node, r.count]));
    if (s.expect) {
      try { checkRows(base.rows, await rowChecks(ctx, s.expect)); } catch (e) {
        if (e instanceof VerificationError) e.message = `all ${nodes.length} nodes agree, but: ${e.message}`;
        throw e;
      }
    }
  }

  if (s.shards) {
    out.checksums = {};
    for (const name of s.shards) {
      const created = ctx.shards.get(name);
      if (!created) throw new VerificationError(`consistency: shard "${name}" was not created`);
      // Owners may have changed since setup (a rebalance): ask for the current ones.
      const via = nodes[0]!;
      const cur = await ctx.client.call({ node: via, url: ctx.url(via), method: 'GET', path: `/api/v3/cluster/shards/${String(created.id)}`, f: 'catalog', step: path, signal });
      const owners = ((cur.status === 200 ? (cur.json as { node_ids?: string[] })?.node_ids : undefined) ?? (created.node_ids as string[])).filter((o) => nodes.includes(o));
      if (owners.length === 0) throw new VerificationError(`consistency: none of shard ${name}'s owners is among the compared nodes (${nodes.join(', ')})`);
      const sums = await Promise.all(owners.map(async (o) => {
        const r = await ctx.client.call({
          node: o, url: ctx.url(o), method: 'GET', path: `/api/v3/cluster/shards/${String(created.id)}/checksum`, query: { local: 'true' }, f: 'checksum', step: path, signal,
          value: { method: 'GET', path: `/api/v3/cluster/shards/${String(created.id)}/checksum`, shard: created.id, name },
          // The convergence checker compares these per shard (docs/history.md).
          record: (x) => (x.status === 200 ? { value: { row_count: (x.json as { row_count?: unknown })?.row_count, checksum: (x.json as { checksum?: unknown })?.checksum } } : undefined),
        });
        if (r.status !== 200) throw new VerificationError(`checksum of shard ${name} on ${o}: status ${r.status}: ${r.text.slice(0, 300)}`);
        const j = r.json as { row_count: number; checksum: string };
        return { node: o, row_count: j.row_count, checksum: j.checksum };
      }));
      (out.checksums as Record<string, unknown>)[name] = sums;
      const distinct = new Set(sums.map((x) => `${x.row_count}/${x.checksum}`));
      if (distinct.size > 1) {
        throw new VerificationError(`replicas of shard ${name} differ`, {
          actual: sums, diff: sums.map((x) => `  ${x.node}: ${x.row_count} rows, checksum ${x.checksum}`).join('\n'),
        });
      }
    }
  }
  return out;
}

export const consistency: StepImpl<ConsistencySpec> = {
  verifies: true,
  label: (s) => `consistency of ${s.sql ? `"${s.sql.length > 50 ? `${s.sql.slice(0, 47)}...` : s.sql}"` : ''}${s.sql && s.shards ? ' and ' : ''}${s.shards ? `shards ${s.shards.join(', ')}` : ''} across ${s.nodes === undefined || s.nodes === 'all' ? 'all nodes' : s.nodes.join(', ')}`,
  run: (s, { ctx, path, signal, node }) => checkConsistency(ctx, s, path, signal, node),
};
