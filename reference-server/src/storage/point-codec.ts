// Compact JSON form of points for the WAL, replication, hints and repair. 64-bit integers and
// timestamps travel as decimal strings so plain JSON.parse (no reviver) stays fast.
import type { FieldType, FieldValue, Point } from '../types.js';
import { compareBytes } from '../lineprotocol/parse.js';

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

/** Decodes a point this node (or a trusted peer) encoded; see decodePointChecked for others. */
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

/** An encoded point that does not have the codec's shape. */
export class BadEncodedPoint extends Error {}

const INT64 = /^-?\d{1,19}$/;
const UINT64 = /^\d{1,20}$/;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

/**
 * Decodes a point from outside this process (a peer's replica write or repair rows), checking
 * every part of its shape and range: a malformed point is refused before it reaches the WAL.
 */
export function decodePointChecked(e: unknown): Point {
  if (!Array.isArray(e) || e.length !== 4) throw new BadEncodedPoint('a point must be [measurement, tags, fields, time]');
  const [measurement, tags, f, time] = e as unknown[];
  if (typeof measurement !== 'string' || measurement === '') throw new BadEncodedPoint('point measurement must be a non-empty string');
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) throw new BadEncodedPoint('point tags must be an object');
  // Re-inserted in the parser's key order: series keys (row identity) depend on it.
  const sortedTags: Record<string, string> = {};
  for (const k of Object.keys(tags).sort(compareBytes)) {
    const v = (tags as Record<string, unknown>)[k];
    if (k === '' || typeof v !== 'string' || v === '') throw new BadEncodedPoint(`point tag ${JSON.stringify(k)} must be a non-empty string`);
    sortedTags[k] = v;
  }
  if (!Array.isArray(f) || f.length % 3 !== 0) throw new BadEncodedPoint('point fields must be [name, type, value, ...]');
  const fields: Record<string, FieldValue> = {};
  for (let i = 0; i < f.length; i += 3) {
    const name = f[i];
    const type = TYPE[f[i + 1] as number];
    const raw = f[i + 2];
    if (typeof name !== 'string' || name === '') throw new BadEncodedPoint('point field name must be a non-empty string');
    if (!type || !Number.isInteger(f[i + 1])) throw new BadEncodedPoint(`field ${JSON.stringify(name)} has unknown type code ${JSON.stringify(f[i + 1])}`);
    fields[name] = { type, value: fieldValue(name, type, raw) };
  }
  if (typeof time !== 'string' || !INT64.test(time)) throw new BadEncodedPoint('point time must be a decimal int64 string');
  const t = BigInt(time);
  if (t < I64_MIN || t > I64_MAX) throw new BadEncodedPoint('point time is outside int64');
  return { measurement, tags: sortedTags, fields, time: t, line: 0 };
}

function fieldValue(name: string, type: FieldType, raw: unknown): FieldValue['value'] {
  const bad = () => new BadEncodedPoint(`field ${JSON.stringify(name)} has a value that is not a valid ${type}`);
  switch (type) {
    case 'float':
      if (typeof raw !== 'number' || !Number.isFinite(raw)) throw bad();
      return raw;
    case 'integer': {
      if (typeof raw !== 'string' || !INT64.test(raw)) throw bad();
      const v = BigInt(raw);
      if (v < I64_MIN || v > I64_MAX) throw bad();
      return v;
    }
    case 'uinteger': {
      if (typeof raw !== 'string' || !UINT64.test(raw)) throw bad();
      const v = BigInt(raw);
      if (v > U64_MAX) throw bad();
      return v;
    }
    case 'string':
      if (typeof raw !== 'string') throw bad();
      return raw;
    case 'boolean':
      if (typeof raw !== 'boolean') throw bad();
      return raw;
  }
}
