// Partial matching of JSON bodies (admin responses, catalog entries): an expected
// object may leave keys out; arrays match element by element; scalars compare
// with the same rules as query values. Returns where the first mismatch is.

import { showValue, valuesEqual } from './values.js';

export function partialMismatch(expected: unknown, actual: unknown, path = '$'): string | undefined {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return `${path}: expected an object, got ${showValue(actual)}`;
    for (const [k, v] of Object.entries(expected)) {
      const m = partialMismatch(v, (actual as Record<string, unknown>)[k], `${path}.${k}`);
      if (m) return m;
    }
    return undefined;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected a list, got ${showValue(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} item(s), got ${actual.length}: ${showValue(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const m = partialMismatch(expected[i], actual[i], `${path}[${i}]`);
      if (m) return m;
    }
    return undefined;
  }
  const key = path.split('.').pop();
  return valuesEqual(expected, actual, key) ? undefined : `${path}: expected ${showValue(expected)}, got ${showValue(actual)}`;
}
