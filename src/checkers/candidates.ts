// The overwrite checker's candidate writes per identity: the writes whose value a final
// read may rightly show. Almost every identity has exactly one (a point written once), so
// that one is kept in columns by identity id (id-columns.ts), and an identity written
// again gets a list of its own, without an object per candidate: a register rewritten a million times
// then allocates nothing per write.

import { Numbered, capacityFor, grown, grownRefs } from './id-columns.js';
import { sameValue, type FieldValue } from './points.js';

/** A candidate as messages name it. */
export interface Candidate {
  index: number;
  type: 'ok' | 'info';
  node: string | null;
  completeMs: number;
  fields: Record<string, FieldValue>;
}

type Fields = Record<string, FieldValue>;

const hasOwn = Object.prototype.hasOwnProperty;

/** Every identity's first candidate, in columns by id. */
class FirstCandidates {
  /** 1: an info write (never superseded), 0: acknowledged. */
  info = new Uint8Array(0);
  index = new Float64Array(0);
  completeMs = new Float64Array(0);
  /** The writing node, as nodes.of numbers it. */
  node = new Int32Array(0);
  fields: Array<Fields | undefined> = [];

  constructor(private readonly nodes: Numbered<string | null>) {}

  ensure(size: number): void {
    if (size <= this.info.length) return;
    const n = capacityFor(this.info.length, size);
    this.info = grown(this.info, n, 0);
    this.index = grown(this.index, n, 0);
    this.completeMs = grown(this.completeMs, n, 0);
    this.node = grown(this.node, n, 0);
    this.fields = grownRefs(this.fields, n, undefined);
  }

  set(id: number, index: number, info: boolean, node: number, completeMs: number, fields: Fields): void {
    this.info[id] = info ? 1 : 0;
    this.index[id] = index;
    this.node[id] = node;
    this.completeMs[id] = completeMs;
    this.fields[id] = fields;
  }

  /** Whether an acknowledged write begun at `invokeMs`, setting `fields`, supersedes the identity's candidate. */
  supersededBy(id: number, invokeMs: number, fields: Fields): boolean {
    return this.info[id] === 0 && !(this.completeMs[id]! >= invokeMs) && covers(fields, this.fields[id]!);
  }

  candidate(id: number): Candidate {
    return { index: this.index[id]!, type: this.info[id] ? 'info' : 'ok', node: this.nodes.value(this.node[id]!), completeMs: this.completeMs[id]!, fields: this.fields[id]! };
  }
}

/** Numbers per listed candidate: info (1/0), index, completeMs, node number. */
const STRIDE = 4;

/**
 * An identity's candidates once it has had more than one, in the order they came: the
 * numbers of each side by side in one array, so superseding a register's candidates on
 * each of its writes touches two arrays, not one object or column per candidate.
 */
class CandidateList {
  private nums = new Float64Array(4 * STRIDE);
  /** Packed: one per candidate. */
  readonly fields: Fields[] = [];

  get n(): number { return this.fields.length; }

  push(index: number, info: boolean, node: number, completeMs: number, fields: Fields): void {
    const b = this.fields.length * STRIDE;
    if (b === this.nums.length) this.nums = grown(this.nums, b * 2, 0);
    const nums = this.nums;
    nums[b] = info ? 1 : 0;
    nums[b + 1] = index;
    nums[b + 2] = completeMs;
    nums[b + 3] = node;
    this.fields.push(fields);
  }

  /** Drops what an acknowledged write begun at `invokeMs`, setting `fields`, supersedes; in place, in order. */
  supersede(invokeMs: number, fields: Fields): void {
    const { nums, fields: all } = this;
    const n = all.length;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const b = i * STRIDE;
      if (nums[b] === 0 && !(nums[b + 2]! >= invokeMs) && covers(fields, all[i]!)) continue;
      if (kept !== i) {
        const k = kept * STRIDE;
        nums[k] = nums[b]!; nums[k + 1] = nums[b + 1]!; nums[k + 2] = nums[b + 2]!; nums[k + 3] = nums[b + 3]!;
        all[kept] = all[i]!;
      }
      kept++;
    }
    while (all.length > kept) all.pop(); // not `length =`: a slow runtime call in V8
  }

  candidate(i: number, nodes: Numbered<string | null>): Candidate {
    const b = i * STRIDE, nums = this.nums;
    return { index: nums[b + 1]!, type: nums[b] ? 'info' : 'ok', node: nodes.value(nums[b + 3]!), completeMs: nums[b + 2]!, fields: this.fields[i]! };
  }
}

export class Candidates {
  /** Each identity's one candidate while it has at most one (has: 1). */
  private readonly nodes = new Numbered<string | null>();
  private readonly first = new FirstCandidates(this.nodes);
  private has = new Uint8Array(0);
  /** Identities that had more than one: all their candidates (has: 0). */
  private lists: Array<CandidateList | undefined> = [];

  /** Room for ids below `size`. */
  ensure(size: number): void {
    if (size <= this.has.length) return;
    const n = capacityFor(this.has.length, size);
    this.first.ensure(n);
    this.has = grown(this.has, n, 0);
    this.lists = grownRefs(this.lists, n, undefined);
  }

  add(id: number, index: number, type: 'ok' | 'info', nodeName: string | null, completeMs: number, fields: Fields): void {
    const info = type === 'info';
    const node = this.nodes.of(nodeName);
    const list = this.lists[id];
    if (list) { list.push(index, info, node, completeMs, fields); return; }
    const first = this.first;
    if (this.has[id]) {
      const made = this.lists[id] = new CandidateList();
      made.push(first.index[id]!, first.info[id] === 1, first.node[id]!, first.completeMs[id]!, first.fields[id]!);
      made.push(index, info, node, completeMs, fields);
      this.has[id] = 0;
      first.fields[id] = undefined;
      return;
    }
    this.has[id] = 1;
    first.set(id, index, info, node, completeMs, fields);
  }

  /**
   * An acknowledged write that began at `invokeMs` and set `fields` supersedes the
   * acknowledged candidates that completed before it began and set no other field.
   */
  supersede(id: number, invokeMs: number, fields: Fields): void {
    const list = this.lists[id];
    if (list) { list.supersede(invokeMs, fields); return; }
    if (this.has[id] && this.first.supersededBy(id, invokeMs, fields)) {
      this.has[id] = 0;
      this.first.fields[id] = undefined;
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
    const one = this.has[id] ? this.first.fields[id]! : undefined;
    for (const k in row) {
      if (!hasOwn.call(row, k) || k === 'time' || skip.includes(k)) continue;
      const v = row[k];
      if (v === null || v === undefined) continue;
      let explained: boolean;
      if (list) {
        let written = false;
        explained = false;
        for (const f of list.fields) {
          if (!(k in f)) continue;
          written = true;
          if (sameValue(f[k], v)) { explained = true; break; }
        }
        if (!written) explained = true;
      } else if (one) explained = !(k in one) || sameValue(one[k], v);
      else explained = true;
      if (!explained) (out ??= []).push(k);
    }
    return out;
  }

  /** The identity's candidates, in the order they came (for messages). */
  of(id: number): Candidate[] {
    const list = this.lists[id];
    if (list) {
      const out: Candidate[] = [];
      for (let i = 0; i < list.n; i++) out.push(list.candidate(i, this.nodes));
      return out;
    }
    return this.has[id] ? [this.first.candidate(id)] : [];
  }
}

/** Whether `fields` sets every field `other` sets. */
function covers(fields: Fields, other: Fields): boolean {
  for (const k in other) if (hasOwn.call(other, k) && !(k in fields)) return false;
  return true;
}
