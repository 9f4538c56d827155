// Durations as scenario authors write them: "500ms", "10s", "1m30s", "2h", "1d".
// One reader for validate and run: a duration either reads under the rules of its
// use (how small, how large) or gets the message both of them print.

const UNIT_NS: Record<string, bigint> = {
  ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n,
};
const PART = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h|d)/y;
/** Longer texts are not durations (and would make BigInt arithmetic slow). */
const MAX_TEXT = 100;

/** Parses a duration into nanoseconds; undefined when the text is not a duration. */
export function parseDurationNs(text: string): bigint | undefined {
  const s = text.trim();
  if (s === '' || s.length > MAX_TEXT) return undefined;
  if (s === '0') return 0n;
  let total = 0n;
  let pos = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) return undefined;
    const [whole, num, unit] = m;
    const [int, frac = ''] = num!.split('.');
    const scale = UNIT_NS[unit!]!;
    total += BigInt(int!) * scale;
    if (frac) total += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    pos += whole.length;
  }
  return total;
}

/** The longest delay a Node timer honours (setTimeout clamps anything longer to 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The longest duration the runner waits for: 24 days, under MAX_TIMER_MS (about 24.8 days). */
export const MAX_WAIT_NS = 24n * UNIT_NS.d!;
export const MAX_WAIT_TEXT = '24d';

/**
 * What a duration is for, which decides its range:
 * - `timeout`: a deadline (step, await, scenario, node readiness): above zero, at most 24d;
 * - `interval`: time between await attempts: above zero (zero would spin), at most 24d;
 * - `pause`: a `wait` step: zero allowed, at most 24d;
 * - `bound`: a limit on how long a step took (expect_duration): above zero, at most 24d;
 * - `span`: a length of data time (a table's partition_duration): above zero, never waited for;
 * - `spacing`: data time between generated points: zero allowed (all at one instant); the
 *   instants it produces are range-checked where they are computed.
 */
export type DurationUse = 'timeout' | 'interval' | 'pause' | 'bound' | 'span' | 'spacing';

const ZERO_OK: Record<DurationUse, boolean> = { timeout: false, interval: false, pause: true, bound: false, span: false, spacing: true };
const WAITED: Record<DurationUse, boolean> = { timeout: true, interval: true, pause: true, bound: true, span: false, spacing: false };

export type DurationRead = { ns: bigint } | { error: string };

/** Reads a duration for a use: its value, or the message validate and run both give. */
export function readDuration(text: unknown, use: DurationUse): DurationRead {
  const ns = typeof text === 'string' ? parseDurationNs(text) : undefined;
  if (ns === undefined) {
    const negative = typeof text === 'string' && text.trim().startsWith('-');
    return { error: `${JSON.stringify(text)} is not a duration (${negative ? 'durations are not negative' : 'try 500ms, 10s, 1m30s, 1h, 1d'})` };
  }
  if (ns === 0n && !ZERO_OK[use]) {
    return { error: `${JSON.stringify(text)} is zero: ${use === 'interval' ? 'an interval' : use === 'timeout' ? 'a timeout' : 'this duration'} must be longer than 0` };
  }
  if (WAITED[use] && ns > MAX_WAIT_NS) return { error: `${JSON.stringify(text)} is too long: the runner waits at most ${MAX_WAIT_TEXT}` };
  return { ns };
}

export function isDurationError(r: DurationRead): r is { error: string } {
  return 'error' in r;
}

/**
 * A duration in milliseconds (fractions kept) for run time, read with the same rules as
 * validate (`fallback` when absent). Throws validate's message if the text breaks them.
 */
export function durationMs(text: string | undefined, fallback: number, use: DurationUse = 'timeout'): number {
  if (text === undefined) return fallback;
  const r = readDuration(text, use);
  if (isDurationError(r)) throw new Error(r.error);
  return Number(r.ns) / 1e6;
}

/** Like durationMs, in exact nanoseconds (for data time: generated points' spacing). */
export function durationNs(text: string | undefined, fallback: bigint, use: DurationUse): bigint {
  if (text === undefined) return fallback;
  const r = readDuration(text, use);
  if (isDurationError(r)) throw new Error(r.error);
  return r.ns;
}

/** A delay a Node timer honours: a sum of valid durations may exceed MAX_TIMER_MS. */
export function timerMs(ms: number): number {
  return Math.min(Math.max(0, Math.ceil(ms)), MAX_TIMER_MS);
}

/** Short human form: 850 ms, 1.2 s. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}
