// Durations as scenario authors write them: "500ms", "10s", "1m30s", "2h", "1d".

const UNIT_NS: Record<string, bigint> = {
  ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n,
};
const PART = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h|d)/y;

/** Parses a duration into nanoseconds; undefined when the text is not a duration. */
export function parseDurationNs(text: string): bigint | undefined {
  const s = text.trim();
  if (s === '' ) return undefined;
  if (s === '0') return 0n;
  PART.lastIndex = 0;
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

/** Parses a duration into milliseconds (fractions kept); undefined when invalid. */
export function parseDurationMs(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  const ns = parseDurationNs(text);
  return ns === undefined ? undefined : Number(ns) / 1e6;
}

/** Like parseDurationMs but throws: for values the lint has already checked. */
export function durationMs(text: string | number | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new Error(`invalid duration: ${String(text)}`);
  return ms;
}

/** Short human form: 850 ms, 1.2 s. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}

