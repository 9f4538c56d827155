// overwrite: clients rewrite the same identities; the final value of each one must be
// what the last acknowledged write set, or what an info write set (its outcome is
// unknown, so it may have applied at any time after it began, Jepsen's semantics).
// An acknowledged write is superseded by an acknowledged write that began after it
// completed and set the same fields; a value no remaining candidate wrote is wrong.

import { Candidates } from './candidates.js';
import { MAX_FAILURES, secs, type CheckResult, type Checker, type Operation } from './checker.js';
import { FinalSightings, FinalsByTable, type TableFinals } from './final-reads.js';
import { capacityFor, grown } from './id-columns.js';
import { rowFields } from './points.js';

/** A final read that showed a value no candidate wrote: kept to judge again at the end. */
interface WrongRead { read: number; node: string | null; atMs: number; fields: Record<string, unknown> }

/** What the checker knows of each written identity, by identity id (id-columns.ts). */
class IdentityColumns {
  /** TableFinals.no of the identity's table; -1: no write of it seen. */
  table = new Int32Array(0);
  acknowledged = new Uint8Array(0);
  readonly finals = new FinalSightings();
  readonly candidates = new Candidates();
  /** By id; none for almost every identity. */
  readonly wrong = new Map<number, WrongRead[]>();

  /** Room for ids below `size`. */
  ensure(size: number): void {
    this.finals.ensure(size);
    this.candidates.ensure(size);
    if (size <= this.table.length) return;
    const n = capacityFor(this.table.length, size);
    this.table = grown(this.table, n, -1);
    this.acknowledged = grown(this.acknowledged, n, 0);
  }

  isWritten(id: number): boolean { return id < this.table.length && this.table[id] !== -1; }
}

export const overwrite: Checker = {
  name: 'overwrite',
  description: 'the final value of every identity is the last acknowledged write\'s, or an info write\'s',
  start(identities) {
    const finals = new FinalsByTable();
    const state = new IdentityColumns();
    const { candidates } = state;
    /** The ids in the order they were first written (the order of the failures). */
    const written: number[] = [];
    let writes = 0;
    /** The tables one write touched, each once (reused from write to write). */
    const touched: TableFinals[] = [];

    const write = (o: Operation) => {
      if (o.type === 'fail') return;
      const op = writes++;
      const sent = identities.sent(o);
      state.ensure(identities.size);
      while (touched.length) touched.pop(); // not `length = 0`: a slow runtime call in V8
      const type = o.type === 'ok' ? 'ok' : 'info';
      for (const p of sent.points) {
        const t = finals.get(sent.db, p.table);
        if (t.lastWriteOp !== op) { t.lastWriteOp = op; touched.push(t); }
        const id = p.id;
        if (state.table[id] === -1) { state.table[id] = t.no; written.push(id); }
        if (o.type === 'ok') {
          state.acknowledged[id] = 1;
          // Superseded: acknowledged writes that completed before this one began, fields covered.
          candidates.supersede(id, o.invokeMs, p.fields);
        }
        candidates.add(id, o.index, type, o.node, o.completeMs, p.fields);
      }
      if (Number.isFinite(o.completeMs)) for (const t of touched) t.writeCompleted(o.completeMs);
    };

    const read = (o: Operation) => {
      const r = identities.read(o);
      if (!r) return;
      const t = finals.get(r.db, r.table);
      const isFinal = r.final || (r.complete && t.beganAfterWrites(o.invokeMs));
      if (!isFinal) return;
      if (r.final) t.marked.push({ index: o.index, node: o.node, invokeMs: o.invokeMs });
      else t.implicit.push({ index: o.index, node: o.node, invokeMs: o.invokeMs });
      for (let i = 0; i < r.ids.length; i++) {
        const id = r.ids[i]!;
        if (id < 0 || !state.isWritten(id)) continue; // never written: the set checker's "unexpected"
        state.finals.saw(id, t, r.final);
        const row = r.rows[i]!;
        if (candidates.unexplained(id, row, r.tagKeys)) {
          let wrong = state.wrong.get(id);
          if (!wrong) state.wrong.set(id, wrong = []);
          wrong.push({ read: o.index, node: o.node, atMs: o.completeMs, fields: rowFields(row, r.tagKeys) });
        }
      }
    };

    return {
      op(o) {
        if (o.f === 'write') write(o);
        else if (o.f === 'query') read(o);
      },
      end(): CheckResult {
        const failures: string[] = [];
        let failureCount = 0;
        const fail = (m: string) => { failureCount++; if (failures.length < MAX_FAILURES) failures.push(m); };
        let checked = 0, wrong = 0, unread = 0, unjudged = 0;
        for (const n of written) {
          const acknowledged = state.acknowledged[n] === 1;
          const wrongReads = state.wrong.get(n);
          if (!acknowledged && !wrongReads) continue;
          const tableFinals = finals.byNo(state.table[n]!);
          if (tableFinals.reads.length === 0) { if (acknowledged) unjudged++; continue; }
          checked++;
          // Judged again now: an info write still in flight at the read counts too.
          const bad = (wrongReads ?? []).filter((w) => (tableFinals.marked.length ? tableFinals.marked : tableFinals.implicit).some((f) => f.index === w.read))
            .map((w) => ({ ...w, fields: candidates.unexplained(n, w.fields, []) ?? [] })).filter((w) => w.fields.length > 0);
          const seen = state.finals.count(n, tableFinals);
          if (bad.length) {
            wrong++;
            const w = bad[0]!;
            const cands = candidates.of(n);
            const want = cands.filter((c) => c.type === 'ok').map((c) => `write #${c.index} (${JSON.stringify(c.fields)}, acknowledged by node ${c.node} at ${secs(c.completeMs)})`);
            const row = wrongReads!.find((x) => x.read === w.read)!.fields;
            fail(`final read #${w.read} via node ${w.node} at ${secs(w.atMs)} shows point ${identities.describe(n)} with ${JSON.stringify(Object.fromEntries(w.fields.map((k) => [k, row[k]])))}, but the last acknowledged value is from ${want.join(' or ') || 'no acknowledged write'}${cands.some((c) => c.type === 'info') ? ` (or info write #${cands.filter((c) => c.type === 'info').map((c) => c.index).join(', #')})` : ''}`);
          } else if (acknowledged && seen === 0) {
            unread++;
            const last = candidates.of(n).filter((c) => c.type === 'ok').at(-1)!;
            fail(`write #${last.index} of point ${identities.describe(n)} acknowledged by node ${last.node} at ${secs(last.completeMs)} is absent from all final reads (${tableFinals.describe()})`);
          }
        }
        const valid = wrong + unread > 0 ? false : checked === 0 || unjudged > 0 ? 'unknown' : true;
        const summary = checked === 0 && unjudged === 0 ? 'no acknowledged write of an identified point: nothing to check'
          : `${checked} identit${checked === 1 ? 'y' : 'ies'} checked: ${wrong} with a value that is not the last acknowledged one, ${unread} absent from the final reads${unjudged ? `; ${unjudged} in tables with no final read` : ''}`;
        return { checker: 'overwrite', valid, summary, failures, failure_count: failureCount, writes, identities: written.length, checked, wrong, unread, unjudged };
      },
    };
  },
};
