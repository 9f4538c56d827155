// set: Jepsen's set-full over points. A point is its identity (table, tag set, time).
// Lost: an acknowledged write's point absent from every final read. Unexpected: a read
// returned a point no write ever sent. Duplicated: one read returned a point twice.
// Recovered: an info write (outcome unknown) whose point the final reads do hold.
// Also the time from acknowledgement to visibility, p50/p99.

import { MAX_FAILURES, percentile, secs, type CheckResult, type Checker, type Operation } from './checker.js';
import { FinalSightings, FinalsByTable, type TableFinals } from './final-reads.js';
import { Numbered, capacityFor, grown } from './id-columns.js';

const UNWRITTEN = -1;
const ATTEMPTED = 0;
const INFO = 1;
const OK = 2;

/** What the checker knows of each written point, by identity id (id-columns.ts). */
class PointColumns {
  status = new Int8Array(0);
  /** 1 while every write of the point failed. */
  failedOnly = new Uint8Array(0);
  /** TableFinals.no of the point's table. */
  table = new Int32Array(0);
  /** The write that acknowledged it (or the first that tried), and that write's node (nodes.of). */
  write = new Float64Array(0);
  node = new Int32Array(0);
  readonly nodes = new Numbered<string | null>();
  ackMs = new Float64Array(0);
  firstSeenMs = new Float64Array(0);
  /** The sequence number of the last read that returned it (a second sighting there is a duplicate). */
  lastRead = new Int32Array(0);
  readonly finals = new FinalSightings();

  /** Room for ids below `size`. */
  ensure(size: number): void {
    this.finals.ensure(size);
    if (size <= this.status.length) return;
    const n = capacityFor(this.status.length, size);
    this.status = grown(this.status, n, UNWRITTEN);
    this.failedOnly = grown(this.failedOnly, n, 1);
    this.table = grown(this.table, n, -1);
    this.write = grown(this.write, n, -1);
    this.node = grown(this.node, n, 0);
    this.ackMs = grown(this.ackMs, n, Infinity);
    this.firstSeenMs = grown(this.firstSeenMs, n, NaN);
    this.lastRead = grown(this.lastRead, n, -1);
  }

  isWritten(id: number): boolean { return id < this.status.length && this.status[id] !== UNWRITTEN; }
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
    const pts = new PointColumns();
    /** The ids in the order they were first written (the order of the failures). */
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
    /** The tables one write touched, each once (reused from write to write). */
    const touched: TableFinals[] = [];

    const write = (o: Operation) => {
      const op = writes++;
      const sent = ids.sent(o);
      untimed += sent.untimed;
      pts.ensure(ids.size);
      while (touched.length) touched.pop(); // not `length = 0`: a slow runtime call in V8
      const node = pts.nodes.of(o.node);
      for (const p of sent.points) {
        const t = finals.get(sent.db, p.table);
        if (t.lastWriteOp !== op) { t.lastWriteOp = op; touched.push(t); }
        const id = p.id;
        if (pts.status[id] === UNWRITTEN) {
          // The other columns hold their defaults (ensure): no write, no ack, not seen.
          pts.status[id] = ATTEMPTED;
          pts.table[id] = t.no;
          pts.write[id] = o.index;
          pts.node[id] = node;
          written.push(id);
          const early = unmatched.get(id);
          if (early) {
            // Read before this write completed: what the read saw counts now.
            unmatched.delete(id);
            pts.firstSeenMs[id] = early.invokeMs;
            pts.finals.setMarkedSeen(id, early.markedSeen);
          }
        }
        if (o.type !== 'fail') pts.failedOnly[id] = 0;
        const status = pts.status[id];
        if (o.type === 'ok' && status !== OK) { pts.status[id] = OK; pts.write[id] = o.index; pts.node[id] = node; pts.ackMs[id] = o.completeMs; }
        else if (o.type === 'info' && status === ATTEMPTED) { pts.status[id] = INFO; pts.write[id] = o.index; pts.node[id] = node; }
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
        if (id < 0 || !pts.isWritten(id)) {
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
        if (pts.lastRead[id] === seq) {
          duplicated++;
          fail(`read #${o.index} via node ${o.node} at ${secs(o.completeMs)} returned point ${ids.describe(id)} more than once`);
          continue;
        }
        pts.lastRead[id] = seq;
        if (Number.isNaN(pts.firstSeenMs[id])) pts.firstSeenMs[id] = o.invokeMs;
        if (isFinal) pts.finals.saw(id, t, r.final);
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
        const allLatencies = new Float64Array(written.length);
        let measured = 0;
        for (const id of written) {
          const finalsOfPoint = finals.byNo(pts.table[id]!);
          const finalsOfTable = finalsOfPoint.reads.length;
          const seen = pts.finals.count(id, finalsOfPoint);
          const status = pts.status[id];
          const firstSeenMs = pts.firstSeenMs[id]!;
          if (status === OK) {
            acknowledged++;
            if (!Number.isNaN(firstSeenMs)) allLatencies[measured++] = Math.max(0, firstSeenMs - pts.ackMs[id]!);
          }
          if (pts.failedOnly[id] && !Number.isNaN(firstSeenMs)) {
            failedPresent++;
            fail(`write #${pts.write[id]} of point ${ids.describe(id)} failed (certainly not applied), yet a read returned it`);
          }
          if (finalsOfTable === 0) { if (status === OK) unjudged++; continue; }
          if (status === OK && seen === 0) {
            lost++;
            fail(`write #${pts.write[id]} of point ${ids.describe(id)} acknowledged by node ${pts.nodes.value(pts.node[id]!)} at ${secs(pts.ackMs[id]!)} is absent from all final reads (${finalsOfPoint.describe()})`);
          } else if (status === OK && seen < finalsOfTable) partial++;
          else if (status === INFO) { if (seen > 0) recovered++; else infoAbsent++; }
        }
        // A typed array sorts numerically without a comparator call per pair.
        const latencies = allLatencies.subarray(0, measured).sort();
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
