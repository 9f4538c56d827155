// Query limits: how long a query may run and how much it may produce, at every stage (parse, each
// shard scan, the final stage). A query over a limit is the client's problem: 400 naming the limit,
// its value and the flag that sets it (InfluxDB 3 answers every failed query with 400).
import { QueryError } from './errors.js';

export interface QueryLimits {
  /** Wall time of the whole query, parse to formatted result (ms). */
  timeoutMs: number;
  /** Rows one stage may produce: a shard scan, the gathered input of the final stage, the result. */
  maxRows: number;
  /** Approximate bytes one stage may produce (strings by length, other values 8). */
  maxBytes: number;
  /** Longest string a string function (lpad, repeat, replace, ||, ...) may build, in characters. */
  maxStringLength: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  timeoutMs: 10_000,
  maxRows: 1_000_000,
  maxBytes: 64 * 1024 * 1024,
  maxStringLength: 1024 * 1024,
};

/** No limits: for direct callers of runScan/executeFinal that bound the work themselves (tests). */
export const UNLIMITED: QueryLimits = {
  timeoutMs: Number.POSITIVE_INFINITY,
  maxRows: Number.POSITIVE_INFINITY,
  maxBytes: Number.POSITIVE_INFINITY,
  maxStringLength: 1 << 29,
};

/** Flag names, so every limit error tells the client what to change. */
const FLAG = {
  timeoutMs: '--query-timeout',
  maxRows: '--query-max-rows',
  maxBytes: '--query-max-bytes',
  maxStringLength: '--query-max-string-length',
} as const;

export function timeLimitError(limits: QueryLimits, stage: string): QueryError {
  return new QueryError(400, `query exceeded the time limit of ${limits.timeoutMs} ms during ${stage} (${FLAG.timeoutMs})`);
}

export function stringLimitError(limits: QueryLimits, fn: string): QueryError {
  return new QueryError(400, `${fn} would build a string longer than the limit of ${limits.maxStringLength} characters (${FLAG.maxStringLength})`);
}

/** Counts rows and bytes a stage produces; throws a 400 naming the stage as soon as one limit is passed. */
export class ResultMeter {
  rows = 0;
  bytes = 0;

  constructor(
    private readonly limits: QueryLimits,
    private readonly stage: string,
  ) {}

  add(row: readonly unknown[]): void {
    this.rows++;
    for (const v of row) this.bytes += typeof v === 'string' ? v.length : 8;
    if (this.rows > this.limits.maxRows) {
      throw new QueryError(400, `${this.stage} produced more than the limit of ${this.limits.maxRows} rows (${FLAG.maxRows}); add filters, aggregate or use LIMIT`);
    }
    if (this.bytes > this.limits.maxBytes) {
      throw new QueryError(400, `${this.stage} produced more than the limit of ${this.limits.maxBytes} bytes (${FLAG.maxBytes}); select fewer columns or rows`);
    }
  }
}
