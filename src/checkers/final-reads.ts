// Which reads are "the final reads" of a table (docs/history.md): the reads a workload's
// final phase marks `final`, or, when none is marked, the complete reads begun after the
// last write to the table completed. Tracked as epochs, so a point only remembers the
// epoch it was last seen in rather than a set per read.

import { capacityFor, grown } from './id-columns.js';

export interface FinalReadInfo { index: number; node: string | null; invokeMs: number }

export class TableFinals {
  /** Bumped by every completed write: reads of earlier epochs are not final. */
  epoch = 0;
  /** Complete reads of the current epoch. */
  implicit: FinalReadInfo[] = [];
  /** Reads marked final (never invalidated). */
  marked: FinalReadInfo[] = [];

  /** When the last write to the table completed: a read begun before it races that write. */
  lastWriteMs = -Infinity;

  /** The last write (a checker's own count) that touched the table: a write lists it once. */
  lastWriteOp = -1;

  /** `no`: the table's number in its FinalsByTable, what per-point columns store. */
  constructor(readonly no: number) {}

  writeCompleted(atMs: number): void {
    this.epoch++;
    if (atMs > this.lastWriteMs) this.lastWriteMs = atMs;
    if (this.implicit.length) this.implicit = [];
  }

  /** A complete read is a final candidate only if it began after every write completed. */
  beganAfterWrites(invokeMs: number): boolean {
    return invokeMs > this.lastWriteMs;
  }

  /** How many final reads there are, and whether they are the marked ones. */
  get reads(): FinalReadInfo[] {
    return this.marked.length ? this.marked : this.implicit;
  }

  describe(): string {
    const r = this.reads;
    if (r.length === 0) return 'no final read';
    const nodes = [...new Set(r.map((x) => x.node ?? '?'))].join(', ');
    return `${r.length} final read${r.length === 1 ? '' : 's'} via ${nodes}, the first #${r[0]!.index}`;
  }
}

/**
 * Per point, the memory of final reads: the epoch it was last seen in, by how many reads
 * of that epoch, and by how many marked reads. Columns by identity id (id-columns.ts).
 */
export class FinalSightings {
  private epoch = new Int32Array(0);
  private seen = new Int32Array(0);
  private markedSeen = new Int32Array(0);

  /** Room for ids below `size`. */
  ensure(size: number): void {
    if (size <= this.epoch.length) return;
    const n = capacityFor(this.epoch.length, size);
    this.epoch = grown(this.epoch, n, -1);
    this.seen = grown(this.seen, n, 0);
    this.markedSeen = grown(this.markedSeen, n, 0);
  }

  saw(id: number, t: TableFinals, marked: boolean): void {
    if (marked) { this.markedSeen[id]!++; return; }
    if (this.epoch[id] !== t.epoch) { this.epoch[id] = t.epoch; this.seen[id] = 0; }
    this.seen[id]!++;
  }

  /** Marked final reads that saw the point before a write of it was known (set.ts's early reads). */
  setMarkedSeen(id: number, count: number): void { this.markedSeen[id] = count; }

  /** In how many of the table's final reads the point appeared. */
  count(id: number, t: TableFinals): number {
    if (t.marked.length) return this.markedSeen[id]!;
    return this.epoch[id] === t.epoch ? this.seen[id]! : 0;
  }
}

export class FinalsByTable {
  private readonly tables = new Map<string, TableFinals>();
  /** By table number (TableFinals.no): what per-point columns store. */
  private readonly numbered: TableFinals[] = [];

  /** The table asked for last: a run's writes mostly go to one or two tables. */
  private last: { db: string; table: string; finals: TableFinals } | undefined;

  get(db: string, table: string): TableFinals {
    const last = this.last;
    if (last && last.table === table && last.db === db) return last.finals;
    const k = `${db}.${table}`;
    let t = this.tables.get(k);
    if (!t) {
      this.tables.set(k, t = new TableFinals(this.numbered.length));
      this.numbered.push(t);
    }
    this.last = { db, table, finals: t };
    return t;
  }

  byNo(no: number): TableFinals { return this.numbered[no]!; }
}
