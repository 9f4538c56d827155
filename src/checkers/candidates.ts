// The overwrite checker's candidate writes per identity: the writes whose value a final
// read may rightly show. Almost every identity has exactly one (a point written once), so
// the first is kept inline in columns by identity id (id-columns.ts) and a list is made
// only for an identity written again.

import { capacityFor, grown, grownRefs } from './id-columns.js';
import { sameValue, type FieldValue } from './points.js';

export interface Candidate {
  index: number;
  type: 'ok' | 'info';
  node: string | null;
  invokeMs: number;
  completeMs: number;
  fields: Record<string, FieldValue>;
}

const NONE = 0, OK = 1, INFO = 2;

const hasOwn = Object.prototype.hasOwnProperty;

export class Candidates {
  /** The inline candidate: NONE when the identity has none inline (no write yet, or a list). */
  private type = new Uint8Array(0);
  private index = new Float64Array(0);
  private node: Array<string | null> = [];
  private invokeMs = new Float64Array(0);
  private completeMs = new Float64Array(0);
  private fields: Array<Record<string, FieldValue> | undefined> = [];
  /** Identities written more than once: all their candidates, in the order they came. */
  private lists: Array<CandidateList | undefined> = [];

  /** Room for ids below `size`. */
  ensure(size: number): void {
    if (size <= this.type.length) return;
    const n = capacityFor(this.type.length, size);
    this.type = grown(this.type, n, NONE);
    this.index = grown(this.index, n, 0);
    this.node = grownRefs(this.node, n, null);
    this.invokeMs = grown(this.invokeMs, n, 0);
    this.completeMs = grown(this.completeMs, n, 0);
    this.fields = grownRefs(this.fields, n, undefined);
    this.lists = grownRefs(this.lists, n, undefined);
  }

  add(id: number, index: number, type: 'ok' | 'info', node: string | null, invokeMs: number, completeMs: number, fields: Record<string, FieldValue>): void {
    const list = this.lists[id];
    if (list) { list.push({ index, type, node, invokeMs, completeMs, fields }); return; }
    if (this.type[id] !== NONE) {
      const made = this.lists[id] = new CandidateList();
      made.push(this.inline(id));
      made.push({ index, type, node, invokeMs, completeMs, fields });
      this.type[id] = NONE;
      this.fields[id] = undefined;
      return;
    }
    this.type[id] = type === 'ok' ? OK : INFO;
    this.index[id] = index;
    this.node[id] = node;
    this.invokeMs[id] = invokeMs;
    this.completeMs[id] = completeMs;
    this.fields[id] = fields;
  }

  /**
   * An acknowledged write that began at `invokeMs` and set `fields` supersedes the
   * acknowledged candidates that completed before it began and set no other field.
   */
  supersede(id: number, invokeMs: number, fields: Record<string, FieldValue>): void {
    const list = this.lists[id];
    if (list) { list.supersede(invokeMs, fields); return; }
    if (this.type[id] !== NONE && supersedes(this.type[id] === INFO, this.completeMs[id]!, this.fields[id]!, invokeMs, fields)) {
      this.type[id] = NONE;
      this.fields[id] = undefined;
    }
  }

  /**
   * The fields of `row` (all but time, `skip` and empty values) that no candidate could
   * have left there: a field some candidate wrote, with a value none of them wrote.
   * Undefined when there is none (the usual case: nothing is allocated then).
   */
  unexplained(id: number, row: Record<string, unknown>, skip: readonly string[]): string[] | undefined {
    let out: string[] | undefined;
    const list = this.lists[id];
    const type = this.type[id];
    for (const k in row) {
      if (!hasOwn.call(row, k) || k === 'time' || skip.includes(k)) continue;
      const v = row[k];
      if (v === null || v === undefined) continue;
      let explained: boolean;
      if (list) {
        let written = false;
        explained = false;
        for (const c of list.items) {
          if (!(k in c.fields)) continue;
          written = true;
          if (sameValue(c.fields[k], v)) { explained = true; break; }
        }
        if (!written) explained = true;
      } else if (type !== NONE) {
        const f = this.fields[id]!;
        explained = !(k in f) || sameValue(f[k], v);
      } else explained = true;
      if (!explained) (out ??= []).push(k);
    }
    return out;
  }

  /** The identity's candidates, in the order they came (for messages). */
  of(id: number): Candidate[] {
    const list = this.lists[id];
    if (list) return list.items;
    return this.type[id] === NONE ? [] : [this.inline(id)];
  }

  private inline(id: number): Candidate {
    return {
      index: this.index[id]!, type: this.type[id] === OK ? 'ok' : 'info', node: this.node[id]!,
      invokeMs: this.invokeMs[id]!, completeMs: this.completeMs[id]!, fields: this.fields[id]!,
    };
  }
}

/**
 * An identity's candidates when it has several, each one's "kept until" time beside it:
 * superseding then reads a compact column rather than every candidate object.
 */
class CandidateList {
  readonly items: Candidate[] = [];
  /** Per item: when it completed if acknowledged; Infinity for info (never superseded). */
  private until = new Float64Array(4);

  push(c: Candidate): void {
    const n = this.items.length;
    if (n === this.until.length) this.until = grown(this.until, n * 2, 0);
    this.until[n] = c.type === 'info' ? Infinity : c.completeMs;
    this.items.push(c);
  }

  /** Drops what an acknowledged write begun at `invokeMs`, setting `fields`, supersedes; in place, in order. */
  supersede(invokeMs: number, fields: Record<string, FieldValue>): void {
    const { items, until } = this;
    let kept = 0;
    for (let i = 0; i < items.length; i++) {
      const u = until[i]!;
      if (u === Infinity || u >= invokeMs || !covers(fields, items[i]!.fields)) { items[kept] = items[i]!; until[kept] = u; kept++; }
    }
    while (items.length > kept) items.pop(); // not `length =`: a slow runtime call in V8
  }
}

/** Whether an acknowledged write (begun at invokeMs, setting `fields`) supersedes a candidate. */
function supersedes(info: boolean, completeMs: number, candidateFields: Record<string, FieldValue>, invokeMs: number, fields: Record<string, FieldValue>): boolean {
  return !info && !(completeMs >= invokeMs) && covers(fields, candidateFields);
}

/** Whether `fields` sets every field `other` sets. */
function covers(fields: Record<string, FieldValue>, other: Record<string, FieldValue>): boolean {
  for (const k in other) if (hasOwn.call(other, k) && !(k in fields)) return false;
  return true;
}
