// SQL functions: the table of scalar functions the binder accepts (with result typing and SQLite
// code generation), the aggregate table, and the user functions registered on SQLite connections.

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Expr, SqlType } from './ir.js';
import { UNLIMITED, stringLimitError, type QueryLimits } from './limits.js';
import { dateTrunc, datePart, formatTimestamp, parseTimestamp, addMonths, NS_PER_S, NS_PER_MS, NS_PER_US } from './time.js';

export interface ScalarSpec {
  min: number;
  max: number;
  type: (args: Expr[]) => SqlType;
  /** SQLite text from argument texts. Default: `<sqlite ?? name>(args)`. */
  gen?: (a: string[], args: Expr[]) => string;
  sqlite?: string;
}

const numericOf = (args: Expr[]): SqlType => {
  const t = args[0]?.type;
  return t === 'integer' || t === 'uinteger' || t === 'float' ? t : 'float';
};
const T = (t: SqlType) => (): SqlType => t;
const firstNonNull = (args: Expr[]): SqlType => {
  for (const a of args) if (a.type !== 'null') return a.type;
  return 'null';
};
/** Common type of several arguments (float wins over integers). */
export function commonType(types: SqlType[]): SqlType {
  const ts = types.filter((t) => t !== 'null');
  if (ts.length === 0) return 'null';
  if (ts.every((t) => t === ts[0])) return ts[0]!;
  if (ts.every((t) => t === 'integer' || t === 'uinteger' || t === 'float')) {
    return ts.includes('float') ? 'float' : 'integer';
  }
  return 'any';
}

export const SCALARS: Record<string, ScalarSpec> = {
  abs: { min: 1, max: 1, type: numericOf },
  ceil: { min: 1, max: 1, type: T('float') },
  ceiling: { min: 1, max: 1, type: T('float'), sqlite: 'ceil' },
  floor: { min: 1, max: 1, type: T('float') },
  round: { min: 1, max: 2, type: T('float'), gen: (a) => `round(${a.join(', ')})` },
  trunc: { min: 1, max: 2, type: T('float'), gen: (a) => (a.length === 1 ? `trunc(${a[0]})` : `iox_trunc(${a[0]}, ${a[1]})`) },
  sqrt: { min: 1, max: 1, type: T('float') },
  cbrt: { min: 1, max: 1, type: T('float'), sqlite: 'iox_cbrt' },
  exp: { min: 1, max: 1, type: T('float') },
  ln: { min: 1, max: 1, type: T('float') },
  log: { min: 1, max: 2, type: T('float') },
  log10: { min: 1, max: 1, type: T('float') },
  log2: { min: 1, max: 1, type: T('float') },
  power: { min: 2, max: 2, type: T('float'), sqlite: 'pow' },
  pow: { min: 2, max: 2, type: T('float') },
  sin: { min: 1, max: 1, type: T('float') },
  cos: { min: 1, max: 1, type: T('float') },
  tan: { min: 1, max: 1, type: T('float') },
  asin: { min: 1, max: 1, type: T('float') },
  acos: { min: 1, max: 1, type: T('float') },
  atan: { min: 1, max: 1, type: T('float') },
  atan2: { min: 2, max: 2, type: T('float') },
  sinh: { min: 1, max: 1, type: T('float') },
  cosh: { min: 1, max: 1, type: T('float') },
  tanh: { min: 1, max: 1, type: T('float') },
  degrees: { min: 1, max: 1, type: T('float') },
  radians: { min: 1, max: 1, type: T('float') },
  pi: { min: 0, max: 0, type: T('float') },
  signum: { min: 1, max: 1, type: T('float'), gen: (a) => `CAST(sign(${a[0]}) AS REAL)` },
  lower: { min: 1, max: 1, type: T('string'), sqlite: 'iox_lower' },
  upper: { min: 1, max: 1, type: T('string'), sqlite: 'iox_upper' },
  length: { min: 1, max: 1, type: T('integer') },
  char_length: { min: 1, max: 1, type: T('integer'), sqlite: 'length' },
  character_length: { min: 1, max: 1, type: T('integer'), sqlite: 'length' },
  octet_length: { min: 1, max: 1, type: T('integer'), gen: (a) => `length(CAST(${a[0]} AS BLOB))` },
  substr: { min: 2, max: 3, type: T('string') },
  substring: { min: 2, max: 3, type: T('string'), sqlite: 'substr' },
  trim: { min: 1, max: 2, type: T('string') },
  btrim: { min: 1, max: 2, type: T('string'), sqlite: 'trim' },
  ltrim: { min: 1, max: 2, type: T('string') },
  rtrim: { min: 1, max: 2, type: T('string') },
  replace: { min: 3, max: 3, type: T('string'), sqlite: 'iox_replace' },
  concat: {
    min: 1, max: 100, type: T('string'),
    gen: (a) => 'iox_strcheck(' + a.map((x) => `coalesce(CAST(${x} AS TEXT), '')`).join(' || ') + ", 'concat')",
  },
  concat_ws: { min: 2, max: 100, type: T('string'), sqlite: 'iox_concat_ws' },
  left: { min: 2, max: 2, type: T('string'), sqlite: 'iox_left' },
  right: { min: 2, max: 2, type: T('string'), sqlite: 'iox_right' },
  starts_with: { min: 2, max: 2, type: T('boolean'), sqlite: 'iox_starts_with' },
  ends_with: { min: 2, max: 2, type: T('boolean'), sqlite: 'iox_ends_with' },
  strpos: { min: 2, max: 2, type: T('integer'), sqlite: 'instr' },
  instr: { min: 2, max: 2, type: T('integer') },
  lpad: { min: 2, max: 3, type: T('string'), sqlite: 'iox_lpad' },
  rpad: { min: 2, max: 3, type: T('string'), sqlite: 'iox_rpad' },
  repeat: { min: 2, max: 2, type: T('string'), sqlite: 'iox_repeat' },
  reverse: { min: 1, max: 1, type: T('string'), sqlite: 'iox_reverse' },
  initcap: { min: 1, max: 1, type: T('string'), sqlite: 'iox_initcap' },
  split_part: { min: 3, max: 3, type: T('string'), sqlite: 'iox_split_part' },
  translate: { min: 3, max: 3, type: T('string'), sqlite: 'iox_translate' },
  to_hex: { min: 1, max: 1, type: T('string'), sqlite: 'iox_to_hex' },
  md5: { min: 1, max: 1, type: T('string'), sqlite: 'iox_md5' },
  sha256: { min: 1, max: 1, type: T('string'), sqlite: 'iox_sha256' },
  ascii: { min: 1, max: 1, type: T('integer'), sqlite: 'unicode' },
  chr: { min: 1, max: 1, type: T('string'), sqlite: 'char' },
  regexp_like: { min: 2, max: 3, type: T('boolean'), sqlite: 'iox_regexp_like' },
  regexp_replace: { min: 3, max: 4, type: T('string'), sqlite: 'iox_regexp_replace' },
  coalesce: {
    min: 1, max: 100, type: (args) => commonType(args.map((x) => x.type)),
    gen: (a) => (a.length === 1 ? a[0]! : `coalesce(${a.join(', ')})`),
  },
  ifnull: { min: 2, max: 2, type: (args) => commonType(args.map((x) => x.type)), sqlite: 'coalesce' },
  nvl: { min: 2, max: 2, type: (args) => commonType(args.map((x) => x.type)), sqlite: 'coalesce' },
  nvl2: {
    min: 3, max: 3, type: (args) => commonType([args[1]!.type, args[2]!.type]),
    gen: (a) => `(CASE WHEN ${a[0]} IS NOT NULL THEN ${a[1]} ELSE ${a[2]} END)`,
  },
  nullif: { min: 2, max: 2, type: firstNonNull },
  greatest: { min: 1, max: 100, type: (args) => commonType(args.map((x) => x.type)), sqlite: 'iox_greatest' },
  least: { min: 1, max: 100, type: (args) => commonType(args.map((x) => x.type)), sqlite: 'iox_least' },
  // Time functions with a plain user-function implementation; date_bin/date_trunc/now and
  // to_timestamp* are handled by the binder (constant folding and inline arithmetic).
  to_unixtime: { min: 1, max: 1, type: T('integer'), gen: (a) => `iox_floor_div(${a[0]}, ${NS_PER_S})` },
};

function medianType(t: SqlType): SqlType {
  return t === 'timestamp' || t === 'integer' || t === 'uinteger' ? t : 'float';
}

/** Output types of aggregates. */
export const AGGREGATES: Record<string, { min: number; max: number; type: (args: Expr[]) => SqlType; sqlite: string }> = {
  count: { min: 0, max: 1, type: T('integer'), sqlite: 'count' },
  sum: {
    min: 1, max: 1,
    type: (a) => (a[0]!.type === 'float' || a[0]!.type === 'any' ? 'float' : a[0]!.type === 'uinteger' ? 'uinteger' : a[0]!.type === 'null' ? 'null' : 'integer'),
    sqlite: 'sum',
  },
  min: { min: 1, max: 1, type: (a) => a[0]!.type, sqlite: 'min' },
  max: { min: 1, max: 1, type: (a) => a[0]!.type, sqlite: 'max' },
  avg: { min: 1, max: 1, type: T('float'), sqlite: 'avg' },
  mean: { min: 1, max: 1, type: T('float'), sqlite: 'avg' },
  stddev: { min: 1, max: 1, type: T('float'), sqlite: 'iox_stddev_samp' },
  stddev_samp: { min: 1, max: 1, type: T('float'), sqlite: 'iox_stddev_samp' },
  stddev_pop: { min: 1, max: 1, type: T('float'), sqlite: 'iox_stddev_pop' },
  var: { min: 1, max: 1, type: T('float'), sqlite: 'iox_var_samp' },
  variance: { min: 1, max: 1, type: T('float'), sqlite: 'iox_var_samp' },
  var_samp: { min: 1, max: 1, type: T('float'), sqlite: 'iox_var_samp' },
  var_pop: { min: 1, max: 1, type: T('float'), sqlite: 'iox_var_pop' },
  median: { min: 1, max: 1, type: (a) => medianType(a[0]!.type), sqlite: 'iox_median' },
  approx_median: { min: 1, max: 1, type: (a) => medianType(a[0]!.type), sqlite: 'iox_median' },
  bool_and: { min: 1, max: 1, type: T('boolean'), sqlite: 'min' },
  bool_or: { min: 1, max: 1, type: T('boolean'), sqlite: 'max' },
  // Exact, where DataFusion estimates: a correct answer is within any estimate's tolerance.
  approx_distinct: { min: 1, max: 1, type: T('integer'), sqlite: 'count' },
};

/**
 * SQLite function implementing an aggregate. uinteger values are stored as signed 64-bit
 * two's complement, so their order-sensitive aggregates use unsigned-aware user functions.
 */
export function aggSqlName(name: string, argType: SqlType | undefined): string {
  if (argType === 'uinteger') {
    if (name === 'min') return 'iox_umin';
    if (name === 'max') return 'iox_umax';
    if (name === 'sum') return 'iox_usum';
    if (name === 'avg' || name === 'mean') return 'iox_uavg';
    if (name === 'median' || name === 'approx_median') return 'iox_umedian';
  }
  return AGGREGATES[name]!.sqlite;
}

/** Aggregates whose per-node partial results can be combined exactly (no DISTINCT). */
export const DECOMPOSABLE = new Set(['count', 'sum', 'min', 'max', 'avg', 'mean', 'bool_and', 'bool_or']);
/** Aggregates insensitive to duplicate input rows (usable over de-duplicated partials). */
export const DUPLICATE_INSENSITIVE = new Set(['min', 'max', 'bool_and', 'bool_or']);

// ---------------------------------------------------------------------------------------------
// User functions

const regexCache = new Map<string, RegExp>();
function regex(pattern: string, flags: string): RegExp {
  const key = flags + '\u0000' + pattern;
  let re = regexCache.get(key);
  if (!re) {
    let jsFlags = 'u';
    for (const f of flags) {
      if (f === 'i' || f === 's' || f === 'm') jsFlags += f;
      else if (f === 'g') jsFlags += 'g';
      else throw new Error(`unsupported regular expression flag '${f}'`);
    }
    try {
      re = new RegExp(pattern, jsFlags);
    } catch (e) {
      throw new Error(`invalid regular expression '${pattern}': ${(e as Error).message}`);
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/** Translate a SQL LIKE pattern (backslash escapes) to a JS regular expression. */
export function likeToRegex(pattern: string, ci: boolean): RegExp {
  let src = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      src += escapeRe(pattern[++i]!);
    } else if (c === '%') src += '[\\s\\S]*';
    else if (c === '_') src += '[\\s\\S]';
    else src += escapeRe(c);
  }
  return regex(src + '$', ci ? 'is' : 's');
}
function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * A LIKE pattern as a SQLite GLOB pattern (case-sensitive, like DataFusion's LIKE).
 * Returns undefined if the pattern cannot be expressed (a trailing lone backslash).
 */
export function likeToGlob(pattern: string): string | undefined {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      if (i + 1 >= pattern.length) return undefined;
      out += globLiteral(pattern[++i]!);
    } else if (c === '%') out += '*';
    else if (c === '_') out += '?';
    else out += globLiteral(c);
  }
  return out;
}
function globLiteral(c: string): string {
  return c === '*' || c === '?' || c === '[' ? `[${c}]` : c;
}

type V = null | bigint | number | string | Buffer;

function toStr(v: V): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}
function toBig(v: V): bigint | null {
  if (v === null) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  const s = toStr(v)!;
  return /^[+-]?\d+$/.test(s.trim()) ? BigInt(s.trim()) : null;
}
function toNum(v: V): number | null {
  if (v === null) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const n = Number(toStr(v));
  return Number.isNaN(n) ? null : n;
}
function cmp(a: Exclude<V, null>, b: Exclude<V, null>): number {
  // SQLite ordering: numbers < text < blobs.
  const ra = typeof a === 'string' ? 1 : Buffer.isBuffer(a) ? 2 : 0;
  const rb = typeof b === 'string' ? 1 : Buffer.isBuffer(b) ? 2 : 0;
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number | bigint) < (b as number | bigint) ? -1 : (a as number | bigint) > (b as number | bigint) ? 1 : 0;
  if (ra === 1) return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  return Buffer.compare(a as Buffer, b as Buffer);
}
function chars(s: string): string[] {
  return Array.from(s);
}
function pad(s: string, n: number, fill: string, left: boolean): string {
  const cs = chars(s);
  if (n <= cs.length) return cs.slice(0, Math.max(0, n)).join('');
  const fs = chars(fill);
  if (fs.length === 0) return s;
  let p = '';
  const need = n - cs.length;
  for (let i = 0; i < need; i++) p += fs[i % fs.length];
  return left ? p + s : s + p;
}

class VarianceAcc {
  n = 0;
  mean = 0;
  m2 = 0;
}

interface FunctionState {
  now: bigint;
  limits: QueryLimits;
}

const registered = new WeakMap<Database.Database, FunctionState>();

/**
 * Register the functions if this connection does not have them yet (leaves now() alone), and
 * apply `limits` (the string-length limit) to the statements run next on it.
 */
export function ensureSqlFunctions(db: Database.Database, limits: QueryLimits = UNLIMITED): void {
  if (!registered.has(db)) registerSqlFunctions(db, 0n, limits);
  registered.get(db)!.limits = limits;
}

/**
 * Register the query layer's SQL functions on a connection (idempotent; a later call only
 * updates the value of now()). Used both on storage connections (runScan) and on the final
 * in-memory database.
 */
export function registerSqlFunctions(db: Database.Database, now: bigint, limits: QueryLimits = UNLIMITED): void {
  const state = registered.get(db);
  if (state) {
    state.now = now;
    state.limits = limits;
    return;
  }
  const st: FunctionState = { now, limits };
  registered.set(db, st);
  /** Refuses, before building it, a string longer than the limit (a 2^31-character lpad would wedge the node). */
  const checkLength = (length: number, fn: string): void => {
    if (length > st.limits.maxStringLength) throw stringLimitError(st.limits, fn);
  };
  const det = { deterministic: true, safeIntegers: true } as const;
  const fn = (name: string, f: (...args: V[]) => unknown, varargs = false): void => {
    db.function(name, { ...det, varargs }, f as (...args: unknown[]) => unknown);
  };

  db.function('now', { safeIntegers: true }, () => st.now);
  fn('iox_floor_div', (a, b) => {
    const x = toBig(a);
    const y = toBig(b);
    if (x === null || y === null || y === 0n) return null;
    const q = x / y;
    return x % y !== 0n && (x < 0n) !== (y < 0n) ? q - 1n : q;
  });
  fn('iox_date_trunc', (unit, t) => {
    const ts = toBig(t);
    const u = toStr(unit);
    if (ts === null || u === null) return null;
    return dateTrunc(u, ts);
  });
  fn('iox_date_part', (part, t) => {
    const ts = toBig(t);
    const p = toStr(part);
    if (ts === null || p === null) return null;
    return datePart(p, ts);
  });
  fn('iox_add_months', (t, m) => {
    const ts = toBig(t);
    const n = toNum(m);
    if (ts === null || n === null) return null;
    return addMonths(ts, n);
  });
  fn('iox_ts_parse', (s) => {
    const str = toStr(s);
    if (str === null) return null;
    const v = parseTimestamp(str);
    if (v === undefined) throw new Error(`Error parsing timestamp from '${str}'`);
    return v;
  });
  fn('iox_ts_format', (t) => {
    const ts = toBig(t);
    return ts === null ? null : formatTimestamp(ts);
  });
  /** to_timestamp family: strings parse as RFC3339, numbers are scaled by `unit` ns. */
  fn('iox_to_timestamp', (v, unit) => {
    if (v === null) return null;
    const scale = toBig(unit) ?? NS_PER_S;
    if (typeof v === 'string') {
      const p = parseTimestamp(v);
      if (p === undefined) throw new Error(`Error parsing timestamp from '${v}'`);
      return p;
    }
    if (typeof v === 'bigint') return v * scale;
    if (typeof v === 'number') return BigInt(Math.trunc(v * Number(scale)));
    return null;
  });
  fn('iox_to_bool', (v) => {
    if (v === null) return null;
    if (typeof v === 'string') {
      const s = v.trim().toLowerCase();
      if (['true', 't', '1', 'yes', 'y', 'on'].includes(s)) return 1n;
      if (['false', 'f', '0', 'no', 'n', 'off'].includes(s)) return 0n;
      throw new Error(`Cannot cast string '${v}' to value of Boolean type`);
    }
    const n = toNum(v);
    return n === null ? null : n !== 0 ? 1n : 0n;
  });
  fn('iox_like', (s, p, ci) => {
    const str = toStr(s);
    const pat = toStr(p);
    if (str === null || pat === null) return null;
    return likeToRegex(pat, toBig(ci) === 1n).test(str) ? 1n : 0n;
  });
  fn('iox_regex', (s, p, ci) => {
    const str = toStr(s);
    const pat = toStr(p);
    if (str === null || pat === null) return null;
    return regex(pat, toBig(ci) === 1n ? 'i' : '').test(str) ? 1n : 0n;
  });
  db.function('iox_regexp_like', { ...det, varargs: true }, (...a: unknown[]) => {
    const [s, p, f] = a as V[];
    const str = toStr(s ?? null);
    const pat = toStr(p ?? null);
    if (str === null || pat === null) return null;
    return regex(pat, (toStr(f ?? null) ?? '').replace('g', '')).test(str) ? 1n : 0n;
  });
  db.function('iox_regexp_replace', { ...det, varargs: true }, (...a: unknown[]) => {
    const [s, p, r, f] = a as V[];
    const str = toStr(s ?? null);
    const pat = toStr(p ?? null);
    const rep = toStr(r ?? null);
    if (str === null || pat === null || rep === null) return null;
    // Rust's regex uses ${1}/$1 like JS; \1 back-references are not supported there either.
    // Each match may grow the string: bound the output (a `$n` may copy at most the longest match) first.
    const re = regex(pat, toStr(f ?? null) ?? '');
    if (rep.length > 0) {
      let matches = 0;
      let longest = 0;
      for (const m of re.global ? str.matchAll(re) : [re.exec(str)]) {
        if (!m) continue;
        matches++;
        longest = Math.max(longest, m[0].length);
      }
      const dollars = rep.split('$').length - 1;
      checkLength(str.length + matches * (rep.length + dollars * longest), 'regexp_replace');
    }
    return str.replace(re, rep);
  });
  fn('iox_lower', (s) => (s === null ? null : toStr(s)!.toLowerCase()));
  fn('iox_upper', (s) => (s === null ? null : toStr(s)!.toUpperCase()));
  fn('iox_cbrt', (x) => {
    const n = toNum(x);
    return n === null ? null : Math.cbrt(n);
  });
  fn('iox_trunc', (x, d) => {
    const n = toNum(x);
    const p = toNum(d);
    if (n === null || p === null) return null;
    const f = 10 ** Math.trunc(p);
    return Math.trunc(n * f) / f;
  });
  fn('iox_concat_ws', (...a) => {
    const sep = toStr(a[0] ?? null);
    if (sep === null) return null;
    const parts = a.slice(1).filter((x) => x !== null).map((x) => toStr(x)!);
    checkLength(parts.reduce((n, x) => n + x.length, 0) + sep.length * Math.max(0, parts.length - 1), 'concat_ws');
    return parts.join(sep);
  }, true);
  // SQLite's own replace() and || would build strings up to ~1 GB: both go through a length check.
  fn('iox_replace', (s, f, t) => {
    const str = toStr(s);
    const from = toStr(f);
    const to = toStr(t);
    if (str === null || from === null || to === null) return null;
    if (from === '') return str;
    if (to.length > from.length) checkLength(str.length + (str.split(from).length - 1) * (to.length - from.length), 'replace');
    return str.split(from).join(to);
  });
  fn('iox_strcheck', (s, what) => {
    if (typeof s === 'string') checkLength(s.length, toStr(what) ?? 'string');
    return s;
  });
  fn('iox_left', (s, n) => {
    const str = toStr(s);
    const k = toNum(n);
    if (str === null || k === null) return null;
    const cs = chars(str);
    return (k >= 0 ? cs.slice(0, k) : cs.slice(0, Math.max(0, cs.length + k))).join('');
  });
  fn('iox_right', (s, n) => {
    const str = toStr(s);
    const k = toNum(n);
    if (str === null || k === null) return null;
    const cs = chars(str);
    return (k >= 0 ? cs.slice(Math.max(0, cs.length - k)) : cs.slice(Math.min(cs.length, -k))).join('');
  });
  fn('iox_starts_with', (s, p) => {
    const a = toStr(s);
    const b = toStr(p);
    return a === null || b === null ? null : a.startsWith(b) ? 1n : 0n;
  });
  fn('iox_ends_with', (s, p) => {
    const a = toStr(s);
    const b = toStr(p);
    return a === null || b === null ? null : a.endsWith(b) ? 1n : 0n;
  });
  fn('iox_lpad', (...a) => {
    const s = toStr(a[0] ?? null);
    const n = toNum(a[1] ?? null);
    const f = a.length > 2 ? toStr(a[2] ?? null) : ' ';
    if (s === null || n === null || f === null) return null;
    checkLength(n, 'lpad');
    return pad(s, n, f, true);
  }, true);
  fn('iox_rpad', (...a) => {
    const s = toStr(a[0] ?? null);
    const n = toNum(a[1] ?? null);
    const f = a.length > 2 ? toStr(a[2] ?? null) : ' ';
    if (s === null || n === null || f === null) return null;
    checkLength(n, 'rpad');
    return pad(s, n, f, false);
  }, true);
  fn('iox_repeat', (s, n) => {
    const str = toStr(s);
    const k = toNum(n);
    if (str === null || k === null) return null;
    checkLength(str.length * Math.max(0, k), 'repeat');
    return str.repeat(Math.max(0, Math.trunc(k)));
  });
  fn('iox_reverse', (s) => (s === null ? null : chars(toStr(s)!).reverse().join('')));
  fn('iox_initcap', (s) => {
    if (s === null) return null;
    return toStr(s)!.toLowerCase().replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase());
  });
  fn('iox_split_part', (s, d, n) => {
    const str = toStr(s);
    const del = toStr(d);
    const k = toNum(n);
    if (str === null || del === null || k === null) return null;
    if (k === 0) throw new Error('field position must not be zero');
    const parts = del === '' ? [str] : str.split(del);
    const idx = k > 0 ? k - 1 : parts.length + k;
    return parts[idx] ?? '';
  });
  fn('iox_translate', (s, f, t) => {
    const str = toStr(s);
    const from = toStr(f);
    const to = toStr(t);
    if (str === null || from === null || to === null) return null;
    const fc = chars(from);
    const tc = chars(to);
    return chars(str).map((c) => {
      const i = fc.indexOf(c);
      return i < 0 ? c : i < tc.length ? tc[i] : '';
    }).join('');
  });
  fn('iox_to_hex', (v) => {
    const n = toBig(v);
    return n === null ? null : (n < 0n ? BigInt.asUintN(64, n) : n).toString(16);
  });
  fn('iox_md5', (s) => (s === null ? null : createHash('md5').update(toStr(s)!).digest('hex')));
  fn('iox_sha256', (s) => (s === null ? null : createHash('sha256').update(toStr(s)!).digest('hex')));
  const extreme = (sign: number) => (...a: V[]): V => {
    let best: V = null;
    for (const x of a) if (x !== null && (best === null || sign * cmp(x, best) > 0)) best = x;
    return best;
  };
  fn('iox_greatest', extreme(1), true);
  fn('iox_least', extreme(-1), true);

  const variance = (pop: boolean, sqrt: boolean) => ({
    start: () => new VarianceAcc(),
    step: (acc: VarianceAcc, v: V) => {
      const x = toNum(v);
      if (x === null) return;
      acc.n += 1;
      const d = x - acc.mean;
      acc.mean += d / acc.n;
      acc.m2 += d * (x - acc.mean);
    },
    result: (acc: VarianceAcc) => {
      const denom = pop ? acc.n : acc.n - 1;
      if (acc.n === 0 || denom <= 0) return null;
      const v = acc.m2 / denom;
      return sqrt ? Math.sqrt(v) : v;
    },
  });
  const agg = (name: string, spec: ReturnType<typeof variance>) => {
    db.aggregate(name, { ...spec, safeIntegers: true, deterministic: true } as unknown as Database.AggregateOptions);
  };
  agg('iox_stddev_samp', variance(false, true));
  agg('iox_stddev_pop', variance(true, true));
  agg('iox_var_samp', variance(false, false));
  agg('iox_var_pop', variance(true, false));
  const U64_MAX = (1n << 64n) - 1n;
  const uext = (sign: number) => ({
    start: () => null as bigint | null,
    step: (acc: bigint | null, v: V) => {
      if (typeof v !== 'bigint') return acc;
      if (acc === null) return v;
      const a = BigInt.asUintN(64, acc);
      const b = BigInt.asUintN(64, v);
      return sign * (b > a ? 1 : b < a ? -1 : 0) > 0 ? v : acc;
    },
    result: (acc: bigint | null) => acc,
    safeIntegers: true,
    deterministic: true,
  });
  db.aggregate('iox_umin', uext(-1) as unknown as Database.AggregateOptions);
  db.aggregate('iox_umax', uext(1) as unknown as Database.AggregateOptions);
  db.aggregate('iox_usum', {
    start: () => null as bigint | null,
    step: (acc: bigint | null, v: V) => {
      if (typeof v !== 'bigint') return acc;
      const t = (acc ?? 0n) + BigInt.asUintN(64, v);
      if (t > U64_MAX) throw new Error('UInt64 overflow in sum');
      return t;
    },
    result: (acc: bigint | null) => (acc === null ? null : BigInt.asIntN(64, acc)),
    safeIntegers: true,
    deterministic: true,
  } as unknown as Database.AggregateOptions);
  db.aggregate('iox_uavg', {
    start: () => ({ s: 0n, n: 0 }),
    step: (acc: { s: bigint; n: number }, v: V) => {
      if (typeof v !== 'bigint') return;
      acc.s += BigInt.asUintN(64, v);
      acc.n += 1;
    },
    result: (acc: { s: bigint; n: number }) => (acc.n === 0 ? null : Number(acc.s) / acc.n),
    safeIntegers: true,
    deterministic: true,
  } as unknown as Database.AggregateOptions);
  db.aggregate('iox_umedian', {
    start: () => [] as bigint[],
    step: (acc: bigint[], v: V) => {
      if (typeof v === 'bigint') acc.push(BigInt.asUintN(64, v));
    },
    result: (acc: bigint[]) => {
      if (acc.length === 0) return null;
      const s = acc.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const mid = s.length >> 1;
      return BigInt.asIntN(64, s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2n);
    },
    safeIntegers: true,
    deterministic: true,
  } as unknown as Database.AggregateOptions);
  fn('iox_u2f', (v) => (typeof v === 'bigint' ? Number(BigInt.asUintN(64, v)) : v === null ? null : toNum(v)));
  fn('iox_u2s', (v) => (typeof v === 'bigint' ? BigInt.asUintN(64, v).toString() : toStr(v)));

  db.aggregate('iox_median', {
    start: () => [] as (number | bigint)[],
    step: (acc: (number | bigint)[], v: V) => {
      if (typeof v === 'number' || typeof v === 'bigint') acc.push(v);
    },
    result: (acc: (number | bigint)[]) => {
      if (acc.length === 0) return null;
      const allBig = acc.every((x) => typeof x === 'bigint');
      if (allBig) {
        const s = (acc as bigint[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const mid = s.length >> 1;
        // Timestamps/integers: DataFusion's median of integers truncates toward zero.
        return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2n;
      }
      const s = acc.map(Number).sort((a, b) => a - b);
      const mid = s.length >> 1;
      return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
    },
    safeIntegers: true,
    deterministic: true,
  } as unknown as Database.AggregateOptions);
}

export { NS_PER_MS, NS_PER_US };
