// expect_catalog: the cluster's view of its nodes, shards, Raft state and migrations,
// as one node reports it, partially matched (node_ids compare as sets).

import type { ExpectCatalogSpec } from '../../scenario/types.js';
import { VerificationError } from '../errors.js';
import type { ScenarioContext } from '../context.js';
import { partialMismatch } from '../../verifiers/partial.js';
import type { PickNode, StepImpl } from './step.js';
import { checkRaft } from './catalog-raft.js';
import { checkMigrations } from './catalog-migrations.js';
import { checkShardQuantifiers } from './catalog-shard-quantifiers.js';
import { clusterGetOk, sortNodeIds } from '../cluster-plane.js';

type Obj = Record<string, unknown>;

export async function checkCatalog(ctx: ScenarioContext, s: ExpectCatalogSpec, path: string, signal: AbortSignal, pick: PickNode) {
  const node = pick(s.via);
  const out: { node: string; nodes?: Obj[]; shards?: Obj[]; raft?: Obj; migrations?: Obj[] } = { node };
  const get = (what: string, query?: Record<string, string>) => clusterGetOk(ctx, what, { node, query, step: path, signal });
  if (s.raft) {
    out.raft = await get('raft');
    checkRaft(node, s.raft, out.raft);
  }
  if (s.migrations) {
    out.migrations = ((await get('migrations')).migrations ?? []) as Obj[];
    checkMigrations(node, s.migrations, out.migrations);
  }
  if (s.nodes || s.absent_nodes) {
    const nodes = ((await get('nodes')).nodes ?? []) as Obj[];
    out.nodes = nodes;
    for (const want of s.nodes ?? []) {
      const got = nodes.find((n) => n.id === want.id);
      if (!got) throw new VerificationError(`catalog via ${node}: node "${String(want.id)}" is not listed`, { expected: want, actual: nodes });
      const m = partialMismatch(want, got);
      if (m) throw new VerificationError(`catalog via ${node}: node "${String(want.id)}" differs at ${m.replace('$', 'node')}`, { expected: want, actual: got });
    }
    for (const id of s.absent_nodes ?? []) {
      if (nodes.some((n) => n.id === id)) throw new VerificationError(`catalog via ${node}: node "${id}" is still listed`, { actual: nodes });
    }
    if (s.exact && s.nodes && nodes.length !== s.nodes.length) {
      throw new VerificationError(`catalog via ${node}: expected exactly ${s.nodes.length} node(s), found ${nodes.length}`, { expected: s.nodes, actual: nodes });
    }
  }
  if (s.table) {
    const db = ctx.db(s.db);
    const shards = ((await get('shards', { db, table: s.table })).shards ?? []) as Obj[];
    out.shards = shards;
    if (s.shards && !Array.isArray(s.shards)) checkShardQuantifiers(`catalog via ${node}, ${db}.${s.table}`, s.shards, shards);
    for (const want of Array.isArray(s.shards) ? s.shards : []) {
      const key = want.name !== undefined ? 'name' : 'id';
      const got = shards.find((x) => x[key] === want[key]);
      if (!got) throw new VerificationError(`catalog via ${node}: no shard with ${key} ${JSON.stringify(want[key])} in ${db}.${s.table}`, { expected: want, actual: shards });
      const m = partialMismatch(sortNodeIds(want), sortNodeIds(got));
      if (m) throw new VerificationError(`catalog via ${node}: shard ${String(want[key])} differs at ${m.replace('$', 'shard')}`, { expected: want, actual: got });
    }
    if (s.shard_count !== undefined && shards.length !== s.shard_count) {
      throw new VerificationError(`catalog via ${node}: expected ${s.shard_count} shard(s) in ${db}.${s.table}, found ${shards.length}`, { expected: s.shard_count, actual: shards });
    }
    if (s.exact && Array.isArray(s.shards) && shards.length !== s.shards.length) {
      throw new VerificationError(`catalog via ${node}: expected exactly ${s.shards.length} shard(s), found ${shards.length}`, { expected: s.shards, actual: shards });
    }
  } else if (s.shards && !Array.isArray(s.shards)) {
    // Conditions without a table hold over every shard of the catalog (of `db`, when given).
    out.shards = ((await get('shards', s.db ? { db: s.db } : undefined)).shards ?? []) as Obj[];
    checkShardQuantifiers(`catalog via ${node}${s.db ? `, ${s.db}` : ''}`, s.shards, out.shards);
  }
  return out;
}

export const expectCatalog: StepImpl<ExpectCatalogSpec> = {
  verifies: true,
  label: (s) => `catalog${s.via ? ` via ${s.via}` : ''}: ${[
    s.nodes || s.absent_nodes ? 'nodes' : '', s.table ? `shards of ${s.table}` : s.shards ? 'shards' : '', s.raft ? 'raft' : '', s.migrations ? 'migrations' : '',
  ].filter(Boolean).join(' and ')}`,
  run: (s, { ctx, path, signal, node }) => checkCatalog(ctx, s, path, signal, node),
};
