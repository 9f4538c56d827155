// `matrix:` — one scenario file, run once per combination of configuration values
// (seed 002 section 9). Expanded at load time into separate scenarios, so --jobs,
// --shard and every reporter treat each combination as its own test case.
//
// What each key does to the scenario:
//   nodes                the cluster is that many nodes a, b, c, ... (cluster.nodes must not be listed)
//   replication_factor   set on every table declared under `databases`
//   num_hash_partitions  set on every table declared under `databases`
// A combination whose replication_factor is above its node count cannot place its shards:
// it stays in the run as a skipped test case saying so (a cross product such as nodes [3, 5]
// x replication_factor [1, 3, 5] is the natural way to write a matrix). If every combination
// is like that, the matrix is an error.

import type { JsonPath } from './positions.js';
import { MATRIX_KEYS, topologyNodes, type MatrixSpec, type ScenarioDoc } from './types.js';

/** Each combination starts a cluster: more is a mistake in the matrix, not a plan. */
export const MAX_COMBINATIONS = 64;
export const MAX_MATRIX_NODES = 26;

type Report = (path: JsonPath, message: string, key?: boolean) => void;

export interface Combination {
  values: Record<string, number>;
  /** ` [nodes=3, replication_factor=2]`, appended to the scenario's name. */
  label: string;
  doc: ScenarioDoc;
  /** Why it cannot run. */
  skip?: string;
}

/** What the matrix cannot do to this scenario at all (the schema has checked its shape). */
export function lintMatrix(doc: ScenarioDoc, report: Report): void {
  const m = doc.matrix;
  if (!m) return;
  if (m.nodes) {
    if (doc.cluster?.nodes) report(['cluster', 'nodes'], 'matrix.nodes sets the node list (a, b, c, ...): remove cluster.nodes, or the nodes key of the matrix', true);
    m.nodes.forEach((n, i) => { if (n > MAX_MATRIX_NODES) report(['matrix', 'nodes', i], `at most ${MAX_MATRIX_NODES} nodes (ids a to z), got ${n}`); });
  }
  const tables = Object.entries(doc.databases ?? {}).flatMap(([db, d]) => Object.entries(d.tables ?? {}).map(([name, t]) => ({ db, name, t })));
  for (const key of ['replication_factor', 'num_hash_partitions'] as const) {
    if (!m[key]) continue;
    if (tables.length === 0) report(['matrix', key], `matrix.${key} sets it on the tables under databases, and this scenario declares none`, true);
    for (const { db, name, t } of tables) {
      if (t.shards) report(['databases', db, 'tables', name, 'shards'], `table ${db}.${name} places its shards by hand, so matrix.${key} cannot change its ${key}: remove one of them`, true);
    }
  }
  const count = MATRIX_KEYS.reduce((n, k) => n * (m[k]?.length ?? 1), 1);
  if (count > MAX_COMBINATIONS) report(['matrix'], `${count} combinations: at most ${MAX_COMBINATIONS} (each starts a cluster)`, true);
}

/** Every combination, in the order the values are listed (the first key varies slowest). */
export function combinations(m: MatrixSpec): Array<Record<string, number>> {
  let out: Array<Record<string, number>> = [{}];
  for (const key of MATRIX_KEYS) {
    const values = m[key];
    if (values) out = out.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return out;
}

/** The scenario as one combination runs it: name, nodes and tables rewritten, no matrix. */
export function expandMatrix(doc: ScenarioDoc): Combination[] {
  if (!doc.matrix) return [];
  return combinations(doc.matrix).map((values) => {
    const label = ` [${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(', ')}]`;
    const d = structuredClone(doc);
    delete d.matrix;
    d.name = doc.name + label;
    if (values.nodes !== undefined) {
      d.cluster = { ...d.cluster, nodes: Array.from({ length: values.nodes }, (_, i) => String.fromCharCode(97 + i)) };
    }
    for (const db of Object.values(d.databases ?? {})) {
      for (const t of Object.values(db.tables ?? {})) {
        if (values.replication_factor !== undefined) t.replication_factor = values.replication_factor;
        if (values.num_hash_partitions !== undefined) t.num_hash_partitions = values.num_hash_partitions;
      }
    }
    const nodes = topologyNodes(d.cluster).length;
    const rf = values.replication_factor;
    const skip = rf !== undefined && rf > nodes ? `replication_factor ${rf} needs at least ${rf} nodes and this combination has ${nodes}` : undefined;
    return { values, label, doc: d, ...(skip ? { skip } : {}) };
  });
}
