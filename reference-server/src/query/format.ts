// Output formatting in InfluxDB 3's style (arrow's JSON/CSV writers and pretty printer).

import type { SqlType } from './ir.js';
import type { QueryResult } from './execute.js';
import { formatTimestamp } from './time.js';

export type OutputFormat = 'json' | 'jsonl' | 'csv' | 'pretty';

/** Float text like arrow/Rust: integral values keep a '.0' (21 -> "21.0"). */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  if (/^-?\d+$/.test(s)) return s + '.0';
  return s.replace('e+', 'e');
}

function asTimestamp(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  return null;
}

/** Text of a value for CSV and pretty output; null for SQL NULL. */
export function valueText(v: unknown, t: SqlType): string | null {
  if (v === null || v === undefined) return null;
  if (t === 'timestamp') {
    const ts = asTimestamp(v);
    if (ts !== null) return formatTimestamp(ts);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (t === 'boolean' && (typeof v === 'bigint' || typeof v === 'number')) return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (t === 'integer' || t === 'uinteger') return Number.isInteger(v) ? String(v) : formatFloat(v);
    return formatFloat(v);
  }
  if (typeof v === 'bigint') return t === 'float' ? formatFloat(Number(v)) : v.toString();
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}

/**
 * JSON text of a value, or undefined to omit it. Integers (bigint) are written as exact JSON
 * number literals even beyond 2^53 (valid JSON; arrow does the same); NaN/Infinity are omitted.
 */
function jsonValue(v: unknown, t: SqlType): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (t === 'timestamp') {
    const ts = asTimestamp(v);
    if (ts !== null) return JSON.stringify(formatTimestamp(ts));
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (t === 'boolean' && (typeof v === 'bigint' || typeof v === 'number')) return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    if ((t === 'integer' || t === 'uinteger') && Number.isInteger(v)) return String(v);
    return formatFloat(v);
  }
  if (typeof v === 'bigint') return t === 'float' ? formatFloat(Number(v)) : v.toString();
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString('utf8'));
  return JSON.stringify(String(v));
}

function jsonObject(r: QueryResult, row: unknown[]): string {
  const parts: string[] = [];
  for (let i = 0; i < r.columns.length; i++) {
    const j = jsonValue(row[i], r.types[i] ?? 'any');
    // InfluxDB 3 (arrow-json) leaves NULL columns out of the row object.
    if (j !== undefined) parts.push(`${JSON.stringify(r.columns[i])}:${j}`);
  }
  return '{' + parts.join(',') + '}';
}

function csvField(s: string | null): string {
  if (s === null) return '';
  if (/[",\r\n]/.test(s)) return '"' + s.replace(/"/g, '""') + '"';
  return s;
}

function pretty(r: QueryResult): string {
  const header = r.columns;
  const cells = r.rows.map((row) => header.map((_, i) => valueText(row[i], r.types[i] ?? 'any') ?? ''));
  const width = (s: string) => Array.from(s).length;
  const widths = header.map((h, i) => Math.max(width(h), ...cells.map((c) => width(c[i]!))));
  const line = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const fmt = (vals: string[]) => '|' + vals.map((v, i) => ' ' + v + ' '.repeat(widths[i]! - width(v)) + ' ').join('|') + '|';
  const out = [line, fmt(header), line];
  for (const c of cells) out.push(fmt(c));
  if (cells.length > 0) out.push(line);
  return out.join('\n') + '\n';
}

/**
 * Format a result:
 * - json: array of row objects (NULL columns omitted); content type application/json
 * - jsonl: one row object per line; application/jsonl
 * - csv: header line then rows, '\n' line ends, RFC 4180 quoting; text/csv
 * - pretty: ASCII table like arrow's pretty printer; text/plain; charset=utf-8
 * Timestamps print as RFC3339 without zone ('2024-01-01T00:00:00', fraction only when non-zero),
 * booleans as true/false, floats with a '.0' when integral.
 */
export function formatResult(r: QueryResult, format: OutputFormat): { contentType: string; body: string } {
  switch (format) {
    case 'json':
      return { contentType: 'application/json', body: '[' + r.rows.map((row) => jsonObject(r, row)).join(',') + ']' };
    case 'jsonl':
      return { contentType: 'application/jsonl', body: r.rows.map((row) => jsonObject(r, row) + '\n').join('') };
    case 'csv': {
      const lines = [r.columns.map(csvField).join(',')];
      for (const row of r.rows) lines.push(r.columns.map((_, i) => csvField(valueText(row[i], r.types[i] ?? 'any'))).join(','));
      return { contentType: 'text/csv', body: lines.join('\n') + '\n' };
    }
    case 'pretty':
      return { contentType: 'text/plain; charset=utf-8', body: pretty(r) };
  }
}
