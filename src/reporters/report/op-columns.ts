// A scenario's history as columns for the HTML report: one row per operation (an invoke
// and its completion), typed arrays instead of one object per operation, so that a million
// operations fit in a few megabytes and the page draws them without building objects.

import type { HistoryEntry } from '../../engine/history.js';
import { FAULTS } from '../../faults/index.js';

/** Row outcome codes, as the page reads them. */
export const OUTCOME = { ok: 0, fail: 1, info: 2, pending: 3 } as const;

/** Lane of operations that no node served (cluster start, routing). */
export const CLIENT_LANE = 'client';
/** Lane of fault operations (Jepsen's nemesis process); their targets get bands on node lanes. */
export const NEMESIS_LANE = 'nemesis';

/** Text kept for hovering, per operation, until this many characters in total. */
const VALUE_BUDGET_CHARS = 2_000_000;
const VALUE_MAX_CHARS = 300;

/** A growable typed array. */
class Column<T extends Float32Array | Int32Array | Uint16Array | Uint8Array> {
  length = 0;
  constructor(private data: T, private readonly make: (n: number) => T) {}
  push(v: number) {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  set(i: number, v: number) { this.data[i] = v; }
  get(i: number) { return this.data[i]!; }
  view(): T { return this.data.subarray(0, this.length) as T; }
}

/** Strings to small integers, in order of first sight. */
class Names {
  readonly list: string[] = [];
  private readonly ids = new Map<string, number>();
  constructor(private readonly max = 65_535) {}
  id(s: string): number {
    let i = this.ids.get(s);
    if (i === undefined) {
      if (this.list.length >= this.max) return this.max - 1; // the last slot: "more distinct values"
      i = this.list.length;
      this.ids.set(s, i);
      this.list.push(this.list.length === this.max - 1 ? '(too many distinct values to keep)' : s);
    }
    return i;
  }
}

const show = (v: unknown) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  return s.length > VALUE_MAX_CHARS ? `${s.slice(0, VALUE_MAX_CHARS)}…` : s;
};

export interface LatencySeries {
  /** Start of each one-second bucket, in ms since the scenario started. */
  second: number[];
  ok: number[]; fail: number[]; info: number[];
  /** Latency percentiles of the operations completed in that second, ms. */
  p50: number[]; p99: number[];
}

export interface ScenarioColumns {
  scenario: string;
  count: number;
  /** Wall clock (ms since the epoch) at time_ms 0: places steps (wall times) on the timeline. */
  wall0_ms: number | null;
  end_ms: number;
  f: string[]; lanes: string[]; steps: string[]; errors: string[];
  /** Little-endian column bytes, in this order: start, end (Float32), index (Int32), lane, step, error (Uint16), outcome, f (Uint8). */
  bytes: Buffer;
  /** [row, invoke value, completion value] for the first rows, within the text budget. */
  values: Array<[number, string, string]>;
  /** [row, lanes of the nodes it acts on] for every fault operation: the page draws its period. */
  nemesis: Array<[number, number[]]>;
  latency: LatencySeries;
}

/**
 * The nodes a fault operation's value names: a node list (kill, clock, disk_full), directed
 * links as [from, to] pairs (partition, latency, heal), or named groups.
 */
function nodesOfFaultValue(v: unknown): string[] {
  const out = new Set<string>();
  const visit = (x: unknown) => {
    if (typeof x === 'string') out.add(x);
    else if (Array.isArray(x)) x.forEach(visit);
    else if (x && typeof x === 'object') Object.values(x).forEach(visit);
  };
  visit(v);
  return [...out];
}

/** Operations that measure the system under load (not faults, setup or health checks). */
const WORKLOAD = new Set(['write', 'query']);

export class ScenarioColumnsBuilder {
  private readonly start = new Column(new Float32Array(1024), (n) => new Float32Array(n));
  private readonly end = new Column(new Float32Array(1024), (n) => new Float32Array(n));
  private readonly index = new Column(new Int32Array(1024), (n) => new Int32Array(n));
  private readonly lane = new Column(new Uint16Array(1024), (n) => new Uint16Array(n));
  private readonly step = new Column(new Uint16Array(1024), (n) => new Uint16Array(n));
  private readonly error = new Column(new Uint16Array(1024), (n) => new Uint16Array(n));
  private readonly outcome = new Column(new Uint8Array(1024), (n) => new Uint8Array(n));
  private readonly f = new Column(new Uint8Array(1024), (n) => new Uint8Array(n));
  private readonly fNames = new Names(255);
  private readonly laneNames = new Names();
  private readonly stepNames = new Names();
  private readonly errorNames = new Names();
  /** invoke index -> row, until the completion arrives. */
  private readonly open = new Map<number, number>();
  private readonly values: Array<[number, string, string]> = [];
  private readonly nemesis: Array<[number, number[]]> = [];
  /** Fault operations still open -> their lanes (the completion's value may name more nodes). */
  private readonly openFaults = new Map<number, number[]>();
  private valueChars = 0;
  private wall0: number | null = null;
  private last = 0;

  constructor(readonly scenario: string) {
    this.errorNames.id(''); // 0: no error
  }

  add(e: HistoryEntry) {
    if (e.time_ms > this.last) this.last = e.time_ms;
    if (this.wall0 === null) { const w = Date.parse(e.wall); if (!Number.isNaN(w)) this.wall0 = w - e.time_ms; }
    if (e.type === 'invoke') {
      const row = this.start.length;
      const fault = e.node === null && Object.hasOwn(FAULTS, e.f);
      if (fault) {
        const lanes: number[] = [];
        this.nemesis.push([row, lanes]);
        this.openFaults.set(row, lanes);
        this.addFaultLanes(lanes, e.value);
      }
      this.start.push(e.time_ms); this.end.push(Number.NaN); this.index.push(e.index);
      this.lane.push(this.laneNames.id(e.node ?? (fault ? NEMESIS_LANE : CLIENT_LANE))); this.step.push(this.stepNames.id(e.step));
      this.error.push(0); this.outcome.push(OUTCOME.pending); this.f.push(this.fNames.id(e.f));
      this.open.set(e.index, row);
      this.keepValue(row, e.value, 1);
      return;
    }
    const row = this.open.get(e.invoke_index);
    if (row === undefined) return; // a completion without its invoke: a truncated history
    this.open.delete(e.invoke_index);
    const faultLanes = this.openFaults.get(row);
    if (faultLanes) { this.addFaultLanes(faultLanes, e.value); this.openFaults.delete(row); }
    this.end.set(row, e.time_ms);
    this.outcome.set(row, OUTCOME[e.type]);
    if (e.error !== undefined) this.error.set(row, this.errorNames.id(e.error));
    this.keepValue(row, e.value, 2);
  }

  private addFaultLanes(lanes: number[], value: unknown) {
    for (const node of nodesOfFaultValue(value)) {
      const lane = this.laneNames.id(node);
      if (!lanes.includes(lane)) lanes.push(lane);
    }
  }

  private keepValue(row: number, v: unknown, slot: 1 | 2) {
    if (v === undefined || this.valueChars > VALUE_BUDGET_CHARS) return;
    const text = show(v);
    this.valueChars += text.length;
    const lastKept = this.values[this.values.length - 1];
    if (lastKept && lastKept[0] === row) lastKept[slot] = text;
    else this.values.push(slot === 1 ? [row, text, ''] : [row, '', text]);
  }

  get count() { return this.start.length; }

  finish(): ScenarioColumns {
    const parts = [this.start.view(), this.end.view(), this.index.view(), this.lane.view(), this.step.view(), this.error.view(), this.outcome.view(), this.f.view()];
    const bytes = Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
    return {
      scenario: this.scenario, count: this.count, wall0_ms: this.wall0, end_ms: this.last,
      f: this.fNames.list, lanes: this.laneNames.list, steps: this.stepNames.list, errors: this.errorNames.list,
      bytes, values: this.values, nemesis: this.nemesis, latency: this.latency(),
    };
  }

  /** Throughput and p50/p99 latency per second of the workload operations, by completion time. */
  private latency(): LatencySeries {
    const workload = new Set(this.fNames.list.flatMap((name, i) => (WORKLOAD.has(name) ? [i] : [])));
    const buckets = new Map<number, { ok: number; fail: number; info: number; lat: number[] }>();
    const start = this.start.view(); const end = this.end.view(); const outcome = this.outcome.view(); const f = this.f.view();
    for (let i = 0; i < start.length; i++) {
      if (!workload.has(f[i]!) || outcome[i] === OUTCOME.pending) continue;
      const sec = Math.floor(end[i]! / 1000);
      let b = buckets.get(sec);
      if (!b) buckets.set(sec, b = { ok: 0, fail: 0, info: 0, lat: [] });
      if (outcome[i] === OUTCOME.ok) { b.ok++; b.lat.push(end[i]! - start[i]!); } else if (outcome[i] === OUTCOME.fail) b.fail++; else b.info++;
    }
    const s: LatencySeries = { second: [], ok: [], fail: [], info: [], p50: [], p99: [] };
    const r2 = (n: number) => Math.round(n * 100) / 100;
    for (const sec of [...buckets.keys()].sort((a, b) => a - b)) {
      const b = buckets.get(sec)!;
      const lat = Float64Array.from(b.lat).sort();
      const pct = (p: number) => (lat.length ? r2(lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)]!) : 0);
      s.second.push(sec * 1000); s.ok.push(b.ok); s.fail.push(b.fail); s.info.push(b.info); s.p50.push(pct(0.5)); s.p99.push(pct(0.99));
    }
    return s;
  }
}

/**
 * Splits a run's history into one builder per scenario. Scenarios run one after another
 * or, with --jobs, at once with their operations interleaved: an operation belongs to
 * the latest scenario of its name (each scenario's history starts again at index 0).
 */
export class RunColumnsBuilder {
  readonly scenarios: ScenarioColumnsBuilder[] = [];
  private readonly current = new Map<string, ScenarioColumnsBuilder>();

  add(e: HistoryEntry) {
    let b = this.current.get(e.scenario);
    if (!b || e.index === 0) {
      b = new ScenarioColumnsBuilder(e.scenario);
      this.current.set(e.scenario, b);
      this.scenarios.push(b);
    }
    b.add(e);
  }
}
