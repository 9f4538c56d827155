// Binder: turns node-sql-parser's PostgreSQL AST into the bound IR (ir.ts). Resolves tables through
// the CatalogView, columns through scopes, infers types, coerces time literals compared with
// timestamps to ns integers, folds now()/interval arithmetic, and rejects what is not supported.

/* eslint-disable @typescript-eslint/no-explicit-any */
import type { ColumnSchema, FieldType } from '../types.js';
import { QueryError, badQuery, unsupported } from './errors.js';
import { AGGREGATES, SCALARS, commonType } from './functions.js';
import type { BCol, Binding, Expr, FromNode, Item, OrderItem, Query, SelectQ, SetQ, SqlType } from './ir.js';
import { hasAggregate, mapChildren, outputs } from './ir.js';
import { relationColumn } from './relation-column.js';
import {
  DATE_PART_NAMES, DATE_TRUNC_UNITS, type Interval, addInterval, dateTrunc, dateTruncFixed, datePart,
  formatTimestamp, intervalDisplay, intervalFixedNs, parseInterval, parseTimestampOrThrow,
  NS_PER_S, NS_PER_MS, NS_PER_US,
} from './time.js';

export interface CatalogView {
  databaseExists(db: string): boolean;
  /** undefined = no such table. */
  tableColumns(db: string, table: string): ColumnSchema[] | undefined;
  tableNames(db: string): string[];
  shardKeys(db: string, table: string): string[];
}

type Node = any;

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;

interface Ident {
  value: string;
  quoted: boolean;
}

interface CteDef {
  name: string;
  ast: Node;
  columns: string[] | null;
  ctes: Map<string, CteDef>;
}

class Scope {
  bindings: Binding[] = [];
  /** USING columns: unqualified name -> binding that supplies it. */
  using = new Map<string, Binding>();
  correlated = false;
  constructor(readonly parent: Scope | null) {}
}

interface ExprCtx {
  scope: Scope;
  /** Aggregates allowed here (select list, HAVING, ORDER BY). */
  allowAgg: boolean;
  inAgg: boolean;
  /** Output items for alias fallback (GROUP BY, HAVING, ORDER BY). */
  aliases: Item[] | null;
  clause: string;
}

/** Case rules of DataFusion: unquoted identifiers are lower-cased. We also accept a unique case-insensitive match. */
function matchByName<T>(cands: T[], name: (t: T) => string, id: Ident): T[] {
  const exact = (v: string) => cands.filter((c) => name(c) === v);
  if (id.quoted) return exact(id.value);
  let r = exact(id.value.toLowerCase());
  if (r.length > 0) return r;
  r = exact(id.value);
  if (r.length > 0) return r;
  const low = id.value.toLowerCase();
  return cands.filter((c) => name(c).toLowerCase() === low);
}

function identOf(n: Node): Ident {
  if (typeof n === 'string') return { value: n, quoted: false };
  if (n && typeof n === 'object') {
    if ('expr' in n && n.expr && typeof n.expr === 'object') return identOf(n.expr);
    if (typeof n.value === 'string') {
      return { value: n.value, quoted: n.type === 'double_quote_string' || n.type === 'backticks_quote_string' };
    }
  }
  throw unsupported(`identifier ${JSON.stringify(n)}`);
}

function fieldSqlType(c: ColumnSchema): SqlType {
  if (c.kind === 'time') return 'timestamp';
  if (c.kind === 'tag') return 'string';
  return (c.type ?? 'string') as FieldType;
}

export function arrowTypeName(c: ColumnSchema): string {
  if (c.kind === 'time') return 'Timestamp(Nanosecond, None)';
  if (c.kind === 'tag') return 'Dictionary(Int32, Utf8)';
  switch (c.type) {
    case 'float': return 'Float64';
    case 'integer': return 'Int64';
    case 'uinteger': return 'UInt64';
    case 'boolean': return 'Boolean';
    default: return 'Utf8';
  }
}

/** Known DataFusion/InfluxDB functions this layer does not implement: a clear 400 instead of "invalid function". */
const UNSUPPORTED_FUNCTIONS = new Set([
  'selector_first', 'selector_last', 'selector_min', 'selector_max', 'first_value', 'last_value', 'nth_value',
  'array_agg', 'string_agg', 'approx_percentile_cont', 'approx_percentile_cont_with_weight', 'percentile_cont',
  'row_number', 'rank', 'dense_rank', 'lag', 'lead', 'ntile', 'cume_dist', 'percent_rank', 'corr', 'covar',
  'covar_pop', 'covar_samp', 'regr_slope', 'interpolate', 'locf', 'date_bin_gapfill', 'date_bin_wallclock',
  'to_char', 'to_date', 'make_date', 'arrow_cast', 'arrow_typeof', 'regexp_match', 'struct', 'named_struct',
  'random', 'uuid', 'current_date', 'current_time', 'tz',
]);

/** An integer literal usable as an unsigned bound (0 <= v < 2^64). */
function uintLit(e: Expr): bigint | undefined {
  if (e.k === 'lit' && typeof e.v === 'bigint' && e.v >= 0n && e.v <= U64_MAX) return e.v;
  return undefined;
}

/**
 * `x op c` for a uinteger x stored as signed 64-bit two's complement: values >= 2^63 are
 * negative in storage, so order comparisons split on the sign.
 */
function uintCompare(x: Expr, op: string, c: bigint): Expr {
  const b = (o: string, l: Expr, r: Expr): Expr => ({ k: 'bin', op: o, l, r, type: 'boolean' });
  const cmp = (o: string, v: bigint) => b(o, x, { k: 'lit', v, type: 'integer' });
  const high = c > I64_MAX;
  const s = BigInt.asIntN(64, c);
  const neg = cmp('<', 0n);
  const nonNeg = cmp('>=', 0n);
  switch (op) {
    case '<': return high ? b('OR', nonNeg, cmp('<', s)) : b('AND', nonNeg, cmp('<', c));
    case '<=': return high ? b('OR', nonNeg, cmp('<=', s)) : b('AND', nonNeg, cmp('<=', c));
    case '>': return high ? b('AND', neg, cmp('>', s)) : b('OR', neg, cmp('>', c));
    case '>=': return high ? b('AND', neg, cmp('>=', s)) : b('OR', neg, cmp('>=', c));
    default: return b(op, x, { k: 'lit', v: c, type: 'uinteger' });
  }
}

const INFO_VIEWS = ['tables', 'views', 'columns', 'df_settings', 'schemata', 'routines', 'parameters'];

// ---------------------------------------------------------------------------------------------
// Expression keys and display names

const objIds = new WeakMap<object, number>();
let objCounter = 0;
function objId(o: object): number {
  let id = objIds.get(o);
  if (id === undefined) {
    id = ++objCounter;
    objIds.set(o, id);
  }
  return id;
}

/** Structural key of an expression: equal keys mean equal expressions. */
export function exprKey(e: Expr): string {
  switch (e.k) {
    case 'col': return `col(${e.b.id}.${JSON.stringify(e.name)})`;
    case 'lit': return `lit(${e.type}:${typeof e.v === 'bigint' ? e.v.toString() + 'n' : JSON.stringify(e.v)})`;
    case 'interval': return `iv(${e.iv.months},${e.iv.days},${e.iv.ns})`;
    case 'outref': return `out(${e.index})`;
    case 'bin': return `(${exprKey(e.l)} ${e.op} ${exprKey(e.r)})`;
    case 'not': return `not(${exprKey(e.e)})`;
    case 'neg': return `neg(${exprKey(e.e)})`;
    case 'fn': return `${e.name}(${e.args.map(exprKey).join(',')})`;
    case 'agg':
      return `agg:${e.name}(${e.distinct ? 'D ' : ''}${e.star ? '*' : e.args.map(exprKey).join(',')})` +
        (e.filter ? `filter(${exprKey(e.filter)})` : '');
    case 'case':
      return `case(${e.operand ? exprKey(e.operand) : ''};${e.whens.map(([w, t]) => exprKey(w) + '=>' + exprKey(t)).join(';')};${e.else ? exprKey(e.else) : ''})`;
    case 'cast': return `cast(${exprKey(e.e)} as ${e.to})`;
    case 'in': return `in(${e.not}:${exprKey(e.e)};${e.list.map(exprKey).join(',')})`;
    case 'insub': return `insub(${e.not}:${exprKey(e.e)};${objId(e.q)})`;
    case 'between': return `between(${e.not}:${exprKey(e.e)};${exprKey(e.lo)};${exprKey(e.hi)})`;
    case 'like': return `like(${e.not}:${e.ci}:${exprKey(e.e)};${exprKey(e.pat)})`;
    case 'regex': return `regex(${e.not}:${e.ci}:${exprKey(e.e)};${exprKey(e.pat)})`;
    case 'isnull': return `isnull(${e.not}:${exprKey(e.e)})`;
    case 'is': return `is(${e.not}:${e.v}:${exprKey(e.e)})`;
    case 'subq': return `subq(${objId(e.q)})`;
    case 'exists': return `exists(${e.not}:${objId(e.q)})`;
  }
}

function litDisplay(e: Extract<Expr, { k: 'lit' }>): string {
  if (e.display) return e.display;
  const v = e.v;
  if (v === null) return 'NULL';
  switch (e.type) {
    case 'timestamp': return `TimestampNanosecond(${v}, None)`;
    case 'float': return `Float64(${String(v)})`;
    case 'integer': return `Int64(${String(v)})`;
    case 'uinteger': return `UInt64(${String(v)})`;
    case 'boolean': return `Boolean(${v ? 'true' : 'false'})`;
    case 'string': return `Utf8("${String(v)}")`;
    default: return String(v);
  }
}

/** DataFusion-style display name (columns bare at top level, qualified inside expressions). */
export function displayName(e: Expr, top = false): string {
  const d = (x: Expr) => displayName(x, false);
  const label = (e as { label?: string }).label;
  if (label !== undefined) return label;
  switch (e.k) {
    case 'col': return top ? e.name : `${e.b.name ? e.b.name + '.' : ''}${e.name}`;
    case 'lit': return litDisplay(e);
    case 'interval': return intervalDisplay(e.iv);
    case 'outref': return `#${e.index + 1}`;
    case 'bin': return `${d(e.l)} ${e.op === '<>' ? '!=' : e.op} ${d(e.r)}`;
    case 'not': return `NOT ${d(e.e)}`;
    case 'neg': return `(- ${d(e.e)})`;
    case 'fn': return `${e.name}(${e.args.map(d).join(',')})`;
    case 'agg':
      return `${e.name}(${e.distinct && e.name !== 'approx_distinct' ? 'DISTINCT ' : ''}${e.star ? '*' : e.args.map(d).join(',')})` +
        (e.filter ? ` FILTER (WHERE ${d(e.filter)})` : '');
    case 'case': {
      let s = 'CASE';
      if (e.operand) s += ' ' + d(e.operand);
      for (const [w, t] of e.whens) s += ` WHEN ${d(w)} THEN ${d(t)}`;
      if (e.else) s += ` ELSE ${d(e.else)}`;
      return s + ' END';
    }
    case 'cast': return `CAST(${d(e.e)} AS ${e.display})`;
    case 'in': return `${d(e.e)} ${e.not ? 'NOT IN' : 'IN'} ([${e.list.map(d).join(', ')}])`;
    case 'insub': return `${d(e.e)} ${e.not ? 'NOT IN' : 'IN'} (<subquery>)`;
    case 'between': return `${d(e.e)} ${e.not ? 'NOT BETWEEN' : 'BETWEEN'} ${d(e.lo)} AND ${d(e.hi)}`;
    case 'like': return `${d(e.e)} ${e.not ? 'NOT ' : ''}${e.ci ? 'ILIKE' : 'LIKE'} ${d(e.pat)}`;
    case 'regex': return `${d(e.e)} ${e.not ? '!' : ''}~${e.ci ? '*' : ''} ${d(e.pat)}`;
    case 'isnull': return `${d(e.e)} IS ${e.not ? 'NOT ' : ''}NULL`;
    case 'is': return `${d(e.e)} IS ${e.not ? 'NOT ' : ''}${e.v ? 'TRUE' : 'FALSE'}`;
    case 'subq': return '(<subquery>)';
    case 'exists': return `${e.not ? 'NOT ' : ''}EXISTS (<subquery>)`;
  }
}

// ---------------------------------------------------------------------------------------------

function lit(v: null | bigint | number | string | boolean, type: SqlType, display?: string): Expr {
  return display === undefined ? { k: 'lit', v, type } : { k: 'lit', v, type, display };
}

function fnNode(name: string, args: Expr[], type: SqlType, label?: string): Expr {
  const n: Expr = { k: 'fn', name, args, type };
  if (label !== undefined) (n as { label?: string }).label = label;
  return n;
}

function isStringLit(e: Expr): e is Extract<Expr, { k: 'lit' }> & { v: string } {
  return e.k === 'lit' && typeof e.v === 'string';
}

/** A string literal used where a timestamp is expected becomes a timestamp literal. */
function toTimestamp(e: Expr): Expr {
  if (isStringLit(e)) return lit(parseTimestampOrThrow(e.v), 'timestamp', litDisplay(e));
  if (e.k === 'lit' && e.v === null) return lit(null, 'timestamp', 'NULL');
  return e;
}

function coercePair(l: Expr, r: Expr): [Expr, Expr] {
  if (l.type === 'timestamp' && isStringLit(r)) return [l, toTimestamp(r)];
  if (r.type === 'timestamp' && isStringLit(l)) return [toTimestamp(l), r];
  return [l, r];
}

function checkI64(v: bigint): bigint {
  if (v < I64_MIN || v > I64_MAX) throw badQuery('integer overflow in constant expression');
  return v;
}

function intervalOf(e: Expr): Interval | null {
  if (e.k === 'interval') return e.iv;
  return null;
}

function intervalNode(iv: Interval): Expr {
  return { k: 'interval', iv, type: 'interval' };
}

function requireConstTimestamp(e: Expr, what: string): bigint {
  const t = toTimestamp(e);
  if (t.k === 'lit' && typeof t.v === 'bigint') return t.v;
  throw unsupported(`${what} must be a constant timestamp`);
}

// ---------------------------------------------------------------------------------------------

export class Binder {
  private nextId = 0;
  constructor(
    private readonly defaultDb: string,
    private readonly catalog: CatalogView,
    private readonly now: bigint,
    /** Original SQL text: the parser drops whether an alias was quoted. */
    private readonly sqlText = '',
  ) {}

  /** DataFusion lower-cases unquoted aliases; the parser loses the quotes, so look for them in the text. */
  private aliasName(raw: unknown): string {
    const v = identOf(raw).value;
    if (v === v.toLowerCase()) return v;
    return this.quotedInText(v) ? v : v.toLowerCase();
  }

  /** Whether the query text has `name` as a double-quoted identifier (the parser drops that for aliases and tables). */
  private quotedInText(name: string): boolean {
    return this.sqlText.includes('"' + name.replace(/"/g, '""') + '"');
  }

  bindStatement(ast: Node): Query {
    if (ast.type !== 'select') throw unsupported(`${String(ast.type).toUpperCase()} statements (only SELECT queries are supported)`);
    return this.bindQuery(ast, null, new Map());
  }

  // ----- queries -------------------------------------------------------------------------

  private bindQuery(ast: Node, parent: Scope | null, ctesIn: Map<string, CteDef>): Query {
    let ctes = ctesIn;
    if (ast.with) {
      if (ast.with.recursive) throw unsupported('WITH RECURSIVE');
      ctes = new Map(ctesIn);
      for (const w of ast.with) {
        if (w.recursive) throw unsupported('WITH RECURSIVE');
        const name = identOf(w.name).value;
        const cols = Array.isArray(w.columns) && w.columns.length > 0 ? w.columns.map((c: Node) => identOf(c).value) : null;
        const stmt = w.stmt?.ast ?? w.stmt;
        if (!stmt || stmt.type !== 'select') throw unsupported('non-SELECT common table expression');
        ctes.set(name, { name, ast: stmt, columns: cols, ctes: new Map(ctes) });
      }
    }
    if (!ast._next) return this.bindSelect({ ...ast, with: null }, parent, ctes);

    // Set operations: a left-associative chain; a trailing ORDER BY/LIMIT written without
    // parentheses on the last branch belongs to the whole compound.
    const branches: Node[] = [];
    const ops: string[] = [];
    let cur: Node = ast;
    while (cur) {
      branches.push(cur);
      if (cur._next) ops.push(String(cur.set_op ?? '').toUpperCase());
      cur = cur._next;
    }
    const last = branches[branches.length - 1];
    let tailOrder: Node[] | null = null;
    let tailLimit: Node = null;
    if (!last.parentheses_symbol && (last.orderby || (last.limit && last.limit.value && last.limit.value.length > 0))) {
      tailOrder = last.orderby;
      tailLimit = last.limit;
      branches[branches.length - 1] = { ...last, orderby: null, limit: null };
    }
    const strip = (b: Node) => ({ ...b, _next: null, set_op: null, with: null });
    let q: Query = this.bindSelect(strip(branches[0]), parent, ctes);
    for (let i = 1; i < branches.length; i++) {
      const right = this.bindSelect(strip(branches[i]), parent, ctes);
      const op = ops[i - 1]!;
      const opName = op === 'UNION ALL' ? 'UNION ALL' : op === 'UNION' || op === 'UNION DISTINCT' ? 'UNION'
        : op === 'EXCEPT' || op === 'EXCEPT DISTINCT' ? 'EXCEPT' : op === 'INTERSECT' || op === 'INTERSECT DISTINCT' ? 'INTERSECT' : null;
      if (!opName) throw unsupported(`set operation ${op}`);
      const lo = outputs(q);
      const ro = outputs(right);
      if (lo.length !== ro.length) {
        throw badQuery(`${opName} queries have different number of columns: left has ${lo.length}, right has ${ro.length}`);
      }
      const set: SetQ = {
        kind: 'set', op: opName, left: q, right,
        items: lo.map((o, j) => ({ name: o.name, type: commonType([o.type, ro[j]!.type]) })),
        orderBy: [], limit: null, offset: null,
      };
      q = set;
    }
    const set = q as SetQ;
    if (tailOrder) {
      for (const o of tailOrder) {
        const idx = this.setOrderIndex(o.expr, set);
        set.orderBy.push({ index: idx, ...this.orderDir(o) });
      }
    }
    if (tailLimit) {
      const { limit, offset } = this.bindLimit(tailLimit);
      set.limit = limit;
      set.offset = offset;
    }
    return set;
  }

  private setOrderIndex(e: Node, set: SetQ): number {
    if (e.type === 'number' && Number.isInteger(Number(e.value))) {
      const n = Number(e.value);
      if (n < 1 || n > set.items.length) throw badQuery(`ORDER BY position ${n} is not in select list`);
      return n - 1;
    }
    if (e.type === 'column_ref' && !e.table && e.column !== '*') {
      const id = identOf(e.column);
      const m = matchByName(set.items.map((it, i) => ({ it, i })), (x) => x.it.name, id);
      if (m.length >= 1) return m[0]!.i;
      throw badQuery(`ORDER BY term '${id.value}' does not match any column of the set operation`);
    }
    throw unsupported('ORDER BY expressions on a set operation (use a column name or position)');
  }

  private orderDir(o: Node): { desc: boolean; nullsFirst: boolean } {
    const desc = String(o.type ?? 'ASC').toUpperCase() === 'DESC';
    let nullsFirst = desc; // PostgreSQL/DataFusion default: NULLS LAST for ASC, NULLS FIRST for DESC
    if (o.nulls) nullsFirst = /FIRST/i.test(String(o.nulls));
    return { desc, nullsFirst };
  }

  private bindLimit(l: Node): { limit: bigint | null; offset: bigint | null } {
    if (!l || !Array.isArray(l.value) || l.value.length === 0) return { limit: null, offset: null };
    const num = (n: Node): bigint | null => {
      if (n.type === 'origin' && String(n.value).toLowerCase() === 'all') return null;
      if ((n.type === 'number' || n.type === 'bigint') && /^\d+$/.test(String(n.value))) return BigInt(n.value);
      throw unsupported('LIMIT/OFFSET must be non-negative integer literals');
    };
    let limit: bigint | null = null;
    let offset: bigint | null = null;
    if (l.seperator === 'offset') {
      limit = num(l.value[0]);
      if (l.value[1]) offset = num(l.value[1]);
    } else if (l.seperator === ',') {
      // MySQL form LIMIT offset, count
      offset = num(l.value[0]);
      limit = num(l.value[1]);
    } else {
      limit = num(l.value[0]);
      if (l.value[1]) offset = num(l.value[1]);
    }
    return { limit, offset };
  }

  private bindSelect(ast: Node, parent: Scope | null, ctesIn: Map<string, CteDef>): SelectQ {
    if (ast.with) return this.bindQuery(ast, parent, ctesIn) as SelectQ;
    if (ast.into && ast.into.position) throw unsupported('SELECT INTO');
    if (ast.window) throw unsupported('WINDOW clause');
    const scope = new Scope(parent);
    const from = ast.from ? this.bindFrom(ast.from, scope, ctesIn) : null;

    const q: SelectQ = {
      kind: 'select', distinct: false, items: [], from, where: null, groupBy: [], having: null, orderBy: [],
      limit: null, offset: null, aggregate: false, bindings: scope.bindings, correlated: false,
    };
    if (ast.distinct && ast.distinct.type) {
      if (String(ast.distinct.type).toUpperCase() !== 'DISTINCT') throw unsupported(String(ast.distinct.type));
      q.distinct = true;
    }

    // Select list
    const ctx = (clause: string, allowAgg: boolean, aliases: Item[] | null): ExprCtx => ({
      scope, allowAgg, inAgg: false, aliases, clause,
    });
    for (const col of ast.columns ?? []) {
      const expr = col.expr;
      if (expr && expr.type === 'column_ref' && expr.column === '*') {
        q.items.push(...this.expandStar(expr, scope));
        continue;
      }
      if (col.type && col.type !== 'expr') throw unsupported(`select item of type ${col.type}`);
      const e = this.bindExpr(expr, ctx('SELECT', true, null));
      if (e.k === 'interval') throw unsupported('selecting an interval value');
      const alias = col.as != null ? this.aliasName(col.as) : null;
      q.items.push({ expr: e, name: alias ?? displayName(e, true) });
    }
    if (q.items.length === 0) throw badQuery('SELECT list is empty');

    if (ast.where) q.where = this.bindExpr(ast.where, ctx('WHERE', false, null));

    // GROUP BY: positions, input columns, then output aliases.
    const gb = ast.groupby?.columns ?? (Array.isArray(ast.groupby) ? ast.groupby : null);
    if (ast.groupby && ast.groupby.modifiers && ast.groupby.modifiers.length) throw unsupported('GROUP BY modifiers');
    if (gb) {
      for (const g of gb) {
        q.groupBy.push(this.bindGroupKey(g, q, scope));
      }
    }
    if (ast.having) q.having = this.bindExpr(ast.having, ctx('HAVING', true, q.items));

    for (const o of ast.orderby ?? []) {
      q.orderBy.push(this.bindOrderItem(o, q, scope));
    }
    const { limit, offset } = this.bindLimit(ast.limit);
    q.limit = limit;
    q.offset = offset;

    q.aggregate = q.groupBy.length > 0 || q.items.some((i) => hasAggregate(i.expr)) ||
      (q.having !== null) || q.orderBy.some((o) => hasAggregate(o.expr));
    if (q.aggregate) this.checkGrouping(q);
    q.correlated = scope.correlated;
    return q;
  }

  private bindGroupKey(g: Node, q: SelectQ, scope: Scope): Expr {
    if ((g.type === 'number' || g.type === 'bigint') && /^\d+$/.test(String(g.value))) {
      const n = Number(g.value);
      if (n < 1 || n > q.items.length) throw badQuery(`GROUP BY position ${n} is not in select list`);
      const e = q.items[n - 1]!.expr;
      if (hasAggregate(e)) throw badQuery(`GROUP BY position ${n} refers to an aggregate`);
      return e;
    }
    const e = this.bindExpr(g, { scope, allowAgg: false, inAgg: false, aliases: q.items, clause: 'GROUP BY' });
    return e;
  }

  private bindOrderItem(o: Node, q: SelectQ, scope: Scope): OrderItem {
    const dir = this.orderDir(o);
    const e = o.expr;
    if ((e.type === 'number' || e.type === 'bigint') && /^\d+$/.test(String(e.value))) {
      const n = Number(e.value);
      if (n < 1 || n > q.items.length) throw badQuery(`ORDER BY position ${n} is not in select list`);
      return { expr: { k: 'outref', index: n - 1, type: q.items[n - 1]!.expr.type }, ...dir };
    }
    if (e.type === 'column_ref' && !e.table && e.column !== '*') {
      // An output column name wins in ORDER BY (PostgreSQL rule).
      const id = identOf(e.column);
      const aliased = q.items.map((it, i) => ({ it, i })).filter((x) => x.it.name === id.value ||
        (!id.quoted && x.it.name === id.value.toLowerCase()));
      if (aliased.length >= 1) {
        const i = aliased[0]!.i;
        return { expr: { k: 'outref', index: i, type: q.items[i]!.expr.type }, ...dir };
      }
    }
    const bound = this.bindExpr(e, { scope, allowAgg: true, inAgg: false, aliases: q.items, clause: 'ORDER BY' });
    const key = exprKey(bound);
    const idx = q.items.findIndex((it) => exprKey(it.expr) === key);
    if (idx >= 0) return { expr: { k: 'outref', index: idx, type: bound.type }, ...dir };
    if (q.distinct) throw badQuery('for SELECT DISTINCT, ORDER BY expressions must appear in select list');
    return { expr: bound, ...dir };
  }

  /** Every column outside aggregates must be (part of) a GROUP BY key. */
  private checkGrouping(q: SelectQ): void {
    const keys = new Set(q.groupBy.map(exprKey));
    const own = new Set(q.bindings);
    const check = (e: Expr): void => {
      if (keys.has(exprKey(e))) return;
      if (e.k === 'agg' || e.k === 'outref') return;
      if (e.k === 'col') {
        if (own.has(e.b)) {
          throw badQuery(`column "${displayName(e)}" must appear in the GROUP BY clause or be used in an aggregate function`);
        }
        return;
      }
      if (e.k === 'subq' || e.k === 'exists' || e.k === 'insub') {
        if (e.k === 'insub') check(e.e);
        return;
      }
      mapChildren(e, (c) => {
        check(c);
        return c;
      });
    };
    for (const it of q.items) check(it.expr);
    if (q.having) check(q.having);
    for (const o of q.orderBy) check(o.expr);
  }

  private expandStar(expr: Node, scope: Scope): Item[] {
    let bs = scope.bindings;
    if (expr.table) {
      const id = identOf(expr.table);
      bs = matchByName(scope.bindings, (b) => b.name, id);
      if (bs.length === 0) throw badQuery(`table '${id.value}' not found in FROM for ${id.value}.*`);
      bs = [bs[0]!];
    } else if (bs.length === 0) {
      throw badQuery('SELECT * with no tables specified is not valid');
    }
    const items: Item[] = [];
    const seenUsing = new Set<string>();
    for (const b of bs) {
      for (const c of b.cols) {
        if (!expr.table && scope.using.has(c.name)) {
          if (seenUsing.has(c.name)) continue;
          seenUsing.add(c.name);
          const ub = scope.using.get(c.name)!;
          items.push({ expr: { k: 'col', b: ub, name: c.name, type: c.type }, name: c.name });
          continue;
        }
        items.push({ expr: { k: 'col', b, name: c.name, type: c.type }, name: c.name });
      }
    }
    return items;
  }

  // ----- FROM ------------------------------------------------------------------------------

  private bindFrom(list: Node[], scope: Scope, ctes: Map<string, CteDef>): FromNode {
    let node: FromNode | null = null;
    for (let i = 0; i < list.length; i++) {
      const item = { ...list[i] };
      let joinType: string | undefined = item.join ? String(item.join).toUpperCase() : undefined;
      const next = list[i + 1];
      // node-sql-parser reads `a CROSS JOIN b` as `a AS cross JOIN b`.
      if (typeof item.as === 'string' && ['cross', 'natural'].includes(item.as.toLowerCase()) && next && next.join) {
        if (item.as.toLowerCase() === 'natural') throw unsupported('NATURAL JOIN');
        if (!next.on && !next.using) {
          item.as = null;
          list = [...list];
          list[i + 1] = { ...next, join: 'CROSS JOIN' };
        }
      }
      if (i > 0 && list[i].join === 'CROSS JOIN') joinType = 'CROSS JOIN';
      const b = this.bindFromItem(item, scope, ctes);
      if (scope.bindings.some((x) => x.name !== '' && x.name === b.name)) {
        throw badQuery(`table name "${b.name}" specified more than once (use an alias)`);
      }
      scope.bindings.push(b);
      const leaf: FromNode = { kind: 'binding', b };
      if (!node) {
        node = leaf;
        continue;
      }
      let type: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS';
      switch (joinType) {
        case undefined: case 'CROSS JOIN': type = 'CROSS'; break;
        case 'JOIN': case 'INNER JOIN': type = 'INNER'; break;
        case 'LEFT JOIN': case 'LEFT OUTER JOIN': type = 'LEFT'; break;
        case 'RIGHT JOIN': case 'RIGHT OUTER JOIN': type = 'RIGHT'; break;
        case 'FULL JOIN': case 'FULL OUTER JOIN': type = 'FULL'; break;
        default: throw unsupported(joinType);
      }
      let on: Expr | null = null;
      if (item.on) {
        on = this.bindExpr(item.on, { scope, allowAgg: false, inAgg: false, aliases: null, clause: 'ON' });
      } else if (item.using) {
        if (type !== 'INNER' && type !== 'LEFT') throw unsupported(`USING with ${type} JOIN`);
        const conds: Expr[] = [];
        for (const u of item.using) {
          const id = identOf(u);
          const leftBs = scope.bindings.slice(0, -1).filter((x) => matchByName(x.cols, (c) => c.name, id).length > 0);
          if (leftBs.length !== 1) throw badQuery(`USING column '${id.value}' must appear exactly once on the left side`);
          const lc = matchByName(leftBs[0]!.cols, (c) => c.name, id)[0]!;
          const rc = matchByName(b.cols, (c) => c.name, id)[0];
          if (!rc) throw badQuery(`USING column '${id.value}' not found in ${b.name}`);
          conds.push({
            k: 'bin', op: '=', type: 'boolean',
            l: { k: 'col', b: leftBs[0]!, name: lc.name, type: lc.type },
            r: { k: 'col', b, name: rc.name, type: rc.type },
          });
          scope.using.set(lc.name, leftBs[0]!);
        }
        on = conds.reduce((a, c) => ({ k: 'bin', op: 'AND', l: a, r: c, type: 'boolean' }));
      } else if (type !== 'CROSS') {
        throw badQuery(`${type} JOIN requires an ON or USING condition`);
      }
      node = { kind: 'join', type, left: node, right: leaf, on };
      if (type === 'LEFT' || type === 'FULL') for (const x of bindingsIn(leaf)) x.nullable = true;
      if (type === 'RIGHT' || type === 'FULL') for (const x of bindingsIn(node.left)) x.nullable = true;
    }
    return node!;
  }

  private bindFromItem(item: Node, scope: Scope, ctes: Map<string, CteDef>): Binding {
    const alias = item.as != null ? this.aliasName(item.as) : null;
    if (item.expr) {
      const sub = item.expr.ast;
      if (!sub) throw unsupported(`FROM item of type ${item.expr.type ?? 'unknown'}`);
      const q = this.bindQuery(sub, scope.parent, ctes);
      return this.derivedBinding(q, alias ?? '', null);
    }
    if (item.type === 'expr' || item.type === 'dual' || item.type === 'values' || item.type === 'unnest') {
      throw unsupported(`FROM item of type ${item.type}`);
    }
    if (typeof item.table !== 'string') throw unsupported('table reference');
    const tableName: string = item.table;
    const db: string | null = item.db ?? null;
    const schema: string | null = item.schema ?? null;
    if (!db && !schema) {
      const cte = ctes.get(tableName) ?? [...ctes.values()].find((c) => c.name.toLowerCase() === tableName.toLowerCase());
      if (cte) {
        const q = this.bindQuery(cte.ast, null, cte.ctes);
        return this.derivedBinding(q, alias ?? cte.name, cte.columns);
      }
    }
    // Qualifiers: [catalog.]schema.table or database.table.
    let database = this.defaultDb;
    let schemaName = 'iox';
    if (db && schema) {
      if (db !== 'public') database = this.checkDb(db);
      schemaName = schema;
    } else if (db) {
      const q = db;
      if (q === 'iox' || q === 'information_schema' || q === 'system') schemaName = q;
      else database = this.checkDb(q);
    }
    if (schemaName === 'information_schema') return this.infoBinding(tableName, alias);
    if (schemaName === 'system') throw unsupported('system tables');
    if (schemaName !== 'iox') throw badQuery(`schema '${schemaName}' not found`);
    const names = this.catalog.tableNames(database);
    // A quoted name is matched exactly (tables Cpu and cpu can both exist, FROM "Cpu" means the
    // first); the text is what tells, and a name it shows quoted only elsewhere still finds
    // its table by the unquoted rules.
    const quoted = this.quotedInText(tableName) && names.includes(tableName);
    const m = quoted ? [tableName] : matchByName(names, (n) => n, { value: tableName, quoted: false });
    if (m.length === 0) {
      const shown = database === this.defaultDb ? `public.iox.${tableName}` : `${database}.${tableName}`;
      throw badQuery(`table '${shown}' not found`);
    }
    const resolved = m.includes(tableName) ? tableName : m[0]!;
    const schemaCols = this.catalog.tableColumns(database, resolved);
    if (!schemaCols) throw badQuery(`table '${resolved}' not found`);
    return {
      id: this.nextId++,
      name: alias ?? resolved,
      kind: 'table',
      cols: schemaCols.map((c) => ({ name: c.name, type: fieldSqlType(c), sql: relationColumn(c.name) })),
      table: { db: database, table: resolved, schema: schemaCols },
      nullable: false,
    };
  }

  private checkDb(name: string): string {
    if (this.catalog.databaseExists(name)) return name;
    throw new QueryError(404, `database not found: ${name}`);
  }

  private derivedBinding(q: Query, name: string, colNames: string[] | null): Binding {
    const outs = outputs(q);
    if (colNames && colNames.length !== outs.length) {
      throw badQuery(`source table has ${outs.length} columns but ${colNames.length} names were given`);
    }
    return {
      id: this.nextId++,
      name,
      kind: 'derived',
      cols: outs.map((o, i) => ({ name: colNames ? colNames[i]! : o.name, type: o.type, sql: `c${i}` })),
      derived: q,
      nullable: false,
    };
  }

  private infoBinding(view: string, alias: string | null): Binding {
    const v = view.toLowerCase();
    if (!INFO_VIEWS.includes(v)) throw badQuery(`table 'public.information_schema.${view}' not found`);
    const db = this.defaultDb;
    const cols = (names: [string, SqlType][]): BCol[] => names.map(([n, t], i) => ({ name: n, type: t, sql: `c${i}` }));
    let bcols: BCol[];
    let rows: unknown[][];
    switch (v) {
      case 'tables': {
        bcols = cols([['table_catalog', 'string'], ['table_schema', 'string'], ['table_name', 'string'], ['table_type', 'string']]);
        rows = this.catalog.tableNames(db).map((t) => ['public', 'iox', t, 'BASE TABLE']);
        for (const iv of INFO_VIEWS) rows.push(['public', 'information_schema', iv, 'VIEW']);
        break;
      }
      case 'columns': {
        bcols = cols([
          ['table_catalog', 'string'], ['table_schema', 'string'], ['table_name', 'string'], ['column_name', 'string'],
          ['ordinal_position', 'integer'], ['column_default', 'string'], ['is_nullable', 'string'], ['data_type', 'string'],
          ['character_maximum_length', 'integer'], ['character_octet_length', 'integer'], ['numeric_precision', 'integer'],
          ['numeric_precision_radix', 'integer'], ['numeric_scale', 'integer'], ['datetime_precision', 'integer'],
          ['interval_type', 'string'],
        ]);
        rows = [];
        for (const t of this.catalog.tableNames(db)) {
          const cs = this.catalog.tableColumns(db, t) ?? [];
          cs.forEach((c, i) => {
            const dt = arrowTypeName(c);
            const numeric = dt === 'Int64' || dt === 'UInt64' ? [64n, 2n] : dt === 'Float64' ? [24n, 2n] : [null, null];
            rows.push(['public', 'iox', t, c.name, BigInt(i), null, c.kind === 'time' ? 'NO' : 'YES', dt,
              null, null, numeric[0], numeric[1], null, null, null]);
          });
        }
        break;
      }
      case 'views':
        bcols = cols([['table_catalog', 'string'], ['table_schema', 'string'], ['table_name', 'string'], ['definition', 'string']]);
        rows = [];
        break;
      case 'schemata':
        bcols = cols([['catalog_name', 'string'], ['schema_name', 'string'], ['schema_owner', 'string'],
          ['default_character_set_catalog', 'string'], ['default_character_set_schema', 'string'],
          ['default_character_set_name', 'string'], ['sql_path', 'string']]);
        rows = ['iox', 'system', 'information_schema'].map((s) => ['public', s, null, null, null, null, null]);
        break;
      case 'df_settings':
        bcols = cols([['name', 'string'], ['value', 'string'], ['description', 'string']]);
        rows = [
          ['datafusion.catalog.default_catalog', 'public', 'The default catalog name'],
          ['datafusion.catalog.default_schema', 'iox', 'The default schema name'],
          ['datafusion.execution.time_zone', '+00:00', 'The default time zone'],
          ['datafusion.sql_parser.enable_ident_normalization', 'true', 'Lower-case unquoted identifiers'],
        ];
        break;
      default:
        bcols = cols([['specific_catalog', 'string'], ['specific_schema', 'string'], ['specific_name', 'string']]);
        rows = [];
    }
    return { id: this.nextId++, name: alias ?? v, kind: 'virtual', cols: bcols, virtualRows: rows, nullable: false };
  }

  // ----- columns ---------------------------------------------------------------------------

  private resolveColumn(node: Node, ctx: ExprCtx): Expr {
    if (node.collate) throw unsupported('COLLATE');
    if (node.options) throw unsupported('AT TIME ZONE and column options');
    if (node.column === '*') throw badQuery(`'*' is only allowed in the select list and count(*)`);
    const id = identOf(node.column);
    const qual: Ident | null = node.table == null ? null : identOf(node.table);
    let scope: Scope | null = ctx.scope;
    const crossed: Scope[] = [];
    while (scope) {
      let hits: { b: Binding; c: BCol }[] = [];
      if (qual) {
        const bs = matchByName(scope.bindings, (b) => b.name, qual);
        if (bs.length > 0) {
          const b = bs[0]!;
          const cs = matchByName(b.cols, (c) => c.name, id);
          if (cs.length === 0) {
            throw badQuery(`No field named ${qual.value}.${id.value}. Valid fields are ${this.validFields(ctx.scope)}.`);
          }
          hits = [{ b, c: cs[0]! }];
        }
      } else {
        for (const b of scope.bindings) {
          const cs = matchByName(b.cols, (c) => c.name, id);
          if (cs.length > 0) hits.push({ b, c: cs[0]! });
        }
        if (hits.length > 1) {
          const u = scope.using.get(hits[0]!.c.name);
          if (u) hits = hits.filter((h) => h.b === u);
        }
        if (hits.length > 1) {
          throw badQuery(`column reference "${id.value}" is ambiguous (${hits.map((h) => `${h.b.name}.${h.c.name}`).join(', ')})`);
        }
      }
      if (hits.length === 1) {
        for (const s of crossed) s.correlated = true;
        const { b, c } = hits[0]!;
        return { k: 'col', b, name: c.name, type: c.type };
      }
      crossed.push(scope);
      scope = scope.parent;
    }
    // Output alias fallback (GROUP BY / HAVING / ORDER BY expressions).
    if (!qual && ctx.aliases) {
      const m = ctx.aliases.filter((it) => it.name === id.value || (!id.quoted && it.name === id.value.toLowerCase()));
      if (m.length >= 1) {
        const e = m[0]!.expr;
        if (!ctx.allowAgg && hasAggregate(e)) throw badQuery(`aggregate functions are not allowed in ${ctx.clause}`);
        return e;
      }
    }
    const name = qual ? `${qual.value}.${id.value}` : id.value;
    throw badQuery(`No field named ${name}. Valid fields are ${this.validFields(ctx.scope)}.`);
  }

  private validFields(scope: Scope): string {
    const all = scope.bindings.flatMap((b) => b.cols.map((c) => (b.name ? `${b.name}.${c.name}` : c.name)));
    return all.length ? all.join(', ') : '(none)';
  }

  // ----- expressions -----------------------------------------------------------------------

  bindExpr(node: Node, ctx: ExprCtx): Expr {
    if (node === null || node === undefined) throw badQuery('missing expression');
    if (node.ast) return this.bindScalarSubquery(node, ctx);
    switch (node.type) {
      case 'column_ref':
        return this.resolveColumn(node, ctx);
      case 'number':
      case 'bigint':
        return this.numberLit(node.value);
      case 'single_quote_string':
      case 'string':
      case 'natural_string':
        return lit(String(node.value).replace(/''/g, "'"), 'string');
      case 'double_quote_string':
        return this.resolveColumn({ type: 'column_ref', table: null, column: { expr: node } }, ctx);
      case 'bool':
      case 'boolean':
        return lit(Boolean(node.value), 'boolean');
      case 'null':
        return lit(null, 'null');
      case 'timestamp':
      case 'datetime':
      case 'date': {
        const v = parseTimestampOrThrow(String(node.value));
        return lit(v, 'timestamp', `TimestampNanosecond(${v}, None)`);
      }
      case 'interval':
        return this.intervalLit(node);
      case 'binary_expr':
        return this.bindBinary(node, ctx);
      case 'unary_expr':
        return this.bindUnary(node, ctx);
      case 'function':
        return this.bindFunction(node, ctx);
      case 'aggr_func':
        return this.bindAggregate(String(node.name).toLowerCase(), node, ctx);
      case 'case':
        return this.bindCase(node, ctx);
      case 'cast':
        return this.bindCast(node, ctx);
      case 'extract': {
        const field = String(node.args?.field ?? '').toLowerCase();
        const src = this.bindExpr(node.args?.source, ctx);
        return this.datePart(field, src, `date_part(Utf8("${field}"),${displayName(src)})`);
      }
      case 'expr_list': {
        const vals = node.value ?? [];
        if (vals.length === 1) return this.bindExpr(vals[0], ctx);
        throw unsupported('row value expressions');
      }
      case 'window_func':
        throw unsupported('window functions');
      case 'var':
      case 'param':
        throw unsupported('query parameters');
      case 'star':
        throw badQuery(`'*' is only allowed in the select list and count(*)`);
      default:
        throw unsupported(`expression of type ${node.type}`);
    }
  }

  private numberLit(value: unknown): Expr {
    if (typeof value === 'number') {
      if (Number.isInteger(value)) {
        if (!Number.isSafeInteger(value)) {
          throw unsupported(`integer literal ${value} cannot be represented exactly (negative literals beyond ±2^53 are not supported)`);
        }
        return lit(BigInt(value), 'integer');
      }
      return lit(value, 'float');
    }
    const s = String(value);
    if (/^[+-]?\d+$/.test(s)) {
      const v = BigInt(s);
      if (v > I64_MAX && v <= U64_MAX) return lit(v, 'uinteger');
      if (v > I64_MAX || v < I64_MIN) return lit(Number(s), 'float');
      return lit(v, 'integer');
    }
    const n = Number(s);
    if (Number.isNaN(n)) throw badQuery(`invalid number ${s}`);
    return lit(n, 'float');
  }

  private intervalLit(node: Node): Expr {
    const inner = node.expr;
    let text: string;
    if (inner && (inner.type === 'single_quote_string' || inner.type === 'string' || inner.type === 'number' || inner.type === 'bigint')) {
      text = String(inner.value);
    } else {
      throw unsupported('non-literal INTERVAL');
    }
    const unit = node.unit ? String(node.unit) : '';
    return intervalNode(parseInterval(text, unit || undefined));
  }

  private bindScalarSubquery(node: Node, ctx: ExprCtx): Expr {
    const q = this.bindQuery(node.ast, ctx.scope, new Map());
    const outs = outputs(q);
    if (outs.length !== 1) throw badQuery('scalar subquery must return exactly one column');
    return { k: 'subq', q, type: outs[0]!.type };
  }

  private subqueryOf(node: Node, ctx: ExprCtx): Query | null {
    const inner = node?.type === 'expr_list' && Array.isArray(node.value) && node.value.length === 1 ? node.value[0] : node;
    if (inner && inner.ast) return this.bindQuery(inner.ast, ctx.scope, new Map());
    return null;
  }

  private bindBinary(node: Node, ctx: ExprCtx): Expr {
    const op = String(node.operator).toUpperCase();
    switch (op) {
      case 'AND':
      case 'OR': {
        const l = this.bindExpr(node.left, ctx);
        const r = this.bindExpr(node.right, ctx);
        return { k: 'bin', op, l, r, type: 'boolean' };
      }
      case '=': case '!=': case '<>': case '<': case '>': case '<=': case '>=': {
        const [l, r] = coercePair(this.bindExpr(node.left, ctx), this.bindExpr(node.right, ctx));
        if (l.k === 'interval' || r.k === 'interval') throw unsupported('comparing interval values');
        if (op !== '=' && op !== '!=' && op !== '<>') {
          const flip: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=' };
          if (l.type === 'uinteger' && uintLit(r) !== undefined) return uintCompare(l, op, uintLit(r)!);
          if (r.type === 'uinteger' && uintLit(l) !== undefined) return uintCompare(r, flip[op]!, uintLit(l)!);
        }
        return { k: 'bin', op: op === '!=' ? '<>' : op, l, r, type: 'boolean' };
      }
      case 'IN':
      case 'NOT IN': {
        const e = this.bindExpr(node.left, ctx);
        const sub = this.subqueryOf(node.right, ctx);
        if (sub) {
          if (outputs(sub).length !== 1) throw badQuery('IN subquery must return exactly one column');
          return { k: 'insub', e, q: sub, not: op === 'NOT IN', type: 'boolean' };
        }
        if (node.right?.type !== 'expr_list') throw unsupported('IN with a non-list right side');
        let list = (node.right.value as Node[]).map((v) => this.bindExpr(v, ctx));
        if (e.type === 'timestamp') list = list.map(toTimestamp);
        if (list.length === 0) throw badQuery('IN list is empty');
        return { k: 'in', e, list, not: op === 'NOT IN', type: 'boolean' };
      }
      case 'BETWEEN':
      case 'NOT BETWEEN': {
        let e = this.bindExpr(node.left, ctx);
        const vals = node.right?.value;
        if (!Array.isArray(vals) || vals.length !== 2) throw badQuery('malformed BETWEEN');
        let lo = this.bindExpr(vals[0], ctx);
        let hi = this.bindExpr(vals[1], ctx);
        if (e.type === 'timestamp') {
          lo = toTimestamp(lo);
          hi = toTimestamp(hi);
        } else if (lo.type === 'timestamp' || hi.type === 'timestamp') {
          e = toTimestamp(e);
        }
        if (e.type === 'uinteger' && uintLit(lo) !== undefined && uintLit(hi) !== undefined) {
          const both: Expr = { k: 'bin', op: 'AND', l: uintCompare(e, '>=', uintLit(lo)!), r: uintCompare(e, '<=', uintLit(hi)!), type: 'boolean' };
          return op === 'NOT BETWEEN' ? { k: 'not', e: both, type: 'boolean' } : both;
        }
        return { k: 'between', e, lo, hi, not: op === 'NOT BETWEEN', type: 'boolean' };
      }
      case 'LIKE': case 'NOT LIKE': case 'ILIKE': case 'NOT ILIKE': {
        const e = this.bindExpr(node.left, ctx);
        const right = node.right;
        if (right && right.escape) throw unsupported('LIKE ... ESCAPE');
        const pat = this.bindExpr(right, ctx);
        return { k: 'like', e, pat, not: op.startsWith('NOT'), ci: op.endsWith('ILIKE'), type: 'boolean' };
      }
      case '~': case '~*': case '!~': case '!~*': {
        const e = this.bindExpr(node.left, ctx);
        const pat = this.bindExpr(node.right, ctx);
        return { k: 'regex', e, pat, not: op.startsWith('!'), ci: op.endsWith('*'), type: 'boolean' };
      }
      case 'IS':
      case 'IS NOT': {
        const e = this.bindExpr(node.left, ctx);
        const r = node.right;
        if (r?.type === 'null') return { k: 'isnull', e, not: op === 'IS NOT', type: 'boolean' };
        if (r?.type === 'bool' || r?.type === 'boolean') {
          return { k: 'is', e, v: Boolean(r.value), not: op === 'IS NOT', type: 'boolean' };
        }
        throw unsupported(`${op} with ${r?.type ?? 'this operand'}`);
      }
      case '||': {
        const l = this.bindExpr(node.left, ctx);
        const r = this.bindExpr(node.right, ctx);
        return { k: 'bin', op: '||', l, r, type: 'string' };
      }
      case '+': case '-': case '*': case '/': case '%':
        return this.arith(op, this.bindExpr(node.left, ctx), this.bindExpr(node.right, ctx));
      default:
        throw unsupported(`operator ${op}`);
    }
  }

  private arith(op: string, lIn: Expr, rIn: Expr): Expr {
    let l = lIn;
    let r = rIn;
    const li = intervalOf(l);
    const ri = intervalOf(r);
    // interval (op) interval / number
    if (li && ri) {
      if (op !== '+' && op !== '-') throw unsupported(`interval ${op} interval`);
      const s = op === '+' ? 1 : -1;
      return intervalNode({ months: li.months + s * ri.months, days: li.days + s * ri.days, ns: li.ns + BigInt(s) * ri.ns });
    }
    if ((li || ri) && (op === '*' || op === '/')) {
      const iv = (li ?? ri)!;
      const other = li ? r : l;
      if (other.k !== 'lit' || typeof other.v !== 'bigint' || (op === '/' && !li)) throw unsupported(`interval ${op} non-constant`);
      const k = other.v;
      if (op === '*') return intervalNode({ months: iv.months * Number(k), days: iv.days * Number(k), ns: iv.ns * k });
      if (iv.months !== 0 || k === 0n) throw unsupported('dividing a month interval');
      return intervalNode({ months: 0, days: 0, ns: intervalFixedNs(iv) / k });
    }
    if (ri || li) {
      // timestamp +/- interval
      if (li && op === '-') throw unsupported('interval - timestamp');
      if (op !== '+' && op !== '-') throw unsupported(`timestamp ${op} interval`);
      const iv = (ri ?? li)!;
      let ts = toTimestamp(ri ? l : r);
      if (ts.type !== 'timestamp' && ts.type !== 'integer' && ts.type !== 'any' && ts.type !== 'null') {
        throw badQuery(`cannot apply ${op} to ${ts.type} and interval`);
      }
      const sign: 1 | -1 = op === '+' ? 1 : -1;
      if (ts.k === 'lit') {
        if (ts.v === null) return lit(null, 'timestamp');
        if (typeof ts.v === 'bigint') {
          return lit(checkI64(addInterval(ts.v, iv, sign)), 'timestamp', `${displayName(ts)} ${op} ${intervalDisplay(iv)}`);
        }
      }
      const label = `${displayName(ri ? l : r)} ${op} ${intervalDisplay(iv)}`;
      if (iv.months !== 0) ts = fnNode('$add_months', [ts, lit(BigInt(sign * iv.months), 'integer')], 'timestamp', label);
      const fixed = intervalFixedNs(iv);
      if (fixed === 0n) return ts;
      const out: Expr = { k: 'bin', op: sign === 1 ? '+' : '-', l: ts, r: lit(fixed, 'integer'), type: 'timestamp' };
      (out as { label?: string }).label = label;
      return out;
    }
    [l, r] = coercePair(l, r);
    let type: SqlType;
    if (l.type === 'timestamp' && r.type === 'timestamp') type = op === '-' ? 'integer' : 'any';
    else if (l.type === 'timestamp' || r.type === 'timestamp') type = op === '+' || op === '-' ? 'timestamp' : 'integer';
    else if (l.type === 'float' || r.type === 'float') type = 'float';
    else if (l.type === 'null' || r.type === 'null') type = 'null';
    else if ((l.type === 'integer' || l.type === 'uinteger') && (r.type === 'integer' || r.type === 'uinteger')) {
      type = l.type === 'uinteger' && r.type === 'uinteger' ? 'uinteger' : 'integer';
    } else if (l.type === 'string' || r.type === 'string' || l.type === 'boolean' || r.type === 'boolean') {
      throw badQuery(`cannot apply operator ${op} to ${l.type} and ${r.type}`);
    } else type = 'any';
    // Fold integer constants (needed for time-range pruning like `time > 1700000000000000000 + 5`).
    if (l.k === 'lit' && r.k === 'lit' && typeof l.v === 'bigint' && typeof r.v === 'bigint' && type !== 'uinteger') {
      const display = `${displayName(l)} ${op} ${displayName(r)}`;
      if (op === '+') return lit(checkI64(l.v + r.v), type, display);
      if (op === '-') return lit(checkI64(l.v - r.v), type, display);
      if (op === '*') return lit(checkI64(l.v * r.v), type, display);
    }
    return { k: 'bin', op, l, r, type };
  }

  private bindUnary(node: Node, ctx: ExprCtx): Expr {
    const op = String(node.operator).toUpperCase();
    const e = this.bindExpr(node.expr, ctx);
    if (op === 'NOT') return { k: 'not', e, type: 'boolean' };
    if (op === '+') return e;
    if (op === '-') {
      if (e.k === 'lit' && typeof e.v === 'bigint') return lit(checkI64(-e.v), e.type);
      if (e.k === 'lit' && typeof e.v === 'number') return lit(-e.v, e.type);
      if (e.k === 'interval') return intervalNode({ months: -e.iv.months, days: -e.iv.days, ns: -e.iv.ns });
      if (e.type === 'string' || e.type === 'boolean') throw badQuery(`cannot negate a ${e.type}`);
      return { k: 'neg', e, type: e.type === 'uinteger' ? 'integer' : e.type };
    }
    throw unsupported(`unary operator ${op}`);
  }

  private fnArgs(node: Node): Node[] {
    const a = node.args;
    if (!a) return [];
    if (a.type === 'expr_list') return a.value ?? [];
    if (Array.isArray(a)) return a;
    if (a.expr) return [a.expr];
    return [a];
  }

  private bindFunction(node: Node, ctx: ExprCtx): Expr {
    const parts: Node[] = node.name?.name ?? [];
    if (parts.length !== 1) throw unsupported(`qualified function name ${parts.map((p) => p.value).join('.')}`);
    const id = identOf(parts[0]);
    const name = id.quoted ? id.value : id.value.toLowerCase();
    if (node.over) throw unsupported('window functions');
    const argNodes = this.fnArgs(node);
    if (name === 'not' && argNodes.length === 1) return { k: 'not', e: this.bindExpr(argNodes[0], ctx), type: 'boolean' };
    if (name === 'exists' && argNodes.length === 1) {
      const q = this.subqueryOf(argNodes[0], ctx);
      if (!q) throw badQuery('EXISTS requires a subquery');
      return { k: 'exists', q, not: false, type: 'boolean' };
    }
    if (AGGREGATES[name]) return this.bindAggregate(name, node, ctx);
    if (UNSUPPORTED_FUNCTIONS.has(name)) throw unsupported(`function ${name}()`);
    const args = (): Expr[] => argNodes.map((a) => this.bindExpr(a, ctx));
    const label = (as: Expr[]) => `${name}(${as.map((x) => displayName(x)).join(',')})`;
    switch (name) {
      case 'now':
        if (argNodes.length !== 0) throw badQuery('now() takes no arguments');
        return lit(this.now, 'timestamp', 'now()');
      case 'date_bin':
        return this.dateBin(args());
      case 'date_trunc':
      case 'datetrunc': {
        const as = args();
        if (as.length !== 2) throw badQuery('date_trunc expects 2 arguments');
        return this.dateTrunc(as[0]!, as[1]!, label(as));
      }
      case 'date_part':
      case 'datepart': {
        const as = args();
        if (as.length !== 2) throw badQuery('date_part expects 2 arguments');
        if (!isStringLit(as[0]!)) throw unsupported('date_part with a non-literal part');
        return this.datePart(as[0].v.toLowerCase(), as[1]!, label(as));
      }
      case 'to_timestamp': case 'to_timestamp_seconds': case 'to_timestamp_millis':
      case 'to_timestamp_micros': case 'to_timestamp_nanos': case 'from_unixtime': {
        const as = args();
        if (as.length !== 1) throw unsupported(`${name} with format arguments`);
        const scale = name.endsWith('millis') ? NS_PER_MS : name.endsWith('micros') ? NS_PER_US
          : name.endsWith('nanos') ? 1n : NS_PER_S;
        return this.toTimestampFn(as[0]!, scale, label(as));
      }
    }
    const spec = SCALARS[name];
    if (!spec) throw badQuery(`Invalid function '${name}'`);
    const as = args();
    if (as.length < spec.min || as.length > spec.max) {
      throw badQuery(`function ${name} expects ${spec.min === spec.max ? spec.min : `${spec.min} to ${spec.max}`} arguments, got ${as.length}`);
    }
    for (const a of as) if (a.k === 'interval') throw unsupported(`interval argument to ${name}`);
    if (name === 'coalesce' || name === 'greatest' || name === 'least' || name === 'nullif' || name === 'ifnull' || name === 'nvl') {
      if (as.some((a) => a.type === 'timestamp')) for (let i = 0; i < as.length; i++) as[i] = toTimestamp(as[i]!);
    }
    return fnNode(name, as, spec.type(as));
  }

  private dateBin(as: Expr[]): Expr {
    if (as.length < 2 || as.length > 3) throw badQuery('date_bin expects 2 or 3 arguments');
    let strideE = as[0]!;
    if (isStringLit(strideE)) strideE = intervalNode(parseInterval(strideE.v));
    const iv = intervalOf(strideE);
    if (!iv) throw unsupported('date_bin with a non-interval stride');
    if (iv.months !== 0) throw unsupported('date_bin with month or year intervals');
    const stride = intervalFixedNs(iv);
    if (stride <= 0n) throw badQuery('date_bin stride must be positive');
    const src = toTimestamp(as[1]!);
    const origin = as.length === 3 ? requireConstTimestamp(as[2]!, 'date_bin origin') : 0n;
    const label = `date_bin(${as.map((x) => displayName(x)).join(',')})`;
    if (src.k === 'lit') {
      if (src.v === null) return lit(null, 'timestamp');
      if (typeof src.v === 'bigint') {
        const d = src.v - origin;
        const m = ((d % stride) + stride) % stride;
        return lit(src.v - m, 'timestamp', label);
      }
    }
    return fnNode('$bin', [lit(stride, 'integer'), src, lit(origin, 'integer')], 'timestamp', label);
  }

  private dateTrunc(unitE: Expr, srcIn: Expr, label: string): Expr {
    if (!isStringLit(unitE)) throw unsupported('date_trunc with a non-literal unit');
    const unit = unitE.v.toLowerCase();
    if (!DATE_TRUNC_UNITS.includes(unit.replace(/s$/, ''))) throw badQuery(`Unsupported date_trunc granularity: '${unitE.v}'`);
    const src = toTimestamp(srcIn);
    if (src.k === 'lit') {
      if (src.v === null) return lit(null, 'timestamp');
      if (typeof src.v === 'bigint') return lit(dateTrunc(unit, src.v), 'timestamp', label);
    }
    const fixed = dateTruncFixed(unit);
    if (fixed) return fnNode('$bin', [lit(fixed.stride, 'integer'), src, lit(fixed.origin, 'integer')], 'timestamp', label);
    return fnNode('$date_trunc', [lit(unit, 'string'), src], 'timestamp', label);
  }

  private datePart(part: string, srcIn: Expr, label: string): Expr {
    if (!DATE_PART_NAMES.has(part)) throw badQuery(`Unsupported date_part part: '${part}'`);
    const src = toTimestamp(srcIn);
    const type: SqlType = part === 'epoch' ? 'float' : 'integer';
    if (src.k === 'lit') {
      if (src.v === null) return lit(null, type);
      if (typeof src.v === 'bigint') {
        const v = datePart(part, src.v);
        return lit(v, type, label);
      }
    }
    return fnNode('$date_part', [lit(part, 'string'), src], type, label);
  }

  private toTimestampFn(a: Expr, scale: bigint, label: string): Expr {
    if (a.k === 'lit') {
      if (a.v === null) return lit(null, 'timestamp');
      if (typeof a.v === 'string') return lit(parseTimestampOrThrow(a.v), 'timestamp', label);
      if (typeof a.v === 'bigint') {
        if (a.type === 'timestamp') return lit(a.v, 'timestamp', label);
        return lit(checkI64(a.v * scale), 'timestamp', label);
      }
      if (typeof a.v === 'number') return lit(BigInt(Math.trunc(a.v * Number(scale))), 'timestamp', label);
    }
    if (a.type === 'timestamp') return a;
    return fnNode('$to_timestamp', [a, lit(scale, 'integer')], 'timestamp', label);
  }

  private bindAggregate(name: string, node: Node, ctx: ExprCtx): Expr {
    const spec = AGGREGATES[name];
    if (!spec) throw badQuery(`Invalid function '${name}'`);
    if (!ctx.allowAgg) throw badQuery(`aggregate functions are not allowed in ${ctx.clause}`);
    if (ctx.inAgg) throw badQuery('aggregate function calls cannot be nested');
    if (node.over) throw unsupported('window functions');
    const a = node.args;
    if (a && (a.orderby || a.separator)) throw unsupported(`${name} with ORDER BY or separator`);
    const distinct = !!(a && a.distinct && String(a.distinct).toUpperCase() === 'DISTINCT');
    const inner: ExprCtx = { ...ctx, inAgg: true, allowAgg: true };
    let star = false;
    let args: Expr[] = [];
    if (node.type === 'aggr_func') {
      const e = a?.expr;
      if (e && (e.type === 'star' || (e.type === 'column_ref' && e.column === '*'))) star = true;
      else if (e) args = [this.bindExpr(e, inner)];
      if (a?.exprs) throw unsupported(`${name} with several arguments`);
    } else {
      const an = this.fnArgs(node);
      if (an.length === 1 && (an[0].type === 'star' || (an[0].type === 'column_ref' && an[0].column === '*'))) star = true;
      else args = an.map((x) => this.bindExpr(x, inner));
    }
    if (star && name !== 'count') throw badQuery(`${name}(*) is not valid`);
    if (star && distinct) throw badQuery('count(DISTINCT *) is not valid');
    if (!star && (args.length < Math.max(spec.min, 1) || args.length > spec.max)) {
      throw badQuery(`aggregate ${name} expects ${spec.max} argument(s)`);
    }
    for (const x of args) if (x.k === 'interval') throw unsupported(`interval argument to ${name}`);
    if ((name === 'sum' || name === 'avg' || name === 'mean') && args[0] && (args[0].type === 'string' || args[0].type === 'boolean')) {
      throw badQuery(`${name} does not support ${args[0].type} arguments`);
    }
    let filter: Expr | null = null;
    if (node.filter) {
      const w = node.filter.where ?? node.filter;
      filter = this.bindExpr(w, { ...ctx, allowAgg: false, clause: 'FILTER' });
    }
    const dname = name === 'approx_distinct' ? 'approx_distinct' : name;
    const dist = distinct || name === 'approx_distinct';
    return { k: 'agg', name: dname, args, star, distinct: dist, filter, type: spec.type(args) };
  }

  private bindCase(node: Node, ctx: ExprCtx): Expr {
    const operand = node.expr ? this.bindExpr(node.expr, ctx) : null;
    const whens: [Expr, Expr][] = [];
    let elseE: Expr | null = null;
    for (const a of node.args ?? []) {
      if (a.type === 'when') {
        let c = this.bindExpr(a.cond, ctx);
        if (operand && operand.type === 'timestamp') c = toTimestamp(c);
        whens.push([c, this.bindExpr(a.result, ctx)]);
      } else if (a.type === 'else') {
        elseE = this.bindExpr(a.result, ctx);
      }
    }
    if (whens.length === 0) throw badQuery('CASE requires at least one WHEN');
    const results = [...whens.map(([, t]) => t), ...(elseE ? [elseE] : [])];
    const type = commonType(results.map((r) => r.type));
    if (type === 'timestamp') {
      for (const w of whens) w[1] = toTimestamp(w[1]);
      if (elseE) elseE = toTimestamp(elseE);
    }
    return { k: 'case', operand, whens, else: elseE, type };
  }

  private bindCast(node: Node, ctx: ExprCtx): Expr {
    const target = Array.isArray(node.target) ? node.target : [node.target];
    if (target.length !== 1 || !target[0] || target[0].arrays || target[0].length) {
      if (target.length !== 1 || !target[0]) throw unsupported('CAST target');
    }
    const dt = String(target[0].dataType ?? '').toUpperCase().trim();
    let to: SqlType;
    let display: string;
    if (/^(BIGINT|INT|INTEGER|INT8|INT4|INT2|SMALLINT|TINYINT|SIGNED)$/.test(dt)) [to, display] = ['integer', 'Int64'];
    else if (/^(UBIGINT|BIGINT UNSIGNED|INT UNSIGNED|UNSIGNED|UINT64)$/.test(dt)) [to, display] = ['uinteger', 'UInt64'];
    else if (/^(DOUBLE|DOUBLE PRECISION|FLOAT|FLOAT8|FLOAT4|REAL|DECIMAL|NUMERIC)$/.test(dt)) [to, display] = ['float', 'Float64'];
    else if (/^(VARCHAR|TEXT|STRING|CHAR|CHARACTER|CHARACTER VARYING)$/.test(dt)) [to, display] = ['string', 'Utf8'];
    else if (/^(BOOLEAN|BOOL)$/.test(dt)) [to, display] = ['boolean', 'Boolean'];
    else if (/^(TIMESTAMP|TIMESTAMPTZ|DATETIME|TIMESTAMP WITHOUT TIME ZONE|TIMESTAMP WITH TIME ZONE)$/.test(dt)) {
      [to, display] = ['timestamp', 'Timestamp(Nanosecond, None)'];
    } else if (dt === 'INTERVAL') {
      const e = this.bindExpr(node.expr, ctx);
      if (isStringLit(e)) return intervalNode(parseInterval(e.v));
      throw unsupported('CAST of a non-literal to INTERVAL');
    } else throw unsupported(`CAST to ${dt || 'this type'}`);
    const e = this.bindExpr(node.expr, ctx);
    if (e.k === 'interval') throw unsupported('CAST of an interval');
    // Fold constant casts the binder must understand (time literals).
    if (to === 'timestamp' && e.k === 'lit') {
      if (typeof e.v === 'string') return lit(parseTimestampOrThrow(e.v), 'timestamp', `CAST(${displayName(e)} AS ${display})`);
      if (typeof e.v === 'bigint') return lit(e.v, 'timestamp', `CAST(${displayName(e)} AS ${display})`);
      if (e.v === null) return lit(null, 'timestamp');
    }
    if (to === 'string' && e.k === 'lit' && typeof e.v === 'bigint' && e.type === 'timestamp') {
      return lit(formatTimestamp(e.v), 'string');
    }
    if ((to === 'integer' || to === 'timestamp') && e.k === 'lit' && typeof e.v === 'bigint') return lit(e.v, to);
    if (to === 'string' && e.k === 'lit' && typeof e.v === 'string') return e;
    if (to === e.type) return e;
    return { k: 'cast', e, to, display, type: to };
  }
}

function bindingsIn(f: FromNode): Binding[] {
  if (f.kind === 'binding') return [f.b];
  return [...bindingsIn(f.left), ...bindingsIn(f.right)];
}

