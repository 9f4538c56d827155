// Reads history lines from bytes without JSON.parse for the parts every line has. The
// runner writes each line's keys in one order (index, scenario, invoke_index, time_ms,
// wall, type, f, node, step, then value, error, sidecar: src/engine/history.ts), so
// those are read in place and the repeated strings (scenario, f, type, node, step)
// interned; the rest of the line (value, error) is parsed only when a checker asks for
// it. Any line in another shape is left to JSON.parse (readEntry), so what this reads
// of a line is what JSON.parse reads. It is not a validator: a line's value/error part
// that no checker asks for is never parsed, so corruption there goes unnoticed.

import type { HistoryEntry, OpType } from '../engine/history.js';
import { ByteCache } from './byte-cache.js';
import { ByteCursor, QUOTE } from './byte-cursor.js';
import { CheckInputError } from './input-error.js';
import { WriteScanner, type ScannedWrite } from './write-scan.js';

/** What the checkers read of a history line (a HistoryEntry is one too): its identifying fields, as recorded. */
export type CheckEntry = Pick<HistoryEntry, 'index' | 'type' | 'invoke_index' | 'f' | 'node' | 'step' | 'scenario' | 'time_ms'> & {
  readonly value?: unknown;
  readonly error?: string;
  /** A write invoke's db and points, read from the line's bytes (value.points as the checkers need them). */
  readonly write?: ScannedWrite;
};

const lit = (s: string) => Buffer.from(s, 'latin1');
const INDEX = lit('{"index":');
const SCENARIO = lit(',"scenario":"');
const INVOKE_INDEX = lit(',"invoke_index":');
const TIME_MS = lit(',"time_ms":');
const WALL = lit(',"wall":"');
const TYPE = lit(',"type":"');
const F = lit(',"f":"');
const NODE = lit(',"node":');
const STEP = lit(',"step":"');
const NULL = lit('null');
const SIDECAR = lit(',"sidecar":');
const VALUE = lit(',"value":');

const COMMA = 0x2c, BRACE_CLOSE = 0x7d;
const TYPES = new Set<string>(['invoke', 'ok', 'fail', 'info']);

const decode = (buf: Buffer, from: number, to: number) => buf.toString('utf8', from, to);

/** The rest of a line (value, error), parsed on first use. */
class ScannedEntry implements CheckEntry {
  private parsed: { value?: unknown; error?: string } | undefined;

  constructor(
    readonly index: number, readonly scenario: string, readonly invoke_index: number, readonly time_ms: number,
    readonly type: OpType, readonly f: string, readonly node: string | null, readonly step: string,
    /** `{"value":...,"error":...}` or '' when the line ends after step. */
    private readonly rest: string, private readonly path: string, private readonly line: number,
    shared: { value?: unknown; error?: string } | undefined,
    readonly write: ScannedWrite | undefined,
  ) {
    this.parsed = shared;
  }

  private tail(): { value?: unknown; error?: string } {
    if (this.parsed) return this.parsed;
    if (this.rest === '') return (this.parsed = {});
    try { this.parsed = JSON.parse(this.rest) as { value?: unknown; error?: string }; } catch {
      throw new CheckInputError(`${this.path}:${this.line}: not a JSON line (the file is corrupt): ${this.rest.slice(0, 80)}`);
    }
    return this.parsed;
  }

  get value(): unknown { return this.tail().value; }
  get error(): string | undefined { return this.tail().error; }
}

/** Per file: the interned strings and the completion values many lines share. */
export class LineScanner extends ByteCursor {
  /** Repeated strings, a cache per key: each remembers its last value, which the next line often repeats. */
  private readonly scenarios = new ByteCache<string>(decode);
  private readonly types = new ByteCache<string>(decode);
  private readonly fs = new ByteCache<string>(decode);
  private readonly nodes = new ByteCache<string>(decode);
  private readonly steps = new ByteCache<string>(decode);
  private readonly writes = new WriteScanner();
  /** Short rests of lines (`,"value":{"status":204}}`) parsed once; checkers never change a value. */
  private readonly shortRests = new ByteCache<{ value?: unknown; error?: string }>((buf, from, to) => {
    try { return JSON.parse(`{${buf.toString('utf8', from + 1, to)}`) as { value?: unknown; error?: string }; } catch { return undefined; }
  });

  /**
   * The entry of line buf[from, to), or undefined when it is not in the runner's shape
   * (the caller parses it whole), or has a sidecar (the caller merges it).
   */
  scan(buf: Buffer, from: number, to: number, path: string, line: number): CheckEntry | undefined {
    // The cursor lives on the scanner: no closures allocated per line.
    this.buf = buf; this.p = from; this.to = to;
    let p: number;
    if (buf[to - 1] !== BRACE_CLOSE || !this.expect(INDEX)) return undefined;
    const index = this.int();
    if (Number.isNaN(index) || !this.expect(SCENARIO)) return undefined;
    const scenario = this.str(this.scenarios);
    if (scenario === undefined || !this.expect(INVOKE_INDEX)) return undefined;
    const invokeIndex = this.int();
    if (Number.isNaN(invokeIndex) || !this.expect(TIME_MS)) return undefined;
    const timeMs = this.number();
    if (Number.isNaN(timeMs)) return undefined;
    if (!this.expect(WALL)) return undefined;
    const wallEnd = this.stringEnd();
    if (wallEnd < 0) return undefined;
    this.p = wallEnd + 1;
    if (!this.expect(TYPE)) return undefined;
    const type = this.str(this.types);
    if (type === undefined || !TYPES.has(type) || !this.expect(F)) return undefined;
    const f = this.str(this.fs);
    if (f === undefined || !this.expect(NODE)) return undefined;
    let node: string | null;
    if (this.expect(NULL)) node = null;
    else {
      if (buf[this.p] !== QUOTE) return undefined;
      this.p++;
      const n = this.str(this.nodes);
      if (n === undefined) return undefined;
      node = n;
    }
    if (!this.expect(STEP)) return undefined;
    const step = this.str(this.steps);
    if (step === undefined) return undefined;
    // What is left: `}` or `,"value":...,"error":...}`.
    let rest = '';
    let shared: { value?: unknown; error?: string } | undefined;
    let write: ScannedWrite | undefined;
    p = this.p;
    if (p < to - 1) {
      if (buf[p] !== COMMA) return undefined;
      // A sidecar reference is the line's last key and ends `"]}}`: only such lines are searched.
      if (buf[to - 4] === QUOTE && buf[to - 3] === 0x5d && buf[to - 2] === BRACE_CLOSE && buf.subarray(p, to).indexOf(SIDECAR) >= 0) return undefined;
      if (to - p < 64) {
        shared = this.shortRests.get(buf, p, to);
        if (!shared) return undefined;
      } else rest = `{${buf.toString('utf8', p + 1, to)}`;
      if (type === 'invoke' && f === 'write' && this.expect(VALUE)) {
        write = this.writes.scan(buf, this.p, to - 1);
      }
    } else if (p !== to - 1) return undefined;
    return new ScannedEntry(index, scenario, invokeIndex, timeMs, type as OpType, f, node, step, rest, path, line, shared, write);
  }


  /** A non-negative integer, or NaN. */
  private int(): number {
    const { buf, to } = this;
    let n = 0, p = this.p;
    const start = p;
    while (p < to) { const d = buf[p]! - 48; if (d < 0 || d > 9) break; n = n * 10 + d; p++; }
    this.p = p;
    return p === start || p - start > 15 ? NaN : n;
  }

  private str(cache: ByteCache<string>): string | undefined {
    const e = this.stringEnd();
    if (e < 0) return undefined;
    const s = cache.get(this.buf, this.p, e)!;
    this.p = e + 1;
    return s;
  }

  /** A JSON number at the cursor (`12.345`, or anything Number reads, e.g. `1e-7`), up to the comma after it; NaN if none. */
  private number(): number {
    const { buf, to } = this;
    const from = this.p;
    let i = from, digits = 0, mantissa = 0, fractionDigits = -1, plain = true;
    for (; i < to; i++) {
      const c = buf[i]!;
      if (c >= 48 && c <= 57) { mantissa = mantissa * 10 + (c - 48); digits++; if (fractionDigits >= 0) fractionDigits++; continue; }
      if (c === 0x2e /* . */ && fractionDigits < 0 && digits > 0) { fractionDigits = 0; continue; }
      if (c === COMMA) break;
      plain = false;
    }
    if (i === from || i >= to) return NaN;
    this.p = i;
    // Mantissa and power of ten both exact: one division is the correctly rounded value, as Number() gives.
    if (plain && digits > 0 && digits <= 15 && fractionDigits !== 0) return fractionDigits > 0 ? mantissa / 10 ** fractionDigits : mantissa;
    return Number(buf.toString('latin1', from, i));
  }
}
