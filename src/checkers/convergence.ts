// convergence: after the last write and the last fault, every replica of a shard holds
// the same data: the latest checksum each replica reported (a `consistency` step with
// `shards`, recorded as `checksum` operations) agrees per shard. Waiting for that within
// a timeout is the scenario's job (an `await: {consistency: ...}` step); this checker
// judges what the history holds.

import { MAX_FAILURES, type CheckResult, type Checker, type Operation } from './checker.js';

/** Operations that do not change the cluster's data or shape. */
const PASSIVE = new Set(['query', 'checksum', 'catalog', 'route', 'health']);

export const convergence: Checker = {
  name: 'convergence',
  description: 'after the last write and fault, every replica of each checked shard reports the same checksum',
  start() {
    /** shard -> node -> latest checksum reading since the last disturbance. */
    let latest = new Map<string, Map<string, { index: number; row_count: unknown; checksum: unknown }>>();
    let readings = 0;
    let stirred = 0;
    const disturb = (o: Operation) => {
      if (PASSIVE.has(o.f) || (o.f === 'admin' && o.value.method === 'GET') || o.type === 'fail') return;
      if (latest.size) latest = new Map();
      stirred++;
    };
    return {
      op(o) {
        if (o.f !== 'checksum') { disturb(o); return; }
        if (o.type !== 'ok' || o.result.checksum === undefined || o.node === null) return;
        readings++;
        const shard = String(o.value.name ?? o.value.shard ?? '?');
        let m = latest.get(shard);
        if (!m) latest.set(shard, m = new Map());
        m.set(o.node, { index: o.index, row_count: o.result.row_count, checksum: o.result.checksum });
      },
      end(): CheckResult {
        const failures: string[] = [];
        let diverged = 0;
        for (const [shard, byNode] of latest) {
          const distinct = new Set([...byNode.values()].map((r) => `${String(r.row_count)}/${String(r.checksum)}`));
          if (distinct.size <= 1) continue;
          diverged++;
          if (failures.length < MAX_FAILURES) {
            failures.push(`replicas of shard ${shard} differ after the last change: ${[...byNode].map(([n, r]) => `node ${n} (checksum #${r.index}) has ${String(r.row_count)} rows, checksum ${String(r.checksum)}`).join('; ')}`);
          }
        }
        const valid = diverged > 0 ? false : latest.size === 0 ? 'unknown' : true;
        const summary = latest.size === 0
          ? `no shard checksum after the last write or fault (${readings} reading(s) before it): add a consistency step with shards at the end`
          : `${latest.size} shard(s) compared after the last change: ${diverged} diverged`;
        return { checker: 'convergence', valid, summary, failures, failure_count: diverged, shards: latest.size, diverged, readings, changes: stirred };
      },
    };
  },
};
