// JSON from the cluster with integers kept exact. JSON.parse turns 9007199254740993 into
// 9007199254740992, so an int64/uint64 column could pass an expectation it does not meet.
// Integers beyond 2^53 become bigint; everything else parses as JSON.parse would.

import { isSafeNumber, parse } from 'lossless-json';

// Only a run of 16+ digits can be an unsafe integer; most bodies take the native fast path.
const LONG_DIGITS = /\d{16}/;
const INTEGER = /^-?\d+$/;

export function parseJsonExact(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  return parse(text, null, (digits: string) => (INTEGER.test(digits) && !isSafeNumber(digits) ? BigInt(digits) : Number(digits)));
}
