// Field values of points as run writes them in line protocol: a number must be finite,
// a declared integer must be exact, and {int} / {uint} must fit 64 bits.

import type { FieldValueSpec } from './types.js';

const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const UINT64 = [0n, 2n ** 64n - 1n] as const;
const INTEGER_TYPES = ['integer', 'int64'];
const UINTEGER_TYPES = ['uinteger', 'uint64'];

function exact(v: number | string, kind: 'int' | 'uint'): string | undefined {
  const [lo, hi] = kind === 'int' ? INT64 : UINT64;
  const range = kind === 'int' ? '-2^63 to 2^63-1' : '0 to 2^64-1';
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return `${v} is not an integer`;
    if (!Number.isSafeInteger(v)) return `${v} is beyond 2^53, where numbers lose digits: write it as a string, like { ${kind}: "12345678901234567890" }`;
    if (BigInt(v) < lo) return `${v} is outside ${range}`;
    return undefined;
  }
  if (!(kind === 'int' ? /^-?\d{1,25}$/ : /^\d{1,25}$/).test(v)) return `"${v.slice(0, 40)}" is not ${kind === 'int' ? 'an integer' : 'an unsigned integer'}`;
  const n = BigInt(v);
  return n < lo || n > hi ? `${v} is outside ${range}` : undefined;
}

/** Why run could not write this value, or undefined. `declared`: the table's type for the field. */
export function checkFieldValue(v: FieldValueSpec, declared?: string): string | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return `${v} is not a finite number`;
    if (declared && INTEGER_TYPES.includes(declared)) return exact(v, 'int') && `the field is declared ${declared}: ${exact(v, 'int')}`;
    if (declared && UINTEGER_TYPES.includes(declared)) return exact(v, 'uint') && `the field is declared ${declared}: ${exact(v, 'uint')}`;
    return undefined;
  }
  if (v && typeof v === 'object') {
    if (v.int !== undefined) return exact(v.int, 'int');
    if (v.uint !== undefined) return exact(v.uint, 'uint');
  }
  return undefined;
}
