// Which reads are "the final reads" of a table (docs/history.md): the reads a workload's
// final phase marks `final`, or, when none is marked, the complete reads begun after the
// last write to the table completed. Tracked as epochs, so a point only remembers the
// epoch it was last seen in rather than a set per read.

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

/** Per-point memory of final reads: the epoch it was last seen in and by how many reads. */
export interface FinalSeen {
  finalEpoch: number;
  finalSeen: number;
  markedSeen: number;
}

export function sawInFinal(p: FinalSeen, t: TableFinals, marked: boolean): void {
  if (marked) { p.markedSeen++; return; }
  if (p.finalEpoch !== t.epoch) { p.finalEpoch = t.epoch; p.finalSeen = 0; }
  p.finalSeen++;
}

/** In how many of the table's final reads the point appeared. */
export function finalCount(p: FinalSeen, t: TableFinals): number {
  if (t.marked.length) return p.markedSeen;
  return p.finalEpoch === t.epoch ? p.finalSeen : 0;
}

export class FinalsByTable {
  private readonly tables = new Map<string, TableFinals>();

  /** The table asked for last: a run's writes mostly go to one or two tables. */
  private last: { db: string; table: string; finals: TableFinals } | undefined;

  get(db: string, table: string): TableFinals {
    const last = this.last;
    if (last && last.table === table && last.db === db) return last.finals;
    const k = `${db}.${table}`;
    let t = this.tables.get(k);
    if (!t) this.tables.set(k, t = new TableFinals());
    this.last = { db, table, finals: t };
    return t;
  }
}
