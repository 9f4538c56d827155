// Hand-made histories for the checkers' tests: invokes and completions at chosen
// times, writes of points and reads of rows in the shapes the engine records
// (docs/history.md).

import type { HistoryEntry } from '../../src/engine/history.js';
import { formatTimestamp } from '../../src/scenario/time.js';

const T0 = 1_704_067_200_000_000_000n; // 2024-01-01T00:00:00Z

/** cpu,host=<host> value=<value> at second <sec> after T0. */
export const pt = (host: string, sec: number, value: number | string = sec) =>
  ({ table: 'cpu', tags: { host }, time: (T0 + BigInt(sec) * 1_000_000_000n).toString(), fields: { value }, line: 1 });
export const row = (host: string, sec: number, value: number | string = sec) =>
  ({ host, time: formatTimestamp(T0 + BigInt(sec) * 1_000_000_000n), value });

export type Tables = Record<string, { replication_factor: number; consistency: string }>;

export class HistoryBuilder {
  readonly entries: HistoryEntry[] = [];

  private push(e: Omit<HistoryEntry, 'index' | 'scenario' | 'wall' | 'step' | 'invoke_index'> & { invoke_index?: number }): number {
    const index = this.entries.length;
    this.entries.push({ index, scenario: 's', wall: '', step: '0', ...e, invoke_index: e.invoke_index ?? index } as HistoryEntry);
    return index;
  }

  invoke(f: string, atMs: number, value: unknown, node: string | null = 'a'): number {
    return this.push({ type: 'invoke', f, node, time_ms: atMs, value });
  }

  complete(inv: number, type: 'ok' | 'fail' | 'info', atMs: number, value: unknown = { status: 204 }): number {
    const i = this.entries[inv]!;
    return this.push({ type, f: i.f, node: i.node, time_ms: atMs, value, invoke_index: inv });
  }

  /** A write of points from fromMs to toMs; returns its invoke index. */
  write(points: object[], fromMs: number, toMs: number, type: 'ok' | 'fail' | 'info' = 'ok', opts: { node?: string; tables?: Tables; consistency?: string; rejected?: number[] } = {}): number {
    const inv = this.invoke('write', fromMs, { db: 'db1', lines: points.length, points, ...(opts.tables ? { tables: opts.tables } : {}), ...(opts.consistency ? { consistency: opts.consistency } : {}) }, opts.node ?? 'a');
    this.complete(inv, type, toMs, { status: type === 'ok' ? 204 : 503, ...(opts.rejected ? { rejected_lines: opts.rejected } : {}) });
    return inv;
  }

  /** A SELECT * read of cpu returning rows. */
  read(rows: object[], fromMs: number, toMs: number, opts: { node?: string; complete?: boolean; local?: boolean; final?: boolean } = {}): number {
    const inv = this.invoke('query', fromMs, { db: 'db1', sql: 'SELECT * FROM cpu', ...(opts.local ? { local: true } : {}), read: { table: 'cpu', complete: opts.complete ?? true, ...(opts.final ? { final: true } : {}) } }, opts.node ?? 'a');
    this.complete(inv, 'ok', toMs, { status: 200, count: rows.length, rows });
    return inv;
  }

  checksum(shard: string, node: string, sum: string, rows: number, atMs: number): void {
    const inv = this.invoke('checksum', atMs, { shard: 1, name: shard }, node);
    this.complete(inv, 'ok', atMs + 1, { status: 200, row_count: rows, checksum: sum });
  }
}

/**
 * A history with what a reader of saved histories (the jsonl scanner, history.bin) has to
 * carry exactly: escapes, non-ASCII, odd and missing times, big integers, errors, nemesis
 * operations, bodies.
 */
export function awkwardHistory(): HistoryBuilder {
  const h = new HistoryBuilder();
  const tables = { cpu: { replication_factor: 1, consistency: 'all' } };
  h.write([pt('h1', 1), pt('h2', 2, 'text with "quotes" and \\ slash')], 0, 10, 'ok', { tables });
  h.write([{ table: 'cpu', tags: { host: 'h,3 =x', dc: 'zürich' }, time: '1704067203500000000', fields: { value: 3, big: '9007199254740993', on: true, off: false, f: -0.5 }, line: 1 }], 11, 20);
  h.write([{ table: 'cpu', tags: { host: 'h4' }, time: null, fields: { value: 4 }, line: 1 }], 21, 22, 'ok');
  h.write([{ table: 'cpu', tags: { host: 'h5' }, time: '5', fields: { value: 5 }, line: 1 }], 23, 24, 'info');
  h.write([pt('h6', 6)], 25, 26, 'ok', { rejected: [1] });
  h.write([pt('h7', 7)], 27, 1e-7 + 28, 'fail');
  const kill = h.invoke('kill', 1e-7, { nodes: ['b'] }, null);
  h.complete(kill, 'ok', 31, undefined);
  const lost = h.invoke('write', 32, { db: 'db1', lines: 1, body: 'cpu,host=h8 value=8 8000000000\n', consistency: 'one', points: [pt('h8', 8)], unparsed: [2] }, 'b');
  h.complete(lost, 'info', 40, undefined);
  h.entries[h.entries.length - 1]!.error = 'connection reset: "peer" gone ✗';
  h.read([row('h1', 1), row('h2', 2, 'text with "quotes" and \\ slash'), { host: 'h,3 =x', dc: 'zürich', time: '2024-01-01T00:00:03.5Z', value: 3 }, { host: 'h5', time: '1970-01-01T00:00:00.000000005Z', value: 5 }], 50, 60);
  h.checksum('S1', 'a', 'x', 3, 70);
  h.checksum('S1', 'b', 'x', 3, 71);
  return h;
}

/** An entry with its keys in the order src/engine/history.ts records them (the builder's differ). */
export const recorded = (e: HistoryEntry): HistoryEntry => ({
  index: e.index, scenario: e.scenario, invoke_index: e.invoke_index, time_ms: e.time_ms, wall: e.wall, type: e.type, f: e.f, node: e.node, step: e.step,
  ...(e.value !== undefined ? { value: e.value } : {}), ...(e.error !== undefined ? { error: e.error } : {}),
});
