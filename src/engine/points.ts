// Points as line protocol (for writes) and as rows (for expectations), and the
// seeded generator of points for bulk writes.

import type { FieldValueSpec, GenerateSpec, PointSpec } from '../scenario/types.js';
import { formatTimestamp } from '../scenario/time.js';
import type { Rng } from './rng.js';

const escMeasurement = (s: string) => s.replace(/[\\, ]/g, (c) => `\\${c}`);
const escKey = (s: string) => s.replace(/[\\,= ]/g, (c) => `\\${c}`);
const escString = (s: string) => s.replace(/[\\"]/g, (c) => `\\${c}`);

/**
 * A field value as line protocol. A plain number becomes an integer (`5i`) or unsigned (`5u`)
 * when the table declares the field so; otherwise a float.
 */
function fieldText(v: FieldValueSpec, declared?: string): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && declared === 'integer') return `${v}i`;
    if (Number.isInteger(v) && v >= 0 && declared === 'uinteger') return `${v}u`;
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return `"${escString(v)}"`;
  if (v.int !== undefined) return `${v.int}i`;
  return `${v.uint}u`;
}

/** `fieldTypes`: the table's declared field types, when the scenario declares the table. */
export function pointToLine(p: PointSpec, time: bigint, fieldTypes: Record<string, string> = {}): string {
  const tags = Object.entries(p.tags ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `,${escKey(k)}=${escKey(String(v))}`)
    .join('');
  const fields = Object.entries(p.fields).map(([k, v]) => `${escKey(k)}=${fieldText(v, fieldTypes[k])}`).join(',');
  return `${escMeasurement(p.table)}${tags} ${fields} ${time}`;
}

/** The row a query returns for this point: tags, fields and time. */
export function pointToRow(p: PointSpec, time: bigint): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.tags ?? {})) row[k] = String(v);
  for (const [k, v] of Object.entries(p.fields)) {
    row[k] = typeof v === 'object' ? exactNumber(BigInt(v.int ?? v.uint!)) : v;
  }
  row.time = formatTimestamp(time);
  return row;
}

/** An integer as a number where that is exact, else as bigint (int64/uint64 beyond 2^53). */
function exactNumber(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** count points from start, interval apart; tag values and field values from the seeded generator. */
export function generatePoints(g: GenerateSpec, start: bigint, intervalNs: bigint, rng: Rng): string[] {
  const lines: string[] = [];
  const fields = g.fields ?? { value: 'float' };
  for (let i = 0; i < g.count; i++) {
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(g.tags ?? {})) tags[k] = Array.isArray(v) ? rng.pick(v) : v;
    const f: Record<string, FieldValueSpec> = {};
    for (const [k, type] of Object.entries(fields)) {
      switch (type) {
        case 'float': f[k] = Math.round(rng.float() * 1e6) / 1e3 + 0.5; break;
        case 'integer': f[k] = { int: rng.int(2_000_001) - 1_000_000 }; break;
        case 'uinteger': f[k] = { uint: rng.int(1_000_000) }; break;
        case 'string': f[k] = `s${rng.next().toString(36)}`; break;
        case 'boolean': f[k] = rng.int(2) === 1; break;
      }
    }
    lines.push(pointToLine({ table: g.table, tags, fields: f, time: 0 }, start + BigInt(i) * intervalNs));
  }
  return lines;
}
