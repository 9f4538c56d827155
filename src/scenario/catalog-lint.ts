// Lint for expect_catalog's Raft, migration and shard-condition parts and for await's
// `migration:` condition: the nodes they name must be declared (or registered by the
// scenario), a migration is named by exactly one of id and shard_id. (Empty conditions and
// migration entries are the schema's to refuse.)

import type { AwaitMigrationSpec, MigrationExpect, RaftExpect, ShardMatcher, ShardQuantifiers } from './types.js';
import type { JsonPath } from './positions.js';
import type { Report } from './lint.js';
import { hasTemplate } from './template.js';

interface Ctx {
  report: Report;
  checkNode(path: JsonPath, ref: unknown, opts?: { random?: boolean; registered?: boolean }): void;
}

const known = { random: false, registered: true };

function matcher(m: ShardMatcher, path: JsonPath, c: Ctx) {
  for (const key of ['node_ids_include', 'node_ids_exclude'] as const) (m[key] ?? []).forEach((n, i) => c.checkNode([...path, key, i], n, known));
  if (Array.isArray(m.node_ids)) (m.node_ids as unknown[]).forEach((n, i) => c.checkNode([...path, 'node_ids', i], n, known));
}

export const lintCatalogExtras = {
  shards(q: ShardQuantifiers, path: JsonPath, c: Ctx) {
    for (const k of ['some', 'every', 'none'] as const) if (q[k]) matcher(q[k], [...path, k], c);
  },
  raft(r: RaftExpect, path: JsonPath, c: Ctx) {
    if (r.leader !== undefined && r.leader !== 'any' && r.leader !== 'none') c.checkNode([...path, 'leader'], r.leader, known);
    for (const k of ['term_at_least', 'term_above'] as const) {
      const v = r[k];
      if (typeof v === 'string' && !hasTemplate(v)) c.report([...path, k], `${k} is an integer, or a \${template} giving one (like "\${steps.before.raft.term}"), not "${v}"`);
    }
    (r.voters ?? []).forEach((n, i) => c.checkNode([...path, 'voters', i], n, known));
    (r.members ?? []).forEach((m, i) => {
      if (m.id === undefined) c.report([...path, 'members', i], 'a member is matched by its "id"');
      else c.checkNode([...path, 'members', i, 'id'], m.id, known);
    });
  },
  migration(m: MigrationExpect, path: JsonPath, c: Ctx) {
    for (const k of ['source', 'target'] as const) if (m[k] !== undefined) c.checkNode([...path, k], m[k], known);
  },
  awaitMigration(m: AwaitMigrationSpec, path: JsonPath, c: Ctx) {
    c.checkNode([...path, 'via'], m.via);
    if ((m.id === undefined) === (m.shard_id === undefined)) c.report(path, 'name the migration by "id" or by "shard_id" (its latest migration), one of the two');
  },
};
