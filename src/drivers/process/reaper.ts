// The process driver's reaper: its run records (registry.ts) say which nodes and
// temp dirs each run started; a run whose runner is gone is reaped by the next run
// or `clean`, and `cluster` lists and stops what `cluster up` left running.

import type { LiveCluster, ReapResult, Reaper } from '../driver.js';
import { isOurChild, orphanedRecords, readRecords, reapRecord } from './registry.js';

export const processReaper: Reaper = {
  async reapOrphans(opts = {}): Promise<ReapResult[]> {
    return Promise.all(orphanedRecords(opts).map((r) => reapRecord(r)));
  },
  liveClusters(opts = {}): LiveCluster[] {
    return readRecords()
      .filter((r) => r.kind === 'cluster' || (opts.kept && r.kind === 'kept'))
      .map((r) => ({
        id: r.run_id, kind: r.kind as LiveCluster['kind'], created: r.created,
        nodes: r.children.map((c) => ({ id: c.id, url: c.url, ...(c.pid !== undefined ? { pid: c.pid } : {}), log: c.log, running: isOurChild(c) })),
      }));
  },
  async stopClusters(): Promise<ReapResult[]> {
    const out: ReapResult[] = [];
    for (const rec of readRecords().filter((r) => r.kind === 'cluster')) out.push(await reapRecord(rec, { graceful: true }));
    return out;
  },
};
