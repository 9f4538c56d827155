// Time helpers of the query layer: RFC3339 parsing, interval parsing, timestamp formatting and
// calendar arithmetic. Timestamps are bigint nanoseconds since the Unix epoch, always UTC.

import { badQuery, unsupported } from './errors.js';

export const NS_PER_US = 1_000n;
export const NS_PER_MS = 1_000_000n;
export const NS_PER_S = 1_000_000_000n;
export const NS_PER_MIN = 60n * NS_PER_S;
export const NS_PER_HOUR = 60n * NS_PER_MIN;
export const NS_PER_DAY = 24n * NS_PER_HOUR;
export const NS_PER_WEEK = 7n * NS_PER_DAY;

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Inverse of daysFromCivil. */
export function civilFromDays(z: number): { y: number; m: number; d: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: m <= 2 ? y + 1 : y, m, d };
}

function daysInMonth(y: number, m: number): number {
  return daysFromCivil(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1) - daysFromCivil(y, m, 1);
}

/** Floor division and modulo for bigints. */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}
export function floorMod(a: bigint, b: bigint): bigint {
  return a - floorDiv(a, b) * b;
}

const TS_RE =
  /^\s*([+-]?\d{4,6})-(\d{1,2})-(\d{1,2})(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*$/;

/**
 * Parse an RFC3339-like timestamp ('2024-01-01T00:00:00Z', '2024-01-01 00:00:00.123+02:00',
 * '2024-01-01'). A missing zone means UTC (InfluxDB 3 runs with a UTC session time zone).
 * Returns undefined when the text is not a timestamp.
 */
export function parseTimestamp(text: string): bigint | undefined {
  const m = TS_RE.exec(text);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = m[4] !== undefined ? Number(m[4]) : 0;
  const mi = m[5] !== undefined ? Number(m[5]) : 0;
  const s = m[6] !== undefined ? Number(m[6]) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  let frac = 0n;
  if (m[7] !== undefined) frac = BigInt(m[7].padEnd(9, '0'));
  let offsetMin = 0;
  const z = m[8];
  if (z !== undefined && z !== 'Z' && z !== 'z' && z !== 'UTC') {
    const sign = z[0] === '-' ? -1 : 1;
    const digits = z.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMin = sign * (oh * 60 + om);
  }
  const days = BigInt(daysFromCivil(y, mo, d));
  const secs = days * 86400n + BigInt(h * 3600 + mi * 60 + s) - BigInt(offsetMin * 60);
  const ns = secs * NS_PER_S + frac;
  if (ns < I64_MIN || ns > I64_MAX) return undefined;
  return ns;
}

/** parseTimestamp that throws a 400 QueryError naming the text. */
export function parseTimestampOrThrow(text: string): bigint {
  const v = parseTimestamp(text);
  if (v === undefined) throw badQuery(`Error parsing timestamp from '${text}': expected RFC3339 like '2024-01-01T00:00:00Z'`);
  return v;
}

function pad(n: number, w: number): string {
  const s = String(Math.abs(n)).padStart(w, '0');
  return n < 0 ? '-' + s : s;
}

/**
 * Format ns since the epoch the way InfluxDB 3 (arrow) prints Timestamp(Nanosecond, None):
 * '2024-01-01T00:00:00', with '.fff', '.ffffff' or '.fffffffff' only when the fraction is non-zero.
 */
export function formatTimestamp(ns: bigint): string {
  const secs = floorDiv(ns, NS_PER_S);
  const frac = ns - secs * NS_PER_S;
  const days = Number(floorDiv(secs, 86400n));
  const sod = Number(secs - BigInt(days) * 86400n);
  const { y, m, d } = civilFromDays(days);
  const hh = Math.floor(sod / 3600);
  const mi = Math.floor((sod % 3600) / 60);
  const ss = sod % 60;
  let out = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(hh, 2)}:${pad(mi, 2)}:${pad(ss, 2)}`;
  if (frac !== 0n) {
    if (frac % NS_PER_MS === 0n) out += '.' + String(frac / NS_PER_MS).padStart(3, '0');
    else if (frac % NS_PER_US === 0n) out += '.' + String(frac / NS_PER_US).padStart(6, '0');
    else out += '.' + String(frac).padStart(9, '0');
  }
  return out;
}

/** An interval as DataFusion's IntervalMonthDayNano. */
export interface Interval {
  months: number;
  days: number;
  ns: bigint;
}

const UNIT_ALIASES: Record<string, string> = {
  century: 'century', centuries: 'century',
  decade: 'decade', decades: 'decade',
  y: 'year', yr: 'year', yrs: 'year', year: 'year', years: 'year',
  mon: 'month', mons: 'month', month: 'month', months: 'month',
  w: 'week', week: 'week', weeks: 'week',
  d: 'day', day: 'day', days: 'day',
  h: 'hour', hr: 'hour', hrs: 'hour', hour: 'hour', hours: 'hour',
  m: 'minute', min: 'minute', mins: 'minute', minute: 'minute', minutes: 'minute',
  s: 'second', sec: 'second', secs: 'second', second: 'second', seconds: 'second',
  ms: 'millisecond', millisecond: 'millisecond', milliseconds: 'millisecond',
  us: 'microsecond', microsecond: 'microsecond', microseconds: 'microsecond',
  ns: 'nanosecond', nanosecond: 'nanosecond', nanoseconds: 'nanosecond',
};

const FIXED_NS: Record<string, bigint> = {
  week: NS_PER_WEEK, hour: NS_PER_HOUR, minute: NS_PER_MIN, second: NS_PER_S,
  millisecond: NS_PER_MS, microsecond: NS_PER_US, nanosecond: 1n,
};

/** Exact decimal string times a bigint scale, truncated toward zero. */
function scaleDecimal(num: string, scale: bigint): bigint {
  const neg = num.startsWith('-');
  const body = num.replace(/^[+-]/, '');
  const [ip, fp = ''] = body.split('.');
  const digits = fp.length;
  const whole = BigInt((ip || '0') + fp);
  const v = (whole * scale) / 10n ** BigInt(digits);
  return neg ? -v : v;
}

/**
 * Parse an interval text as written in `INTERVAL '...'`: '1 hour', '5 minutes', '2 days 3 hours',
 * '1.5 hours', '90 seconds', '1 month'. `unit` is the separate unit of `INTERVAL '1' HOUR`.
 */
export function parseInterval(text: string, unit?: string): Interval {
  const src = unit ? `${text} ${unit}` : text;
  const tokens = src.trim().toLowerCase().match(/[+-]?\d+(?:\.\d+)?|[a-z]+/g);
  if (!tokens || tokens.length === 0) throw badQuery(`invalid interval '${src}'`);
  const out: Interval = { months: 0, days: 0, ns: 0n };
  let i = 0;
  while (i < tokens.length) {
    const num = tokens[i]!;
    if (!/^[+-]?\d/.test(num)) throw badQuery(`invalid interval '${src}'`);
    let u = 'second';
    if (i + 1 < tokens.length && !/^[+-]?\d/.test(tokens[i + 1]!)) {
      const alias = UNIT_ALIASES[tokens[i + 1]!];
      if (!alias) throw badQuery(`invalid interval '${src}': unknown unit '${tokens[i + 1]}'`);
      u = alias;
      i += 2;
    } else {
      i += 1;
    }
    const isFrac = num.includes('.');
    switch (u) {
      case 'century': case 'decade': case 'year': case 'month': {
        if (isFrac) throw unsupported(`fractional ${u}s in interval '${src}'`);
        const mult = u === 'century' ? 1200 : u === 'decade' ? 120 : u === 'year' ? 12 : 1;
        out.months += Number(num) * mult;
        break;
      }
      case 'day':
        if (isFrac) out.ns += scaleDecimal(num, NS_PER_DAY);
        else out.days += Number(num);
        break;
      default:
        out.ns += scaleDecimal(num, FIXED_NS[u]!);
    }
  }
  return out;
}

/** Interval without months as ns (days count as 24 h: the session zone is UTC). */
export function intervalFixedNs(iv: Interval): bigint {
  return BigInt(iv.days) * NS_PER_DAY + iv.ns;
}

/** Add calendar months to a timestamp (day clamped to the end of the month, like DataFusion). */
export function addMonths(ts: bigint, months: number): bigint {
  if (months === 0) return ts;
  const days = floorDiv(ts, NS_PER_DAY);
  const rest = ts - days * NS_PER_DAY;
  const { y, m, d } = civilFromDays(Number(days));
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12 + 1;
  const nd = Math.min(d, daysInMonth(ny, nm));
  return BigInt(daysFromCivil(ny, nm, nd)) * NS_PER_DAY + rest;
}

export function addInterval(ts: bigint, iv: Interval, sign: 1 | -1): bigint {
  const months = sign * iv.months;
  const fixed = intervalFixedNs(iv);
  return addMonths(ts, months) + (sign === 1 ? fixed : -fixed);
}

/** Fixed strides of date_trunc units that are plain bins from the epoch (UTC). */
export function dateTruncFixed(unit: string): { stride: bigint; origin: bigint } | undefined {
  switch (unit) {
    case 'nanosecond': case 'nanoseconds': return { stride: 1n, origin: 0n };
    case 'microsecond': case 'microseconds': return { stride: NS_PER_US, origin: 0n };
    case 'millisecond': case 'milliseconds': return { stride: NS_PER_MS, origin: 0n };
    case 'second': case 'seconds': return { stride: NS_PER_S, origin: 0n };
    case 'minute': case 'minutes': return { stride: NS_PER_MIN, origin: 0n };
    case 'hour': case 'hours': return { stride: NS_PER_HOUR, origin: 0n };
    case 'day': case 'days': return { stride: NS_PER_DAY, origin: 0n };
    // 1970-01-01 was a Thursday; weeks start on Monday 1969-12-29.
    case 'week': case 'weeks': return { stride: NS_PER_WEEK, origin: -3n * NS_PER_DAY };
    default: return undefined;
  }
}

export const DATE_TRUNC_UNITS = [
  'nanosecond', 'microsecond', 'millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year',
];

/** date_trunc for any unit. Throws for an unknown unit. */
export function dateTrunc(unitIn: string, ts: bigint): bigint {
  const unit = unitIn.toLowerCase();
  const fixed = dateTruncFixed(unit);
  if (fixed) return ts - floorMod(ts - fixed.origin, fixed.stride);
  const days = Number(floorDiv(ts, NS_PER_DAY));
  const { y, m } = civilFromDays(days);
  switch (unit) {
    case 'month': case 'months': return BigInt(daysFromCivil(y, m, 1)) * NS_PER_DAY;
    case 'quarter': case 'quarters': return BigInt(daysFromCivil(y, m - ((m - 1) % 3), 1)) * NS_PER_DAY;
    case 'year': case 'years': return BigInt(daysFromCivil(y, 1, 1)) * NS_PER_DAY;
    default: throw badQuery(`Unsupported date_trunc granularity: '${unitIn}'`);
  }
}

/** date_part / EXTRACT. Returns an integer, or a float for 'epoch'. */
export function datePart(partIn: string, ts: bigint): bigint | number {
  const part = partIn.toLowerCase();
  const days = Number(floorDiv(ts, NS_PER_DAY));
  const nsOfDay = ts - BigInt(days) * NS_PER_DAY;
  const { y, m, d } = civilFromDays(days);
  const secOfDay = nsOfDay / NS_PER_S;
  const nsOfSec = nsOfDay % NS_PER_S;
  switch (part) {
    case 'year': case 'years': return BigInt(y);
    case 'quarter': return BigInt(Math.floor((m - 1) / 3) + 1);
    case 'month': case 'months': return BigInt(m);
    case 'week': case 'weeks': {
      // ISO 8601 week number.
      const dow = ((days % 7) + 7 + 3) % 7; // Monday = 0
      const thursday = days - dow + 3;
      const ty = civilFromDays(thursday).y;
      return BigInt(Math.floor((thursday - daysFromCivil(ty, 1, 1)) / 7) + 1);
    }
    case 'day': case 'days': return BigInt(d);
    case 'hour': case 'hours': return secOfDay / 3600n;
    case 'minute': case 'minutes': return (secOfDay % 3600n) / 60n;
    case 'second': case 'seconds': return secOfDay % 60n;
    case 'millisecond': case 'milliseconds': return (secOfDay % 60n) * 1000n + nsOfSec / NS_PER_MS;
    case 'microsecond': case 'microseconds': return (secOfDay % 60n) * 1_000_000n + nsOfSec / NS_PER_US;
    case 'nanosecond': case 'nanoseconds': return (secOfDay % 60n) * NS_PER_S + nsOfSec;
    case 'dow': return BigInt(((days % 7) + 7 + 4) % 7); // Sunday = 0
    case 'isodow': return BigInt(((days % 7) + 7 + 3) % 7 + 1);
    case 'doy': return BigInt(days - daysFromCivil(y, 1, 1) + 1);
    case 'epoch': return Number(ts) / 1e9;
    default: throw badQuery(`Unsupported date_part part: '${partIn}'`);
  }
}

export const DATE_PART_NAMES = new Set([
  'year', 'years', 'quarter', 'month', 'months', 'week', 'weeks', 'day', 'days', 'hour', 'hours', 'minute', 'minutes',
  'second', 'seconds', 'millisecond', 'milliseconds', 'microsecond', 'microseconds', 'nanosecond', 'nanoseconds',
  'dow', 'isodow', 'doy', 'epoch',
]);

/** DataFusion's debug rendering of an interval literal, used in column names. */
export function intervalDisplay(iv: Interval): string {
  return `IntervalMonthDayNano("IntervalMonthDayNano { months: ${iv.months}, days: ${iv.days}, nanoseconds: ${iv.ns} }")`;
}
