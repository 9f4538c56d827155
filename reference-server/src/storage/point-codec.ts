// Compact JSON form of points for the WAL, replication, hints and repair. 64-bit integers and
// timestamps travel as decimal strings so plain JSON.parse (no reviver) stays fast.
import type { FieldType, FieldValue, Point } from '../types.js';

const CODE: Record<FieldType, number> = { float: 0, integer: 1, uinteger: 2, string: 3, boolean: 4 };
const TYPE: FieldType[] = ['float', 'integer', 'uinteger', 'string', 'boolean'];

/** [measurement, tags, [name, code, value, ...], time] */
export type EncodedPoint = [string, Record<string, string>, unknown[], string];

export function encodePoint(p: Point): EncodedPoint {
  const f: unknown[] = [];
  for (const name in p.fields) {
    const v = p.fields[name]!;
    f.push(name, CODE[v.type], typeof v.value === 'bigint' ? v.value.toString() : v.value);
  }
  return [p.measurement, p.tags, f, p.time.toString()];
}

export function decodePoint(e: EncodedPoint, line = 0): Point {
  const fields: Record<string, FieldValue> = {};
  const f = e[2];
  for (let i = 0; i < f.length; i += 3) {
    const type = TYPE[f[i + 1] as number]!;
    const raw = f[i + 2];
    fields[f[i] as string] = { type, value: type === 'integer' || type === 'uinteger' ? BigInt(raw as string) : (raw as number | string | boolean) };
  }
  return { measurement: e[0], tags: e[1], fields, time: BigInt(e[3]), line };
}

export const encodePoints = (ps: Point[]): EncodedPoint[] => ps.map(encodePoint);
