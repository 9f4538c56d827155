// stale-reads: a read that misses a point whose write was acknowledged before the read
// began. Judged only where the cluster promises it (docs/protocol.md): a query reads one
// replica per shard, so only a write every replica acknowledged (consistency `all`, or
// quorum/one where that is every replica, e.g. replication_factor 1) must be visible to
// every later complete read; local reads promise nothing. Writes whose tables the
// scenario does not declare are not judged: their replication is unknown.

import { MAX_FAILURES, secs, type CheckResult, type Checker, type Operation } from './checker.js';

/** Copies a write needs before it is acknowledged (docs/protocol.md, "Write consistency"). */
export function requiredAcks(level: string, replicas: number): number {
  return level === 'one' ? 1 : level === 'all' ? replicas : Math.floor(replicas / 2) + 1;
}

interface Promised { write: number; node: string | null; ackMs: number; level: string; seen: number }

interface TableState {
  /** Promised points in acknowledgement order (completions arrive in time order). */
  order: Array<{ id: number; p: Promised }>;
}

export const staleReads: Checker = {
  name: 'stale-reads',
  description: 'no complete read misses a point acknowledged by every replica before the read began',
  start(ids) {
    /** By identity id. */
    const promised: Array<Promised | undefined> = [];
    let promisedCount = 0;
    const tables = new Map<string, TableState>();
    const failures: string[] = [];
    let failureCount = 0;
    let judged = 0, stale = 0, unpromisedWrites = 0, reads = 0;

    const write = (o: Operation) => {
      if (o.type !== 'ok') return;
      const sent = ids.sent(o);
      const declared = (o.value.tables ?? {}) as Record<string, { replication_factor?: number; consistency?: string }>;
      const override = typeof o.value.consistency === 'string' ? o.value.consistency : undefined;
      let unpromised = false;
      for (const p of sent.points) {
        const t = declared[p.table];
        const level = override ?? t?.consistency;
        if (!t || !level || requiredAcks(level, t.replication_factor ?? 1) < (t.replication_factor ?? 1)) { unpromised = true; continue; }
        if (promised[p.id]) continue;
        const entry = { write: o.index, node: o.node, ackMs: o.completeMs, level, seen: -1 };
        promised[p.id] = entry;
        promisedCount++;
        const tk = `${sent.db}.${p.table}`;
        let ts = tables.get(tk);
        if (!ts) tables.set(tk, ts = { order: [] });
        ts.order.push({ id: p.id, p: entry });
      }
      if (unpromised) unpromisedWrites++;
    };

    const read = (o: Operation) => {
      const r = ids.read(o);
      if (!r || !r.complete) return;
      const ts = tables.get(`${r.db}.${r.table}`);
      if (!ts) return;
      const seq = reads++;
      // Points acknowledged before the read began: a prefix of the acknowledgement order.
      let lo = 0, hi = ts.order.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (ts.order[mid]!.p.ackMs < o.invokeMs) lo = mid + 1; else hi = mid; }
      const due = lo;
      if (due === 0) return;
      judged++;
      let found = 0;
      for (let i = 0; i < r.ids.length; i++) {
        const p = r.ids[i]! < 0 ? undefined : promised[r.ids[i]!];
        if (p && p.seen !== seq && p.ackMs < o.invokeMs) { p.seen = seq; found++; }
      }
      if (found >= due) return;
      stale++;
      for (let i = 0; i < due; i++) {
        const { id, p } = ts.order[i]!;
        if (p.seen === seq) continue;
        failureCount++;
        if (failures.length < MAX_FAILURES) {
          failures.push(`read #${o.index} via node ${o.node} begun at ${secs(o.invokeMs)} misses point ${ids.describe(id)} of write #${p.write} (consistency ${p.level}), acknowledged by node ${p.node} at ${secs(p.ackMs)}`);
        }
      }
    };

    return {
      op(o) {
        if (o.f === 'write') write(o);
        else if (o.f === 'query') read(o);
      },
      end(): CheckResult {
        const valid = stale > 0 ? false : judged === 0 ? 'unknown' : true;
        const summary = judged === 0
          ? `no complete read came after a write whose consistency promises visibility${unpromisedWrites ? ` (${unpromisedWrites} acknowledged write(s) to undeclared tables or below every-replica consistency are not judged)` : ''}`
          : `${judged} read(s) judged, ${stale} stale`;
        return { checker: 'stale-reads', valid, summary, failures, failure_count: failureCount, judged_reads: judged, stale_reads: stale, promised_points: promisedCount, unjudged_writes: unpromisedWrites };
      },
    };
  },
};
