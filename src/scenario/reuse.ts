// `cluster: {reuse: true}`: scenarios of one run that may share a cluster. Two reusing
// scenarios are compatible when every part of the cluster section that shapes the
// running nodes is the same (node ids and their args/env, token, log format, args,
// env): that is the key. ready_timeout only says how long to wait, so it is not part
// of it. A shared cluster must come back as it was, so steps that change the cluster
// itself (faults, add_node, nodes declared for later) are refused by validate.

import { topologyNodes, type ClusterSpec, type Step } from './types.js';
import type { JsonPath } from './positions.js';

/** What decides whether two reusing scenarios can share a cluster; undefined without reuse. */
export function reuseKey(cluster: ClusterSpec | undefined): string | undefined {
  if (!cluster?.reuse) return undefined;
  const sorted = (m: Record<string, string> | undefined) => Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({
    nodes: topologyNodes(cluster).map((n) => ({ id: n.id, args: n.args ?? [], env: sorted(n.env) })),
    token: cluster.token ?? null,
    log_format: cluster.log_format ?? 'json',
    args: cluster.args ?? [],
    env: sorted(cluster.env),
  });
}

const WHY = 'leaves the shared cluster in a state the next scenario cannot trust; remove cluster.reuse to give this scenario a cluster of its own';

/** Positioned problems of a reusing scenario: steps and nodes that change the cluster itself. */
export function lintReuse(cluster: ClusterSpec | undefined, steps: Step[], report: (path: JsonPath, message: string, key?: boolean) => void): void {
  if (!cluster?.reuse) return;
  topologyNodes(cluster).forEach((n, i) => {
    if (n.start === false) report(['cluster', 'nodes', i, 'start'], `node "${n.id}" starts later (start: false): with cluster.reuse the topology must be up from the start (an added node ${WHY})`);
  });
  const visit = (list: Step[], base: JsonPath, single = false) => {
    list.forEach((step, i) => {
      if (!step || typeof step !== 'object') return;
      const path = single ? base : [...base, i];
      if (step.fault !== undefined) report([...path, 'fault'], `a fault in a scenario with cluster.reuse ${WHY}`, true);
      if (step.nemesis !== undefined) report([...path, 'nemesis'], `a nemesis in a scenario with cluster.reuse ${WHY}`, true);
      if (step.add_node !== undefined) report([...path, 'add_node'], `add_node in a scenario with cluster.reuse ${WHY}`, true);
      if (Array.isArray(step.parallel)) step.parallel.forEach((b, j) => (Array.isArray(b) ? visit(b, [...path, 'parallel', j]) : visit([b], [...path, 'parallel', j], true)));
    });
  };
  visit(steps ?? [], ['steps']);
}
