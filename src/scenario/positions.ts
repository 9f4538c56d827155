// Maps a JSON path (as in a schema error) back to a line and column in the YAML source.

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';

export type JsonPath = Array<string | number>;

export class SourceMap {
  constructor(private readonly doc: Document, private readonly lines: LineCounter, private readonly text = '') {}

  /**
   * Position of the value at `path`; `key: true` points at the map key instead;
   * `needle` moves to that text inside the value (a template in a long string).
   * Falls back to the nearest ancestor. Through an alias, the path continues in the
   * anchored node (the place that holds the text).
   */
  position(path: JsonPath, opts: { key?: boolean; needle?: string } = {}): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let at: Node | null = (this.doc.contents as Node | null) ?? null;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        if (last && opts.key && pair.key) { at = pair.key as Node; node = null; break; }
        node = pair.value;
        if (node && (node as Node).range) at = node as Node;
        else if (pair.key) { at = pair.key as Node; }
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)];
        if (!item) break;
        node = item;
        if ((item as Node).range) at = item as Node;
      } else {
        break;
      }
    }
    let offset = at?.range?.[0] ?? 0;
    if (opts.needle && at?.range) {
      const i = this.text.slice(at.range[0], at.range[1]).indexOf(opts.needle);
      if (i >= 0) offset += i;
    }
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }
}

/** Splits an AJV instancePath ("/steps/0/query") into segments, unescaping ~1 and ~0. */
export function splitPointer(pointer: string): JsonPath {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => {
    const v = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(v) ? Number(v) : v;
  });
}
