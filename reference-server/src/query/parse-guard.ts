// Bounds on parsing. node-sql-parser's PEG parser has no memoisation: on input that fails to parse
// it retries every alternative at every bracket level, so its work doubles with each level of
// nesting (12 levels of '(' around a syntax error: ~2 s; 30 levels: hours). Two guards:
// - a linear pre-check of brackets, so the classic shapes (unbalanced, absurdly deep) get an
//   immediate 400 naming the position;
// - a step budget: the parser reads its input only through charCodeAt/substr/charAt, so it gets a
//   String object that counts those reads and gives up past a budget linear in the query length
//   (valid queries use 30-80 reads per character) or past the query's deadline.
import { QueryError } from './errors.js';

/** Deepest bracket nesting accepted; DataFusion's own parser stops at 50. */
export const MAX_NESTING = 64;
/** Parser input reads allowed per character of SQL, plus a fixed allowance. */
const STEPS_PER_CHAR = 1000;
const BASE_STEPS = 100_000;

export function lineColumn(sql: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < sql.length; i++) {
    if (sql.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

function positioned(sql: string, offset: number, what: string): QueryError {
  const { line, column } = lineColumn(sql, offset);
  return new QueryError(400, `SQL error: ParserError at line ${line}, column ${column}: ${what}`);
}

/**
 * Linear scan of brackets outside string literals, quoted identifiers and comments: throws a
 * positioned 400 for a closing bracket with no opening one, an opening bracket never closed, or
 * nesting deeper than MAX_NESTING.
 */
export function checkBrackets(sql: string): void {
  const open: number[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      // '' and "" escape the quote; an unterminated literal is left to the parser to report.
      i++;
      while (i < n && !(sql[i] === c && sql[i + 1] !== c)) i += sql[i] === c ? 2 : 1;
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === '(' || c === '[') {
      open.push(i);
      if (open.length > MAX_NESTING) throw positioned(sql, i, `brackets nested deeper than ${MAX_NESTING} levels`);
    } else if (c === ')' || c === ']') {
      const o = open.pop();
      if (o === undefined) throw positioned(sql, i, `'${c}' closes nothing`);
      if ((sql[o] === '(') !== (c === ')')) throw positioned(sql, i, `'${c}' does not match '${sql[o]}' opened at ${describe(sql, o)}`);
    }
    i++;
  }
  const last = open.pop();
  if (last !== undefined) throw positioned(sql, last, `'${sql[last]}' is never closed`);
}

function describe(sql: string, offset: number): string {
  const { line, column } = lineColumn(sql, offset);
  return `line ${line}, column ${column}`;
}

/** Thrown inside the parser when the budget or the deadline runs out. */
export class ParseBudgetExceeded extends Error {
  constructor(
    readonly reason: 'budget' | 'deadline',
    readonly farthest: number,
  ) {
    super(reason);
  }
}

/**
 * The SQL text as the parser will read it, counting reads: past the step budget or `deadline`
 * (Date.now() ms) the next read throws ParseBudgetExceeded with the farthest offset read.
 */
export class BudgetedInput extends String {
  private left: number;
  private farthest = 0;
  private sinceClock = 0;

  constructor(
    sql: string,
    private readonly deadline: number,
  ) {
    super(sql);
    this.left = BASE_STEPS + STEPS_PER_CHAR * sql.length;
  }

  private step(at: number): void {
    if (at > this.farthest) this.farthest = at;
    if (--this.left < 0) throw new ParseBudgetExceeded('budget', this.farthest);
    if (++this.sinceClock >= 4096) {
      this.sinceClock = 0;
      if (Date.now() > this.deadline) throw new ParseBudgetExceeded('deadline', this.farthest);
    }
  }

  override charCodeAt(i: number): number {
    this.step(i);
    return super.charCodeAt(i);
  }

  override charAt(i: number): string {
    this.step(i);
    return super.charAt(i);
  }

  override substr(from: number, length?: number): string {
    this.step(from);
    return super.substr(from, length);
  }
}

/** 400 for a parse that ran out of budget: the query is too complex (or malformed too deep) to parse. */
export function budgetError(sql: string, e: ParseBudgetExceeded): QueryError {
  return positioned(
    sql,
    e.farthest,
    'the parser gave up (too much backtracking: usually a syntax error inside deeply nested brackets); check the SQL near this position',
  );
}
