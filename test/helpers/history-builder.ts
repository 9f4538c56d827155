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
