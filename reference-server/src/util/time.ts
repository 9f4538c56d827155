// Nanosecond timestamps as bigint, and their RFC3339 rendering.

export const NS_PER_MS = 1_000_000n;
export const NS_PER_S = 1_000_000_000n;

export function nowNs(): bigint {
  return BigInt(Date.now()) * NS_PER_MS;
}

/** RFC3339 with up to 9 fractional digits, 'Z' suffix; fraction trimmed when zero. */
export function formatRfc3339(ns: bigint): string {
  let secs = ns / NS_PER_S;
  let frac = ns % NS_PER_S;
  if (frac < 0n) {
    frac += NS_PER_S;
    secs -= 1n;
  }
  const iso = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  if (frac === 0n) return `${iso}Z`;
  return `${iso}.${frac.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses a timestamp given as RFC3339 text, a bare date (YYYY-MM-DD), or an integer of
 * nanoseconds (number or numeric string). Returns undefined when it is none of these.
 */
export function parseTimestamp(input: unknown): bigint | undefined {
  if (typeof input === 'bigint') return input;
  if (typeof input === 'number') return Number.isInteger(input) ? BigInt(input) : undefined;
  if (typeof input !== 'string') return undefined;
  const s = input.trim();
  if (/^-?\d+$/.test(s)) return BigInt(s);
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (dateOnly) return parseTimestamp(`${s}T00:00:00Z`);
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +se!);
  if (Number.isNaN(ms)) return undefined;
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  const fracNs = frac ? BigInt(frac.padEnd(9, '0')) : 0n;
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * NS_PER_MS + fracNs;
}

const UNITS: Record<string, bigint> = {
  ns: 1n, us: 1_000n, µs: 1_000n, ms: NS_PER_MS, s: NS_PER_S, m: 60n * NS_PER_S, h: 3600n * NS_PER_S,
  d: 86400n * NS_PER_S, w: 7n * 86400n * NS_PER_S,
};

/** Parses durations like "1d", "12h", "90m", "1h30m", "500ms" into nanoseconds. */
export function parseDuration(input: unknown): bigint | undefined {
  if (typeof input === 'number' && Number.isInteger(input) && input > 0) return BigInt(input);
  if (typeof input !== 'string' || input.trim() === '') return undefined;
  const re = /(\d+)(ns|us|µs|ms|s|m|h|d|w)/gy;
  let total = 0n;
  let m: RegExpExecArray | null;
  let consumed = 0;
  const s = input.trim();
  while ((m = re.exec(s))) {
    total += BigInt(m[1]!) * UNITS[m[2]!]!;
    consumed = re.lastIndex;
  }
  return consumed === s.length && total > 0n ? total : undefined;
}
