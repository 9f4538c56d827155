// overwrite: clients rewrite the same identities; the final value of each one must be
// what the last acknowledged write set, or what an info write set (its outcome is
// unknown, so it may have applied at any time after it began, Jepsen's semantics).
// An acknowledged write is superseded by an acknowledged write that began after it
// completed and set the same fields; a value no remaining candidate wrote is wrong.

import { MAX_FAILURES, secs, type CheckResult, type Checker, type Operation } from './checker.js';
import { FinalsByTable, finalCount, sawInFinal, type FinalSeen, type TableFinals } from './final-reads.js';
import { rowFields, sameValue, type FieldValue } from './points.js';

interface Candidate {
  index: number;
  type: 'ok' | 'info';
  node: string | null;
  invokeMs: number;
  completeMs: number;
  fields: Record<string, FieldValue>;
}

interface Identity extends FinalSeen {
  finals: TableFinals;
  candidates: Candidate[];
  acknowledged: boolean;
  /** A final read showed a value no candidate wrote: kept to judge again at the end (null: none, the usual case). */
  wrong: Array<{ read: number; node: string | null; atMs: number; fields: Record<string, unknown> }> | null;
}

/** The fields in `row` that no candidate write could have left there. */
function unexplained(fields: Record<string, unknown>, candidates: Candidate[]): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    const writers = candidates.filter((c) => k in c.fields);
    if (writers.length > 0 && !writers.some((c) => sameValue(c.fields[k], v))) out.push(k);
  }
  return out;
}

export const overwrite: Checker = {
  name: 'overwrite',
  description: 'the final value of every identity is the last acknowledged write\'s, or an info write\'s',
  start(identities) {
    const finals = new FinalsByTable();
    /** By identity id, and the ids in the order they were first written (the order of the failures). */
    const ids: Array<Identity | undefined> = [];
    const written: number[] = [];
    let writes = 0;

    const write = (o: Operation) => {
      if (o.type === 'fail') return;
      writes++;
      const sent = identities.sent(o);
      const touched: TableFinals[] = [];
      for (const p of sent.points) {
        const t = finals.get(sent.db, p.table);
        if (!touched.includes(t)) touched.push(t);
        let id = ids[p.id];
        if (!id) written.push(p.id);
        if (!id) ids[p.id] = id = { finals: t, candidates: [], acknowledged: false, wrong: null, finalEpoch: -1, finalSeen: 0, markedSeen: 0 };
        if (o.type === 'ok') {
          id.acknowledged = true;
          // Superseded: acknowledged writes that completed before this one began, fields covered.
          if (id.candidates.length) id.candidates = id.candidates.filter((c) => c.type === 'info' || c.completeMs >= o.invokeMs || Object.keys(c.fields).some((k) => !(k in p.fields)));
        }
        id.candidates.push({ index: o.index, type: o.type === 'ok' ? 'ok' : 'info', node: o.node, invokeMs: o.invokeMs, completeMs: o.completeMs, fields: p.fields });
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
        const id = r.ids[i]! < 0 ? undefined : ids[r.ids[i]!];
        if (!id) continue; // never written: the set checker's "unexpected"
        sawInFinal(id, t, r.final);
        const fields = rowFields(r.rows[i]!, r.tagKeys);
        if (unexplained(fields, id.candidates).length) (id.wrong ??= []).push({ read: o.index, node: o.node, atMs: o.completeMs, fields });
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
          const id = ids[n]!;
          if (!id.acknowledged && !id.wrong) continue;
          if (id.finals.reads.length === 0) { if (id.acknowledged) unjudged++; continue; }
          checked++;
          // Judged again now: an info write still in flight at the read counts too.
          const bad = (id.wrong ?? []).filter((w) => (id.finals.marked.length ? id.finals.marked : id.finals.implicit).some((f) => f.index === w.read))
            .map((w) => ({ ...w, fields: unexplained(w.fields, id.candidates) })).filter((w) => w.fields.length > 0);
          const seen = finalCount(id, id.finals);
          if (bad.length) {
            wrong++;
            const w = bad[0]!;
            const want = id.candidates.filter((c) => c.type === 'ok').map((c) => `write #${c.index} (${JSON.stringify(c.fields)}, acknowledged by node ${c.node} at ${secs(c.completeMs)})`);
            const row = id.wrong!.find((x) => x.read === w.read)!.fields;
            fail(`final read #${w.read} via node ${w.node} at ${secs(w.atMs)} shows point ${identities.describe(n)} with ${JSON.stringify(Object.fromEntries(w.fields.map((k) => [k, row[k]])))}, but the last acknowledged value is from ${want.join(' or ') || 'no acknowledged write'}${id.candidates.some((c) => c.type === 'info') ? ` (or info write #${id.candidates.filter((c) => c.type === 'info').map((c) => c.index).join(', #')})` : ''}`);
          } else if (id.acknowledged && seen === 0) {
            unread++;
            const last = id.candidates.filter((c) => c.type === 'ok').at(-1)!;
            fail(`write #${last.index} of point ${identities.describe(n)} acknowledged by node ${last.node} at ${secs(last.completeMs)} is absent from all final reads (${id.finals.describe()})`);
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
