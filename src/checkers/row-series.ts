// The series of a read's rows by their tag values, without building the series text
// (`cpu,host=h3`) for every row: a final read of half a million rows names a few
// hundred series. A tree keyed by the tag values, in the table's sorted tag-key order,
// resolves each row; the text is built once per series, on a miss.

import { escKey } from './points.js';

/** One level of the tree: the tag at this depth empty (absent, null or '') or by its text. */
interface Level { empty: Level | number | undefined; byValue: Map<string, Level | number> }

const level = (): Level => ({ empty: undefined, byValue: new Map() });

export class RowSeries {
  /** The series when the table has no tag columns. */
  private none: number | undefined;
  private readonly top: Level = level();

  /** `table` is escaped already; `series` gives the id of a series text. */
  constructor(readonly tagKeys: string[], private readonly table: string, private readonly series: (text: string) => number) {}

  /** The series id of a row: its table and the non-empty tag columns, as a write's point names it. */
  seriesOf(row: Record<string, unknown>): number {
    const keys = this.tagKeys;
    if (keys.length === 0) return this.none ??= this.series(this.table);
    let node: Level = this.top;
    for (let d = 0; ; d++) {
      const v = row[keys[d]!];
      const empty = v === null || v === undefined || v === '';
      const text = empty ? '' : String(v);
      const next = empty ? node.empty : node.byValue.get(text);
      if (d === keys.length - 1) {
        if (next !== undefined) return next as number;
        const id = this.series(this.text(row));
        if (empty) node.empty = id; else node.byValue.set(text, id);
        return id;
      }
      if (next !== undefined) { node = next as Level; continue; }
      const made = level();
      if (empty) node.empty = made; else node.byValue.set(text, made);
      node = made;
    }
  }

  /** The series text of a row (how identities.ts names it). */
  private text(row: Record<string, unknown>): string {
    let series = this.table;
    for (const k of this.tagKeys) {
      const v = row[k];
      if (v !== null && v !== undefined && v !== '') series += `,${escKey(k)}=${escKey(String(v))}`;
    }
    return series;
  }
}
