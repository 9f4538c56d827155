// InfluxDB line protocol parser for the reference server.
//
// Grammar and edge cases follow the parser InfluxDB 3 Core uses (the Rust crate
// `influxdb_line_protocol`, a port of the Go parser), checked against its source and tests:
//
// - Lines are split on `\n`, except that a newline inside a double-quoted string field value
//   does not end the line, and a backslash escapes the character after it (so `\` + newline
//   does not end the line either). The quote tracking is a port of InfluxDB's `split_lines`.
// - Leading spaces/tabs are ignored; blank lines and lines whose first non-blank character is
//   `#` are skipped. `\r\n` line endings are accepted (the `\r` is dropped) — real InfluxDB 3
//   rejects the trailing `\r` as unparsable content; the reference server is deliberately more
//   lenient here.
// - Elements are separated by one or more spaces (tabs are not separators). Trailing spaces
//   are accepted after a timestamp; after a field set without a timestamp they are an error,
//   as in InfluxDB 3.
// - Measurement: ends at `,`, space or tab; `\,` `\ ` `\\` are escapes. Tag key: ends at `=`,
//   space or tab (an unescaped comma is part of the key); tag value: ends at `,`, space or tab
//   (an unescaped `=` is part of the value); field key: ends at `=`, space or tab. In tag keys,
//   tag values and field keys `\,` `\=` `\ ` `\\` are escapes. A backslash before any other
//   character is kept literally, together with that character. A name whose unescaped text
//   ends with a backslash is an error.
// - String field values: `\"` and `\\` are escapes, any other backslash is literal.
// - Field values: float `-?\d+(\.\d+)?([eE][+-]?\d+)?`, integer `-?\d+i` (int64), unsigned
//   `\d+u` (uint64), string, boolean t/T/true/True/TRUE/f/F/false/False/FALSE.
// - Timestamp: `-?\d+` within int64, scaled by the precision; `auto` guesses the unit from the
//   magnitude exactly as InfluxDB 3 does (`guess_precision` in influxdb3_types: |ts| < 5e9 → s,
//   < 5e12 → ms, < 5e15 → µs, otherwise ns). A line without a timestamp gets the default time,
//   truncated to the precision (InfluxDB 3's `truncate_to_precision`; unchanged for auto/ns).
//
// Stricter than InfluxDB 3 (documented choices): duplicate field keys within a line and float
// values that overflow to ±Infinity are rejected. Not enforced: InfluxDB's length limits on
// names and string values.
//
// Performance (well over 1M simple lines/s; see bench/line-protocol.mjs): the hot path scans
// with charCodeAt and slices, with no regular expressions and no per-character concatenation
// (escapes are the only slow path). Module-level caches, bounded and holding only strings
// detached from request bodies, skip re-parsing repeated series keys (measurement + tag set) and
// reuse name strings that repeat at the same position, which also spares V8 re-internalizing
// them as property keys. Lines are looked at once or twice: a quote or a trailing backslash on a
// line triggers the exact InfluxDB line-splitting scan.

import type { FieldValue, LineError, Point, Precision } from '../types.js';

/** Every timestamp precision the write APIs accept: `Precision` plus v1's minutes and hours. */
export type WritePrecision = Precision | 'm' | 'h';

export interface ParseOptions {
  /** Unit of the timestamps in the body. Any `Precision` works; `m`/`h` come from the v1 API. */
  precision: WritePrecision;
  /** ns timestamp used for lines without one (truncated to the precision, as InfluxDB 3 does). */
  defaultTime: bigint;
}

export interface ParseResult {
  points: Point[];
  errors: LineError[];
}

/** An invalid query parameter; the HTTP layer should answer 400 with `message`. */
export class ParamError extends Error {
  readonly status = 400;
  readonly param: string;
  constructor(param: string, message: string) {
    super(message);
    this.name = 'ParamError';
    this.param = param;
  }
}

// ---------------------------------------------------------------------------------------------
// precision query parameter

const V3_PRECISIONS: Record<string, Precision> = {
  auto: 'auto',
  nanosecond: 'ns',
  ns: 'ns',
  n: 'ns',
  microsecond: 'us',
  us: 'us',
  u: 'us',
  millisecond: 'ms',
  ms: 'ms',
  second: 's',
  s: 's',
};
const V2_PRECISIONS: Record<string, Precision> = { ns: 'ns', us: 'us', ms: 'ms', s: 's' };
const V1_PRECISIONS: Record<string, WritePrecision> = {
  n: 'ns',
  ns: 'ns',
  u: 'us',
  us: 'us',
  ms: 'ms',
  s: 's',
  m: 'm',
  h: 'h',
};

/**
 * Map the `precision` query parameter of a write API to a precision, or throw ParamError.
 *
 * - v3 (`/api/v3/write_lp`): auto|nanosecond|microsecond|millisecond|second, the short forms
 *   ns|us|ms|s, and n|u (InfluxDB 3 accepts these aliases too). Absent → `auto`.
 * - v2 (`/api/v2/write`): ns|us|ms|s. Absent → `ns`.
 * - v1 (`/write`): n|ns|u|us|ms|s|m|h (m = minutes, h = hours). Absent → `ns`.
 *
 * Values are case-sensitive, as in InfluxDB. An empty value is rejected.
 */
export function parsePrecision(api: 'v3' | 'v2' | 'v1', raw: string | null): WritePrecision {
  let table: Record<string, WritePrecision>;
  let expected: string;
  let endpoint: string;
  switch (api) {
    case 'v3':
      if (raw === null) return 'auto';
      table = V3_PRECISIONS;
      expected = 'auto, nanosecond, microsecond, millisecond, second, ns, us, ms, s';
      endpoint = '/api/v3/write_lp';
      break;
    case 'v2':
      if (raw === null) return 'ns';
      table = V2_PRECISIONS;
      expected = 'ns, us, ms, s';
      endpoint = '/api/v2/write';
      break;
    case 'v1':
      if (raw === null) return 'ns';
      table = V1_PRECISIONS;
      expected = 'n, ns, u, us, ms, s, m, h';
      endpoint = '/write';
      break;
    default:
      throw new ParamError('precision', `unknown write API '${String(api)}'`);
  }
  if (Object.prototype.hasOwnProperty.call(table, raw)) return table[raw]!;
  throw new ParamError(
    'precision',
    `invalid precision '${raw}' for ${endpoint}: expected one of ${expected}`,
  );
}

// ---------------------------------------------------------------------------------------------
// character codes

const CH_TAB = 9;
const CH_NL = 10;
const CH_CR = 13;
const CH_SP = 32;
const CH_DQ = 34;
const CH_HASH = 35;
const CH_PLUS = 43;
const CH_COMMA = 44;
const CH_MINUS = 45;
const CH_DOT = 46;
const CH_0 = 48;
const CH_9 = 57;
const CH_EQ = 61;
const CH_E_UP = 69;
const CH_BS = 92;
const CH_E_LO = 101;
const CH_I = 105;
const CH_U = 117;

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

/** Largest digit count whose value is always exact as a JS number (< 2^53). */
const SAFE_DIGITS = 15;

const ENDS_WITH_BACKSLASH =
  'Measurements, tag keys and values, and field keys may not end with a backslash';

const PRECISION_NAMES: Record<WritePrecision, string> = {
  auto: 'Auto',
  ns: 'Nanosecond',
  us: 'Microsecond',
  ms: 'Millisecond',
  s: 'Second',
  m: 'Minute',
  h: 'Hour',
};

const MULTIPLIERS: Record<Exclude<WritePrecision, 'auto'>, bigint> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

// ---------------------------------------------------------------------------------------------
// scratch state (the parser is synchronous, so module-level buffers are safe to reuse)

const tagKeys: string[] = [];
const tagVals: string[] = [];
const tagCols: number[] = [];
const fieldKeys: string[] = [];
const order: number[] = [];
/**
 * Recently seen names, per position (measurement; tag key by tag index; field key by field
 * index). Lines in a batch mostly repeat the same names, so reusing the previous string
 * when the text matches avoids allocating a new string and re-internalizing it as a property key.
 */
const measCache: string[] = [];
const tagKeyCache: string[] = [];
const fieldKeyCache: string[] = [];
/** Outputs of `parseSeries`. */
let parsedMeasurement = '';
let parsedTags: Record<string, string> = {};
let parsedSeriesEnd = 0;

/**
 * Series keys seen recently: text of the measurement and tag set → parsed result. A hit skips
 * parsing them (each point still gets its own tags object). Only series keys that parsed
 * successfully and were followed by a space are stored, so equal text means an equal parse:
 * the key ends at the first unescaped space and escaping is decided by the text itself. All
 * strings in it are detached from the request body. Cleared when it grows too large.
 */
interface SeriesEntry {
  measurement: string;
  tags: Record<string, string>;
}
const seriesCache = new Map<string, SeriesEntry>();
const SERIES_CACHE_MAX = 10_000;
/** Hits minus misses of the series cache, clamped; lookups are mostly skipped while negative. */
let seriesScore = 0;
const SERIES_SCORE_LIMIT = 64;
let seriesProbe = 0;

function storeSeries(text: string, measurement: string, tags: Record<string, string>): void {
  if (seriesCache.size >= SERIES_CACHE_MAX) seriesCache.clear();
  // Tag keys and the measurement are detached already; tag values are plain slices.
  const copy = new PlainObject() as Record<string, string>;
  for (const key of Object.keys(tags)) setTag(copy, key, detach(tags[key]!));
  seriesCache.set(detach(text), { measurement, tags: copy });
}

/** Upper digits of the last long timestamp and their value times 1e9. */
let lastTsHi = -1;
let lastTsHiBig = 0n;
/** The last long timestamp: its lower 9 digits, sign and value. */
let lastTsLo = -1;
let lastTsNeg = false;
let lastTsRaw = 0n;

/** Newlines inside the extent found by the last `scanLineEnd` call. */
let scannedNewlines = 0;

// ---------------------------------------------------------------------------------------------
// result objects
//
// Points, field sets and field values are plain objects (their prototype is Object.prototype,
// exactly like object literals), but they are built by constructor functions rather than
// literals. V8 tracks object literal allocation sites and, when their objects survive (as
// points do until the caller stores them), may switch those sites to old-space allocation;
// that made parsing about a third slower in roughly half of the benchmark runs. Constructor
// calls are always allocated in the young generation.

interface PointConstructor {
  new (
    measurement: string,
    tags: Record<string, string>,
    fields: Record<string, FieldValue>,
    time: bigint,
  ): Point;
}
interface FieldValueConstructor {
  new (type: FieldValue['type'], value: FieldValue['value']): FieldValue;
}
interface PlainObjectConstructor {
  new (): object;
}

function PointFn(
  this: Point,
  measurement: string,
  tags: Record<string, string>,
  fields: Record<string, FieldValue>,
  time: bigint,
): void {
  this.measurement = measurement;
  this.tags = tags;
  this.fields = fields;
  this.time = time;
  this.line = 0;
}
PointFn.prototype = Object.prototype;
const PointObject = PointFn as unknown as PointConstructor;

function FieldValueFn(this: FieldValue, type: FieldValue['type'], value: FieldValue['value']): void {
  this.type = type;
  this.value = value;
}
FieldValueFn.prototype = Object.prototype;
const FieldValueObject = FieldValueFn as unknown as FieldValueConstructor;

function PlainFn(): void {}
PlainFn.prototype = Object.prototype;
const PlainObject = PlainFn as unknown as PlainObjectConstructor;

// ---------------------------------------------------------------------------------------------
// public entry point

/**
 * Parse a line-protocol body. Valid lines become points (in body order); each invalid line
 * becomes a LineError and parsing continues with the next line.
 */
/** Set by scanKey: whether the key it just scanned contains a backslash escape. */
let keyHadEscape = false;

/**
 * Scans a tag or field key from `i`: returns the index of the '=', space or tab that ends it
 * (or `e`), skipping escaped characters, and sets keyHadEscape.
 */
function scanKey(body: string, i: number, e: number): number {
  keyHadEscape = false;
  while (i < e) {
    const c = body.charCodeAt(i);
    if (c === CH_EQ || c === CH_SP || c === CH_TAB) break;
    if (c === CH_BS) {
      keyHadEscape = true;
      i += 2;
      continue;
    }
    i++;
  }
  return i > e ? e : i;
}

export function parseLineProtocol(body: string, opts: ParseOptions): ParseResult {
  const points: Point[] = [];
  const errors: LineError[] = [];
  // Built before the loop: a result literal after the loop has no type feedback when the loop
  // was compiled on-stack, which made V8 deoptimize at the end of every call.
  const result: ParseResult = { points, errors };
  const len = body.length;
  const precision = opts.precision;
  if (!Object.prototype.hasOwnProperty.call(PRECISION_NAMES, precision)) {
    throw new TypeError(`parseLineProtocol: unknown precision '${String(precision)}'`);
  }
  const defaultTime =
    precision === 'auto' || precision === 'ns'
      ? opts.defaultTime
      : (opts.defaultTime / MULTIPLIERS[precision]) * MULTIPLIERS[precision];

  let pos = 0; // start of the current physical line
  let lineNo = 1;
  let nextQuote = -1; // cached index of the next '"' at or after pos (len when none)
  let nextSpace = -1; // cached index of the next ' ' after the line's first character

  while (pos < len) {
    // Skip leading blanks to classify the line.
    let s = pos;
    let c = 0;
    while (s < len && ((c = body.charCodeAt(s)) === CH_SP || c === CH_TAB)) s++;
    if (s >= len) break;
    if (c === CH_NL) {
      pos = s + 1;
      lineNo++;
      continue;
    }
    if (c === CH_CR && (s + 1 >= len || body.charCodeAt(s + 1) === CH_NL)) {
      pos = s + 2;
      lineNo++;
      continue;
    }
    if (c === CH_HASH) {
      // Comment: ignored up to the end of the physical line.
      const nl = body.indexOf('\n', s);
      if (nl < 0) break;
      pos = nl + 1;
      lineNo++;
      continue;
    }

    // Find the end of the logical line.
    let end = body.indexOf('\n', s);
    if (end < 0) end = len;
    if (nextQuote < pos) {
      nextQuote = body.indexOf('"', pos);
      if (nextQuote < 0) nextQuote = len;
    }
    let extraLines = 0;
    if (nextQuote < end || (end > s && body.charCodeAt(end - 1) === CH_BS)) {
      // A quote or an escaped newline may let the line continue past this newline.
      end = scanLineEnd(body, pos, len);
      extraLines = scannedNewlines;
    }
    let e = end;
    if (e > s && body.charCodeAt(e - 1) === CH_CR) e--;

    if (nextSpace <= s) {
      nextSpace = body.indexOf(' ', s + 1);
      if (nextSpace < 0) nextSpace = len;
    }
    const r = parseLine(body, s, e, pos, nextSpace, precision, defaultTime);
    if (typeof r === 'string') {
      errors.push({ error_message: r, line_number: lineNo, original_line: body.slice(pos, e) });
    } else {
      r.line = lineNo;
      points.push(r);
    }
    lineNo += 1 + extraLines;
    pos = end + 1;
  }
  // Drop scratch references into this body so it can be collected.
  for (let k = 0; k < tagVals.length; k++) tagVals[k] = '';
  parsedTags = {};
  return result;
}

/**
 * Port of InfluxDB's `split_lines`: the index of the newline that ends the line starting at
 * `start` (or `len`), ignoring newlines that are escaped or inside a quoted string field value.
 * Sets `scannedNewlines` to the number of newlines skipped.
 */
function scanLineEnd(body: string, start: number, len: number): number {
  let quoted = false;
  let fields = false;
  let equals = 0;
  let commas = 0;
  let newlines = 0;
  for (let i = start; i < len; i++) {
    const c = body.charCodeAt(i);
    if (c === CH_BS) {
      if (i + 1 < len && body.charCodeAt(i + 1) === CH_NL) newlines++;
      i++;
      continue;
    }
    if (c === CH_SP) {
      fields = true;
      continue;
    }
    if (fields) {
      if (!quoted && c === CH_EQ) {
        equals++;
        continue;
      }
      if (!quoted && c === CH_COMMA) {
        commas++;
        continue;
      }
      if (c === CH_DQ && equals > commas) {
        quoted = !quoted;
        continue;
      }
    }
    if (c === CH_NL) {
      if (!quoted) {
        scannedNewlines = newlines;
        return i;
      }
      newlines++;
    }
  }
  scannedNewlines = newlines;
  return len;
}

// ---------------------------------------------------------------------------------------------
// one line

/**
 * Parse the line whose first non-blank character is at `s` and whose content ends at `e`
 * (exclusive, terminator removed). `ls` is the start of the line, for column numbers; `sp` is
 * the index of the first space after `s` (or the body length).
 * Returns the point (with `line` still to be set) or an error message.
 */
function parseLine(
  body: string,
  s: number,
  e: number,
  ls: number,
  sp: number,
  precision: WritePrecision,
  defaultTime: bigint,
): Point | string {
  let i = s;
  let c = 0;
  let esc = false;

  // --- series key (measurement and tag set)
  // Try the cache first: the series key ends at the first unescaped space, so if the text up to
  // the first space is a cached series key, the parse would give the cached result (see
  // `seriesCache`).
  let measurement: string;
  let tags: Record<string, string>;
  // While the cache mostly misses (every line a new series), only every 64th line uses it.
  const useCache = seriesScore >= 0 || (++seriesProbe & 63) === 0;
  const entry = useCache && sp < e ? seriesCache.get(body.slice(s, sp)) : undefined;
  if (entry !== undefined) {
    if (seriesScore < SERIES_SCORE_LIMIT) seriesScore++;
    measurement = entry.measurement;
    tags = { ...entry.tags };
    i = sp;
    c = CH_SP;
  } else {
    const err = parseSeries(body, s, e, ls);
    if (err !== null) return err;
    i = parsedSeriesEnd;
    c = i < e ? body.charCodeAt(i) : -1;
    measurement = parsedMeasurement;
    tags = parsedTags;
    if (useCache && c === CH_SP) {
      if (seriesScore > -SERIES_SCORE_LIMIT) seriesScore--;
      storeSeries(body.slice(s, i), measurement, tags);
    }
  }

  // --- separator between series key and field set
  if (c !== CH_SP) {
    if (c < 0) {
      return `No fields were provided: expected a space and at least one field after the series key at column ${col(i, ls)}`;
    }
    return `Expected at least one space character after the series key, got ${context(body, i, e)} at column ${col(i, ls)}`;
  }
  while (i < e && body.charCodeAt(i) === CH_SP) i++;
  if (i >= e) {
    return `No fields were provided: expected at least one field after the series key at column ${col(i, ls)}`;
  }

  // --- field set
  const fields = new PlainObject() as Record<string, FieldValue>;
  let nFields = 0;
  for (;;) {
    const ks = i;
    i = scanKey(body, i, e);
    esc = keyHadEscape;
    if (i === ks) {
      return `Expected field key, got ${context(body, ks, e)} at column ${col(ks, ls)}`;
    }
    let key: string;
    if (esc) {
      key = detach(unescapeName(body, ks, i, true));
      if (key.charCodeAt(key.length - 1) === CH_BS) {
        return `${ENDS_WITH_BACKSLASH}: field key ${quote(body.slice(ks, i))} at column ${col(ks, ls)}`;
      }
    } else {
      key = sliceCached(body, ks, i, fieldKeyCache, nFields);
    }
    if (i >= e || body.charCodeAt(i) !== CH_EQ) {
      return nFields === 0
        ? `No fields were provided: could not find equals sign after ${quote(body.slice(ks, i))} at column ${col(i, ls)}`
        : `Field set malformed: could not find equals sign after field key ${quote(body.slice(ks, i))} at column ${col(i, ls)}`;
    }
    i++; // '='
    const vs = i;
    if (i >= e) {
      return `Missing value for field ${quote(key)} at column ${col(i, ls)}`;
    }
    let value: FieldValue;
    c = body.charCodeAt(i);
    if (c === CH_DQ) {
      i++;
      const ss = i;
      esc = false;
      while (i < e) {
        c = body.charCodeAt(i);
        if (c === CH_DQ) break;
        if (c === CH_BS) {
          esc = true;
          i += 2;
          continue;
        }
        i++;
      }
      if (i >= e) {
        return `Unterminated string value for field ${quote(key)}: missing closing double quote for the string starting at column ${col(vs, ls)}`;
      }
      value = new FieldValueObject('string', esc ? unescapeString(body, ss, i) : body.slice(ss, i));
      i++; // closing quote
      if (i < e) {
        c = body.charCodeAt(i);
        if (c !== CH_COMMA && c !== CH_SP) {
          return `Unexpected content after the string value of field ${quote(key)}: ${context(body, i, e)} at column ${col(i, ls)}`;
        }
      }
    } else {
      while (i < e) {
        c = body.charCodeAt(i);
        if (c === CH_COMMA || c === CH_SP) break;
        i++;
      }
      if (i === vs) {
        return `Missing value for field ${quote(key)} at column ${col(i, ls)}`;
      }
      const v = parseScalar(body, vs, i);
      if (typeof v === 'string') {
        return `${v} for field ${quote(key)} at column ${col(vs, ls)}${scalarReason}`;
      }
      value = v;
    }

    // duplicate field keys: a scan for the usual few fields, a property lookup beyond that
    let dup = false;
    if (nFields < 8) {
      for (let k = 0; k < nFields; k++) {
        if (fieldKeys[k] === key) {
          dup = true;
          break;
        }
      }
      fieldKeys[nFields] = key;
    } else {
      dup = fields[key] !== undefined && Object.prototype.hasOwnProperty.call(fields, key);
    }
    if (dup) {
      return `Must not contain duplicate fields, but ${quote(key)} was repeated at column ${col(ks, ls)}`;
    }
    nFields++;
    if (key === '__proto__') defineOwn(fields, key, value);
    else fields[key] = value;

    if (i >= e) break;
    if (body.charCodeAt(i) === CH_COMMA) {
      i++;
      continue;
    }
    break; // a space
  }

  // --- timestamp
  let time: bigint;
  if (i >= e) {
    time = defaultTime;
  } else {
    const ws = i;
    while (i < e && body.charCodeAt(i) === CH_SP) i++;
    if (i >= e) {
      return `Could not parse entire line: trailing whitespace at column ${col(ws, ls)} is only allowed after a timestamp`;
    }
    const ts = i;
    let neg = false;
    if (body.charCodeAt(i) === CH_MINUS) {
      neg = true;
      i++;
    }
    const ds = i;
    while (i < e) {
      c = body.charCodeAt(i);
      if (c < CH_0 || c > CH_9) break;
      i++;
    }
    if (i === ds || (i < e && body.charCodeAt(i) !== CH_SP)) {
      let te = i;
      while (te < e && body.charCodeAt(te) !== CH_SP) te++;
      return `Unable to parse timestamp value ${quote(body.slice(ts, te))} at column ${col(ts, ls)}: expected an integer`;
    }
    const te = i;
    while (i < e && body.charCodeAt(i) === CH_SP) i++;
    if (i < e) {
      return `Could not parse entire line. Found trailing content: ${context(body, i, e)} at column ${col(i, ls)}`;
    }
    let raw: bigint;
    const digits = te - ds;
    if (digits <= SAFE_DIGITS) {
      const n = digitsValue(body, ds, te);
      raw = BigInt(neg ? -n : n);
    } else if (digits <= 19) {
      // Split into an upper part (<= 10 digits) and the last 9 digits, both exact numbers.
      // Timestamps in a batch usually share the upper part, so its BigInt is reused.
      const split = te - 9;
      const hi = digitsValue(body, ds, split);
      const lo = digitsValue(body, split, te);
      const tooBig =
        digits === 19 &&
        (hi > 9223372036 || (hi === 9223372036 && lo > (neg ? 854775808 : 854775807)));
      if (tooBig) {
        return `Unable to parse timestamp value ${quote(body.slice(ts, te))} at column ${col(ts, ls)}: out of range for a 64-bit integer`;
      }
      if (hi === lastTsHi && lo === lastTsLo && neg === lastTsNeg) {
        raw = lastTsRaw; // same timestamp as the previous line: common in batches
      } else {
        if (hi !== lastTsHi) {
          lastTsHi = hi;
          lastTsHiBig = BigInt(hi) * 1_000_000_000n;
        }
        raw = lastTsHiBig + BigInt(lo);
        if (neg) raw = -raw;
        lastTsLo = lo;
        lastTsNeg = neg;
        lastTsRaw = raw;
      }
    } else {
      raw = BigInt(body.slice(ts, te));
      if (raw < I64_MIN || raw > I64_MAX) {
        return `Unable to parse timestamp value ${quote(body.slice(ts, te))} at column ${col(ts, ls)}: out of range for a 64-bit integer`;
      }
    }
    if (precision === 'ns') {
      time = raw;
    } else {
      let mult: bigint;
      if (precision === 'auto') {
        const abs = raw < 0n ? -raw : raw;
        mult =
          abs < 5_000_000_000n
            ? 1_000_000_000n
            : abs < 5_000_000_000_000n
              ? 1_000_000n
              : abs < 5_000_000_000_000_000n
                ? 1_000n
                : 1n;
      } else {
        mult = MULTIPLIERS[precision];
      }
      time = raw * mult;
      if (time < I64_MIN || time > I64_MAX) {
        return `timestamp, ${raw}, out of range for precision: ${PRECISION_NAMES[precision]} at column ${col(ts, ls)}`;
      }
    }
  }

  return new PointObject(measurement, tags, fields, time);
}

/**
 * Parse the measurement and tag set starting at `s`. On success returns null and sets
 * `parsedMeasurement`, `parsedTags` (keys in byte order) and `parsedSeriesEnd`; otherwise
 * returns the error message.
 */
function parseSeries(body: string, s: number, e: number, ls: number): string | null {
  let i = s;
  let c = 0;
  let esc = false;

  // --- measurement (as in InfluxDB 3, an unescaped NUL character also ends it)
  while (i < e) {
    c = body.charCodeAt(i);
    if (c === CH_COMMA || c === CH_SP || c === CH_TAB || c === 0) break;
    if (c === CH_BS) {
      esc = true;
      i += 2;
      continue;
    }
    i++;
  }
  if (i > e) i = e;
  if (i === s) {
    return `Invalid measurement was provided: the measurement name is empty at column ${col(s, ls)}`;
  }
  let measurement: string;
  if (esc) {
    measurement = detach(unescapeName(body, s, i, false));
    if (measurement.charCodeAt(measurement.length - 1) === CH_BS) {
      return `${ENDS_WITH_BACKSLASH}: measurement ${quote(body.slice(s, i))} at column ${col(s, ls)}`;
    }
  } else {
    measurement = sliceCached(body, s, i, measCache, 0);
  }

  // --- tag set
  let nTags = 0;
  c = i < e ? body.charCodeAt(i) : -1;
  while (c === CH_COMMA) {
    i++;
    const ks = i;
    i = scanKey(body, i, e);
    esc = keyHadEscape;
    if (i === ks) {
      return `Expected tag key, got ${context(body, ks, e)} at column ${col(ks, ls)}`;
    }
    let key: string;
    if (esc) {
      key = detach(unescapeName(body, ks, i, true));
      if (key.charCodeAt(key.length - 1) === CH_BS) {
        return `${ENDS_WITH_BACKSLASH}: tag key ${quote(body.slice(ks, i))} at column ${col(ks, ls)}`;
      }
    } else {
      key = sliceCached(body, ks, i, tagKeyCache, nTags);
    }
    if (i >= e || body.charCodeAt(i) !== CH_EQ) {
      return `Tag set malformed: could not find equals sign in ${context(body, ks, e)} at column ${col(i, ls)}`;
    }
    i++; // '='
    const vs = i;
    esc = false;
    while (i < e) {
      c = body.charCodeAt(i);
      if (c === CH_COMMA || c === CH_SP || c === CH_TAB) break;
      if (c === CH_BS) {
        esc = true;
        i += 2;
        continue;
      }
      i++;
    }
    if (i > e) i = e;
    if (i === vs) {
      return `Expected tag value for tag key ${quote(key)}, got ${context(body, vs, e)} at column ${col(vs, ls)}`;
    }
    let value: string;
    if (esc) {
      value = unescapeName(body, vs, i, true);
      if (value.charCodeAt(value.length - 1) === CH_BS) {
        return `${ENDS_WITH_BACKSLASH}: tag value ${quote(body.slice(vs, i))} at column ${col(vs, ls)}`;
      }
    } else {
      value = body.slice(vs, i);
    }
    tagKeys[nTags] = key;
    tagVals[nTags] = value;
    tagCols[nTags] = ks;
    nTags++;
    c = i < e ? body.charCodeAt(i) : -1;
  }

  const tags = new PlainObject() as Record<string, string>;
  if (nTags > 0) {
    const dup = buildTags(tags, nTags);
    if (dup >= 0) {
      return `Must not contain duplicate tags, but ${quote(tagKeys[dup]!)} was repeated at column ${col(tagCols[dup]!, ls)}`;
    }
  }
  parsedMeasurement = measurement;
  parsedTags = tags;
  parsedSeriesEnd = i;
  return null;
}

/** `body.slice(a, b)`, or the string cached at `cache[k]` when it has the same text. */
function sliceCached(body: string, a: number, b: number, cache: string[], k: number): string {
  const n = b - a;
  if (k < cache.length) {
    const prev = cache[k]!;
    if (prev.length === n) {
      let j = 0;
      while (j < n && prev.charCodeAt(j) === body.charCodeAt(a + j)) j++;
      if (j === n) return prev;
    }
  } else if (k > cache.length || k >= MAX_CACHED_NAMES) {
    return detach(body.slice(a, b));
  }
  const str = detach(body.slice(a, b));
  cache[k] = str;
  return str;
}

/**
 * A copy of `s` that does not keep the request body alive. V8 represents slices of 13+
 * characters as views into the parent string (and concatenations as trees of their parts), so
 * strings kept in the module-level caches must be copied or they pin old request bodies.
 * Using the string as a property key makes V8 store an internalized flat copy, which
 * Object.keys returns. Short slices are already copies.
 */
function detach(s: string): string {
  if (s.length < 13) return s;
  const holder: Record<string, true> = {};
  holder[s] = true;
  return Object.keys(holder)[0]!;
}

const MAX_CACHED_NAMES = 64;

// ---------------------------------------------------------------------------------------------
// field values

/**
 * Parse a non-string field value token [a, b). Returns the value, or the start of an error
 * message; the caller appends the field key and column, then `scalarReason`.
 */
function parseScalar(body: string, a: number, b: number): FieldValue | string {
  const first = body.charCodeAt(a);
  const last = body.charCodeAt(b - 1);

  // integer: -?\d+i
  if (last === CH_I) {
    let p = a;
    if (first === CH_MINUS) p++;
    const digits = b - 1 - p;
    if (digits > 0 && allDigits(body, p, b - 1)) {
      if (digits <= SAFE_DIGITS) {
        const n = digitsValue(body, p, b - 1);
        return new FieldValueObject('integer', BigInt(first === CH_MINUS ? -n : n));
      }
      const v = BigInt(body.slice(a, b - 1));
      if (v < I64_MIN || v > I64_MAX) {
        scalarReason = ': out of range for a signed 64-bit integer';
        return `Unable to parse integer value ${quote(body.slice(a, b - 1))}`;
      }
      return new FieldValueObject('integer', v);
    }
    return invalidValue(body, a, b);
  }

  // unsigned: \d+u
  if (last === CH_U) {
    if (first === CH_MINUS && b - a > 2 && allDigits(body, a + 1, b - 1)) {
      scalarReason = ': unsigned integers cannot be negative';
      return `Unable to parse unsigned integer value ${quote(body.slice(a, b - 1))}`;
    }
    const digits = b - 1 - a;
    if (digits > 0 && allDigits(body, a, b - 1)) {
      if (digits <= SAFE_DIGITS) {
        return new FieldValueObject('uinteger', BigInt(digitsValue(body, a, b - 1)));
      }
      const v = BigInt(body.slice(a, b - 1));
      if (v > U64_MAX) {
        scalarReason = ': out of range for an unsigned 64-bit integer';
        return `Unable to parse unsigned integer value ${quote(body.slice(a, b - 1))}`;
      }
      return new FieldValueObject('uinteger', v);
    }
    return invalidValue(body, a, b);
  }

  // float: -?\d+(\.\d+)?([eE][+-]?\d+)?
  if ((first >= CH_0 && first <= CH_9) || first === CH_MINUS) {
    const fast = simpleDecimal(body, a, b);
    if (fast === fast) return new FieldValueObject('float', fast); // not NaN
    if (isFloatSyntax(body, a, b)) {
      const v = +body.slice(a, b);
      if (v === Infinity || v === -Infinity) {
        scalarReason = ': out of range for a 64-bit float';
        return `Unable to parse floating-point value ${quote(body.slice(a, b))}`;
      }
      return new FieldValueObject('float', v);
    }
    return invalidValue(body, a, b);
  }

  // boolean
  const n = b - a;
  if (n === 1) {
    if (first === 116 /* t */ || first === 84 /* T */) return new FieldValueObject('boolean', true);
    if (first === 102 /* f */ || first === 70 /* F */) return new FieldValueObject('boolean', false);
  } else if (n === 4 || n === 5) {
    const w = body.slice(a, b);
    if (w === 'true' || w === 'True' || w === 'TRUE') return new FieldValueObject('boolean', true);
    if (w === 'false' || w === 'False' || w === 'FALSE') return new FieldValueObject('boolean', false);
  }
  return invalidValue(body, a, b);
}

/** Why the last `parseScalar` call failed (appended to its message). */
let scalarReason = '';

function invalidValue(body: string, a: number, b: number): string {
  scalarReason =
    ': expected a float (1.5, -2e3), an integer (1i), an unsigned integer (1u), a double-quoted string, or a boolean (t, true, f, false)';
  return `Invalid field value ${quote(body.slice(a, b))}`;
}

function allDigits(body: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = body.charCodeAt(i);
    if (c < CH_0 || c > CH_9) return false;
  }
  return true;
}

/** Value of the decimal digits [a, b); callers ensure at most SAFE_DIGITS digits. */
function digitsValue(body: string, a: number, b: number): number {
  let n = 0;
  for (let i = a; i < b; i++) n = n * 10 + (body.charCodeAt(i) - CH_0);
  return n;
}

const POW10: number[] = [];
for (let k = 0, p = 1; k <= 22; k++, p *= 10) POW10.push(p);

/**
 * Fast path for floats written as `-?\d+(\.\d+)?` with at most 15 significant digits: the
 * mantissa and the power of ten are exact doubles, so one division gives the correctly rounded
 * result — identical to Number(). Returns NaN when the token is not of that simple form.
 */
function simpleDecimal(body: string, a: number, b: number): number {
  let i = a;
  const neg = body.charCodeAt(i) === CH_MINUS;
  if (neg) i++;
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < b; i++) {
    const c = body.charCodeAt(i);
    if (c >= CH_0 && c <= CH_9) {
      m = m * 10 + (c - CH_0);
      digits++;
    } else if (c === CH_DOT && frac < 0 && digits > 0) {
      frac = i + 1;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > SAFE_DIGITS || frac === b) return NaN;
  const v = frac < 0 ? m : m / POW10[b - frac]!;
  return neg ? -v : v;
}

function isFloatSyntax(body: string, a: number, b: number): boolean {
  let i = a;
  if (body.charCodeAt(i) === CH_MINUS) i++;
  let d = i;
  while (i < b && isDigit(body.charCodeAt(i))) i++;
  if (i === d) return false;
  if (i < b && body.charCodeAt(i) === CH_DOT) {
    i++;
    d = i;
    while (i < b && isDigit(body.charCodeAt(i))) i++;
    if (i === d) return false;
  }
  if (i < b) {
    const c = body.charCodeAt(i);
    if (c !== CH_E_LO && c !== CH_E_UP) return false;
    i++;
    if (i < b) {
      const sign = body.charCodeAt(i);
      if (sign === CH_PLUS || sign === CH_MINUS) i++;
    }
    d = i;
    while (i < b && isDigit(body.charCodeAt(i))) i++;
    if (i === d) return false;
  }
  return i === b;
}

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

// ---------------------------------------------------------------------------------------------
// escapes

/**
 * Unescape a measurement (`allowEquals` false: `\,` `\ ` `\\`) or a tag key, tag value or field
 * key (`allowEquals` true: also `\=`). Any other backslash is kept together with the character
 * after it; a backslash at the very end is kept.
 */
function unescapeName(body: string, a: number, b: number, allowEquals: boolean): string {
  let out = '';
  let last = a;
  for (let i = a; i < b; i++) {
    if (body.charCodeAt(i) !== CH_BS) continue;
    if (i + 1 >= b) break;
    const n = body.charCodeAt(i + 1);
    if (n === CH_COMMA || n === CH_SP || n === CH_BS || (allowEquals && n === CH_EQ)) {
      out += body.slice(last, i);
      last = i + 1; // keep the escaped character, drop the backslash
    }
    i++; // the character after a backslash never starts another escape
  }
  return out + body.slice(last, b);
}

/** Unescape a string field value: `\"` → `"`, `\\` → `\`, any other backslash is literal. */
function unescapeString(body: string, a: number, b: number): string {
  let out = '';
  let last = a;
  for (let i = a; i < b; i++) {
    if (body.charCodeAt(i) !== CH_BS) continue;
    if (i + 1 >= b) break;
    const n = body.charCodeAt(i + 1);
    if (n === CH_DQ || n === CH_BS) {
      out += body.slice(last, i);
      last = i + 1;
      i++;
    }
  }
  return out + body.slice(last, b);
}

// ---------------------------------------------------------------------------------------------
// tags

/**
 * Fill `tags` from the scratch buffers in byte order of the keys. Returns -1, or the index (in
 * the scratch buffers) of a repeated key.
 */
function buildTags(tags: Record<string, string>, n: number): number {
  let sorted = true;
  for (let k = 1; k < n; k++) {
    const d = compareBytes(tagKeys[k - 1]!, tagKeys[k]!);
    if (d >= 0) {
      sorted = false;
      break;
    }
  }
  if (sorted) {
    for (let k = 0; k < n; k++) setTag(tags, tagKeys[k]!, tagVals[k]!);
    return -1;
  }
  order.length = n;
  for (let k = 0; k < n; k++) order[k] = k;
  order.sort((x, y) => compareBytes(tagKeys[x]!, tagKeys[y]!) || x - y);
  for (let k = 1; k < n; k++) {
    if (tagKeys[order[k - 1]!] === tagKeys[order[k]!]) return order[k]!;
  }
  for (let k = 0; k < n; k++) setTag(tags, tagKeys[order[k]!]!, tagVals[order[k]!]!);
  return -1;
}

function setTag(tags: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') defineOwn(tags, key, value);
  else tags[key] = value;
}

function defineOwn(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Compare two strings in UTF-8 byte order (= code point order). Plain `<` compares UTF-16 code
 * units, which orders U+E000..U+FFFF after astral characters; this corrects that case.
 */
export function compareBytes(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------------
// messages

function col(i: number, ls: number): number {
  return i - ls + 1;
}

function quote(s: string): string {
  return '`' + s + '`';
}

/** Like InfluxDB's error context: the rest of the line, at most 10 characters. */
function context(body: string, a: number, e: number): string {
  if (a >= e) return 'end of input';
  return e - a > 10 ? '`' + body.slice(a, a + 10) + '...`' : '`' + body.slice(a, e) + '`';
}
