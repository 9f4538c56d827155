// set: Jepsen's set-full over points. A point is its identity (table, tag set, time).
// Lost: an acknowledged write's point absent from every final read. Unexpected: a read
// returned a point no write ever sent. Duplicated: one read returned a point twice.
// Recovered: an info write (outcome unknown) whose point the final reads do hold.
// Also the time from acknowledgement to visibility, p50/p99.

import { MAX_FAILURES, percentile, secs, type CheckResult, type Checker, type Operation } from './checker.js';
import { FinalsByTable, finalCount, sawInFinal, type FinalSeen, type TableFinals } from './final-reads.js';

const ATTEMPTED = 0;
const INFO = 1;
const OK = 2;

interface PointState extends FinalSeen {
  finals: TableFinals;
  status: number;
  /** The write that acknowledged it (or the first that tried). */
  write: number;
  node: string | null;
  ackMs: number;
  failedOnly: boolean;
  firstSeenMs: number;
  lastRead: number;
}

/**
 * A point a read returned while no write of it had completed. Operations arrive in
 * completion order, so a read that overlaps a write (the write applied, then the read
 * answered, then the write's ack came back) sees the point before its write is known:
 * it is unexpected only if no write of it ever comes.
 */
interface Unmatched {
  read: number;
  node: string | null;
  completeMs: number;
  invokeMs: number;
  /** How many reads returned it, and how many of them were marked final. */
  reads: number;
  markedSeen: number;
  lastRead: number;
}

export const set: Checker = {
  name: 'set',
  description: 'every acknowledged point is in the final reads; nothing read that was never written (Jepsen set-full)',
  start(ids) {
    const finals = new FinalsByTable();
    /** By identity id, and the ids in the order they were first written (the order of the failures). */
    const points: Array<PointState | undefined> = [];
    const written: number[] = [];
    const unmatched = new Map<number, Unmatched>();
    const failures: string[] = [];
    let failureCount = 0;
    const fail = (m: string) => { failureCount++; if (failures.length < MAX_FAILURES) failures.push(m); };
    let reads = 0;
    let writes = 0;
    let untimed = 0;
    let unexpected = 0;
    let duplicated = 0;

    const write = (o: Operation) => {
      writes++;
      const sent = ids.sent(o);
      untimed += sent.untimed;
      const touched: TableFinals[] = [];
      for (const p of sent.points) {
        const t = finals.get(sent.db, p.table);
        if (!touched.includes(t)) touched.push(t);
        let s = points[p.id];
        if (!s) {
          s = { finals: t, status: ATTEMPTED, write: o.index, node: o.node, ackMs: Infinity, failedOnly: true, firstSeenMs: NaN, lastRead: -1, finalEpoch: -1, finalSeen: 0, markedSeen: 0 };
          points[p.id] = s;
          written.push(p.id);
          const early = unmatched.get(p.id);
          if (early) {
            // Read before this write completed: what the read saw counts now.
            unmatched.delete(p.id);
            s.firstSeenMs = early.invokeMs;
            s.markedSeen = early.markedSeen;
          }
        }
        if (o.type !== 'fail') s.failedOnly = false;
        if (o.type === 'ok' && s.status !== OK) { s.status = OK; s.write = o.index; s.node = o.node; s.ackMs = o.completeMs; }
        else if (o.type === 'info' && s.status === ATTEMPTED) { s.status = INFO; s.write = o.index; s.node = o.node; }
      }
      // A write still in flight when the run ended never closes the final phase.
      if (Number.isFinite(o.completeMs)) for (const t of touched) t.writeCompleted(o.completeMs);
    };

    const read = (o: Operation) => {
      const r = ids.read(o);
      if (!r) return;
      const seq = reads++;
      const t = finals.get(r.db, r.table);
      const isFinal = r.final || (r.complete && t.beganAfterWrites(o.invokeMs));
      if (r.final) t.marked.push({ index: o.index, node: o.node, invokeMs: o.invokeMs });
      else if (isFinal) t.implicit.push({ index: o.index, node: o.node, invokeMs: o.invokeMs });
      for (let i = 0; i < r.ids.length; i++) {
        const id = r.ids[i]!;
        const s = id < 0 ? undefined : points[id];
        if (!s) {
          if (id < 0) {
            unexpected++;
            fail(`read #${o.index} via node ${o.node} at ${secs(o.completeMs)} returned point ${JSON.stringify(r.rows[i])}, which no write sent`);
            continue;
          }
          // Judged at the end: a write still in flight may have sent it.
          let u = unmatched.get(id);
          if (!u) unmatched.set(id, (u = { read: o.index, node: o.node, completeMs: o.completeMs, invokeMs: o.invokeMs, reads: 0, markedSeen: 0, lastRead: -1 }));
          if (u.lastRead === seq) {
            duplicated++;
            fail(`read #${o.index} via node ${o.node} at ${secs(o.completeMs)} returned point ${ids.describe(id)} more than once`);
            continue;
          }
          u.lastRead = seq;
          u.reads++;
          if (r.final) u.markedSeen++;
          continue;
        }
        if (s.lastRead === seq) {
          duplicated++;
          fail(`read #${o.index} via node ${o.node} at ${secs(o.completeMs)} returned point ${ids.describe(id)} more than once`);
          continue;
        }
        s.lastRead = seq;
        if (Number.isNaN(s.firstSeenMs)) s.firstSeenMs = o.invokeMs;
        if (isFinal) sawInFinal(s, t, r.final);
      }
    };

    return {
      op(o) {
        if (o.f === 'write') write(o);
        else if (o.f === 'query') read(o);
      },
      end(): CheckResult {
        let acknowledged = 0, lost = 0, recovered = 0, infoAbsent = 0, partial = 0, unjudged = 0, failedPresent = 0;
        for (const [id, u] of unmatched) {
          unexpected += u.reads;
          fail(`read #${u.read} via node ${u.node} at ${secs(u.completeMs)} returned point ${ids.describe(id)}, which no write sent` + (u.reads > 1 ? ` (and ${u.reads - 1} later read(s))` : ''));
        }
        const latencies: number[] = [];
        for (const id of written) {
          const s = points[id]!;
          const finalsOfTable = s.finals.reads.length;
          const seen = finalCount(s, s.finals);
          if (s.status === OK) {
            acknowledged++;
            if (!Number.isNaN(s.firstSeenMs)) latencies.push(Math.max(0, s.firstSeenMs - s.ackMs));
          }
          if (s.failedOnly && !Number.isNaN(s.firstSeenMs)) {
            failedPresent++;
            fail(`write #${s.write} of point ${ids.describe(id)} failed (certainly not applied), yet a read returned it`);
          }
          if (finalsOfTable === 0) { if (s.status === OK) unjudged++; continue; }
          if (s.status === OK && seen === 0) {
            lost++;
            fail(`write #${s.write} of point ${ids.describe(id)} acknowledged by node ${s.node} at ${secs(s.ackMs)} is absent from all final reads (${s.finals.describe()})`);
          } else if (s.status === OK && seen < finalsOfTable) partial++;
          else if (s.status === INFO) { if (seen > 0) recovered++; else infoAbsent++; }
        }
        latencies.sort((a, b) => a - b);
        const p50 = percentile(latencies, 50);
        const p99 = percentile(latencies, 99);
        const bad = lost + unexpected + duplicated + failedPresent;
        const valid = bad > 0 ? false : acknowledged === 0 && written.length === 0 ? 'unknown' : unjudged > 0 ? 'unknown' : true;
        const figures = `${acknowledged} acknowledged point(s): ${lost} lost, ${unexpected} unexpected, ${duplicated} duplicated, ${recovered} recovered`;
        const summary = written.length === 0 ? 'no write sent an identified point: nothing to check'
          : unjudged > 0 && bad === 0 ? `${figures}; ${unjudged} acknowledged point(s) in tables with no final read (a complete SELECT * after the last write): cannot tell whether they were lost`
          : figures;
        return {
          checker: 'set', valid, summary, failures, failure_count: failureCount,
          writes, reads, acknowledged, lost, unexpected, duplicated, recovered,
          failed_but_read: failedPresent, info_not_applied: infoAbsent, missing_from_some_final_reads: partial,
          unjudged, untimed_points: untimed,
          visibility_ms: latencies.length ? { p50, p99, points: latencies.length } : null,
        };
      },
    };
  },
};
