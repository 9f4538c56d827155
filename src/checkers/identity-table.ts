// Identities (series id, time) as dense integer ids, in typed arrays: a million points
// cost a few bytes each instead of a string key and a map entry. Time is kept exact as
// whole seconds and nanoseconds (nanoseconds since the epoch do not fit a double).

import { grown } from './id-columns.js';

/** Open addressing over three typed columns; ids are handed out 0, 1, 2, ... */
export class IdentityTable {
  private slots = new Int32Array(1 << 16).fill(-1);
  private series = new Int32Array(1 << 15);
  private secs = new Float64Array(1 << 15);
  private nanos = new Int32Array(1 << 15);
  size = 0;

  seriesOf(id: number): number { return this.series[id]!; }
  secsOf(id: number): number { return this.secs[id]!; }
  nanosOf(id: number): number { return this.nanos[id]!; }

  /** The id of (series, secs, nanos), or -1. */
  find(series: number, secs: number, nanos: number): number {
    const mask = this.slots.length - 1;
    for (let i = hash(series, secs, nanos) & mask; ; i = (i + 1) & mask) {
      const id = this.slots[i]!;
      if (id < 0) return -1;
      if (this.series[id] === series && this.secs[id] === secs && this.nanos[id] === nanos) return id;
    }
  }

  /** The id of (series, secs, nanos), given a new one when there is none. */
  intern(series: number, secs: number, nanos: number): number {
    const mask = this.slots.length - 1;
    let i = hash(series, secs, nanos) & mask;
    for (; ; i = (i + 1) & mask) {
      const id = this.slots[i]!;
      if (id < 0) break;
      if (this.series[id] === series && this.secs[id] === secs && this.nanos[id] === nanos) return id;
    }
    const id = this.size++;
    if (id === this.series.length) this.growColumns();
    this.series[id] = series;
    this.secs[id] = secs;
    this.nanos[id] = nanos;
    this.slots[i] = id;
    // Kept at most half full, so probes stay short.
    if (this.size * 2 > this.slots.length) this.rehash();
    return id;
  }

  /** A new id no lookup finds (an identity whose time could not be read). */
  fresh(series: number): number {
    const id = this.size++;
    if (id === this.series.length) this.growColumns();
    this.series[id] = series;
    this.secs[id] = NaN;
    this.nanos[id] = 0;
    return id;
  }

  private growColumns(): void {
    const n = this.series.length * 2;
    this.series = grown(this.series, n, 0);
    this.secs = grown(this.secs, n, 0);
    this.nanos = grown(this.nanos, n, 0);
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let id = 0; id < this.size; id++) {
      let i = hash(this.series[id]!, this.secs[id]!, this.nanos[id]!) & mask;
      while (slots[i]! >= 0) i = (i + 1) & mask;
      slots[i] = id;
    }
    this.slots = slots;
  }
}

function hash(series: number, secs: number, nanos: number): number {
  let h = Math.imul(series ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (secs | 0) ^ ((secs / 4294967296) | 0), 0xc2b2ae35);
  h = Math.imul(h ^ nanos, 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}
