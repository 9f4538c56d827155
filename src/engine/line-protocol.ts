// Reads the line protocol a write step sends back into points, so the history can say
// which identities (table + tag set + time) and values each write carried. The server
// is the judge of what is valid: a line this reader cannot make sense of is only
// counted (the checkers then know the write is not fully identified), never an error.

/** A point as the history records it (docs/history.md): JSON-safe, time in ns as text. */
export interface RecordedPoint {
  table: string;
  tags: Record<string, string>;
  /** Nanoseconds since the epoch as a decimal string; null when the line had no timestamp. */
  time: string | null;
  /** float/int/uint as numbers (integers beyond 2^53 as decimal strings), strings, booleans. */
  fields: Record<string, number | string | boolean>;
  /** 1-based line number in the body, as partial-write errors count them. */
  line: number;
}

export interface ParsedBody {
  points: RecordedPoint[];
  /** Line numbers this reader could not parse (the server will reject or interpret them). */
  unparsed: number[];
}

const SCALE: Record<string, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n };

/** The ns multiplier for a timestamp, InfluxDB 3's guess for `auto` (by magnitude). */
function scaleFor(precision: string, ts: bigint): bigint {
  if (precision !== 'auto') return SCALE[precision] ?? 1n;
  const a = ts < 0n ? -ts : ts;
  return a < 5_000_000_000n ? SCALE.s! : a < 5_000_000_000_000n ? SCALE.ms! : a < 5_000_000_000_000_000n ? SCALE.us! : 1n;
}

/** Splits a body into lines, keeping newlines inside quoted string fields. */
function splitLines(body: string): Array<{ text: string; line: number }> {
  const out: Array<{ text: string; line: number }> = [];
  let start = 0;
  let line = 1;
  let startLine = 1;
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 92 /* \ */) { i++; if (body.charCodeAt(i) === 10) line++; continue; }
    if (c === 34 /* " */) quoted = !quoted;
    else if (c === 10 /* \n */) {
      line++;
      if (!quoted) { out.push({ text: body.slice(start, i), line: startLine }); start = i + 1; startLine = line; }
    }
  }
  out.push({ text: body.slice(start), line: startLine });
  return out;
}

/** Reads up to an unescaped stop character; returns the unescaped text and the stop index. */
function readName(s: string, i: number, stops: string, escapable: string): [string, number] {
  let out = '';
  let from = i;
  for (; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length && escapable.includes(s[i + 1]!)) {
      out += s.slice(from, i);
      from = i + 1;
      i++;
      continue;
    }
    if (stops.includes(ch)) break;
  }
  return [out + s.slice(from, i), i];
}

function fieldValue(text: string): number | string | boolean | undefined {
  if (text.startsWith('"')) {
    if (text.length < 2 || !text.endsWith('"')) return undefined;
    return text.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  if (/^(t|T|true|True|TRUE)$/.test(text)) return true;
  if (/^(f|F|false|False|FALSE)$/.test(text)) return false;
  const int = /^(-?\d+)[iu]$/.exec(text);
  if (int) {
    const n = Number(int[1]);
    return Number.isSafeInteger(n) ? n : BigInt(int[1]!).toString();
  }
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text) || /^-?\.\d+([eE][+-]?\d+)?$/.test(text)) return Number(text);
  return undefined;
}

/** Splits a field set on unescaped commas outside quoted strings. */
function readFields(s: string, i: number): [Record<string, number | string | boolean> | undefined, number] {
  const fields: Record<string, number | string | boolean> = {};
  for (;;) {
    const [key, eq] = readName(s, i, '= ', ',= \\');
    if (s[eq] !== '=' || key === '') return [undefined, eq];
    let j = eq + 1;
    if (s[j] === '"') {
      j++;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      j++;
    } else {
      while (j < s.length && s[j] !== ',' && s[j] !== ' ') j++;
    }
    const v = fieldValue(s.slice(eq + 1, j));
    if (v === undefined) return [undefined, j];
    fields[key] = v;
    if (s[j] !== ',') return [fields, j];
    i = j + 1;
  }
}

function parseLine(text: string, line: number, precision: string): RecordedPoint | undefined {
  const s = text.replace(/\r$/, '').replace(/^[ \t]+/, '');
  const [table, afterM] = readName(s, 0, ', \t', ', \\');
  if (table === '') return undefined;
  const tags: Record<string, string> = {};
  let i = afterM;
  while (s[i] === ',') {
    const [k, eq] = readName(s, i + 1, '= \t', ',= \\');
    if (s[eq] !== '=') return undefined;
    const [v, end] = readName(s, eq + 1, ', \t', ',= \\');
    if (k === '' || v === '') return undefined;
    tags[k] = v;
    i = end;
  }
  if (s[i] !== ' ') return undefined;
  while (s[i] === ' ') i++;
  const [fields, afterF] = readFields(s, i);
  if (!fields) return undefined;
  const rest = s.slice(afterF).trim();
  let time: string | null = null;
  if (rest !== '') {
    if (!/^-?\d+$/.test(rest)) return undefined;
    const ts = BigInt(rest);
    time = (ts * scaleFor(precision, ts)).toString();
  }
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(tags).sort()) sorted[k] = tags[k]!;
  return { table, tags: sorted, time, fields, line };
}

/** The points of a line-protocol body sent with `precision` (auto when absent). */
export function parseLineProtocol(body: string, precision = 'auto'): ParsedBody {
  const points: RecordedPoint[] = [];
  const unparsed: number[] = [];
  for (const { text, line } of splitLines(body)) {
    const t = text.trim();
    if (t === '' || t.startsWith('#')) continue;
    const p = parseLine(text, line, precision);
    if (p) points.push(p);
    else unparsed.push(line);
  }
  return { points, unparsed };
}
