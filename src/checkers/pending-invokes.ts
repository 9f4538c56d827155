// The invokes still waiting for their completion, by index, in the order they came: a
// Map's semantics. A run has a few in flight at a time (one per client), and a Map
// churned through a million set/delete pairs rehashes all along, so a short list is
// scanned instead; past LIST_MAX in flight it is a Map after all.

import type { CheckEntry } from './history-lines.js';

const LIST_MAX = 64;

export class PendingInvokes {
  private list: CheckEntry[] = [];
  private map: Map<number, CheckEntry> | undefined;

  /** As Map.set keyed by e.index: a second invoke of an index replaces the first in its place. */
  set(e: CheckEntry): void {
    if (this.map) { this.map.set(e.index, e); return; }
    const list = this.list;
    for (let i = 0; i < list.length; i++) if (list[i]!.index === e.index) { list[i] = e; return; }
    list.push(e);
    if (list.length > LIST_MAX) {
      this.map = new Map(list.map((x) => [x.index, x]));
      this.list = [];
    }
  }

  /** The invoke of `index`, no longer pending; undefined if none is. */
  take(index: number): CheckEntry | undefined {
    if (this.map) {
      const e = this.map.get(index);
      this.map.delete(index);
      return e;
    }
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.index !== index) continue;
      const e = list[i]!;
      // Shifted down, not spliced: the order stays the order they came.
      for (let j = i + 1; j < list.length; j++) list[j - 1] = list[j]!;
      list.pop();
      return e;
    }
    return undefined;
  }

  values(): Iterable<CheckEntry> { return this.map ? this.map.values() : this.list; }

  clear(): void { this.list = []; this.map = undefined; }
}
