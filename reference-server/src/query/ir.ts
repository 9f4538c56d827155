// Bound intermediate representation of a query: the parser AST after name resolution, type
// inference and time-literal coercion. The planner rewrites it and sqlgen prints it as SQLite SQL.

import type { ColumnSchema } from '../types.js';
import type { Interval } from './time.js';

/** Value types tracked for coercion and output formatting. */
export type SqlType = 'timestamp' | 'float' | 'integer' | 'uinteger' | 'string' | 'boolean' | 'interval' | 'null' | 'any';

export interface BCol {
  name: string;
  type: SqlType;
  /** Identifier of the column in emitted SQL (unqualified). */
  sql: string;
}

export interface ScanInfo {
  relation: string;
  db: string;
  table: string;
  /** Conjuncts evaluated on the nodes. */
  pushed: Expr[];
  mode: 'raw' | 'partial' | 'distinct';
  /** Raw scans: de-duplicate rows on the node (single-table SELECT DISTINCT). */
  distinct?: boolean;
  /** Raw scans: per-node top-N (single-table ORDER BY ... LIMIT). */
  topN?: { orderBy: OrderItem[]; limit: bigint };
  /** Scan SQL and output columns, filled by the planner. */
  scanSql?: string;
  columns?: string[];
}

export interface Binding {
  id: number;
  /** Qualifier as the user writes it (alias or table name). */
  name: string;
  kind: 'table' | 'derived' | 'virtual' | 'partial';
  cols: BCol[];
  table?: { db: string; table: string; schema: ColumnSchema[] };
  derived?: Query;
  virtualRows?: unknown[][];
  /** Null-supplied by an outer join: WHERE conjuncts cannot be pushed into its scan. */
  nullable: boolean;
  scan?: ScanInfo;
}

export type Expr =
  | { k: 'col'; b: Binding; name: string; type: SqlType }
  | { k: 'lit'; v: null | bigint | number | string | boolean; type: SqlType; display?: string }
  | { k: 'interval'; iv: Interval; type: 'interval' }
  | { k: 'bin'; op: string; l: Expr; r: Expr; type: SqlType }
  | { k: 'not'; e: Expr; type: SqlType }
  | { k: 'neg'; e: Expr; type: SqlType }
  | { k: 'fn'; name: string; args: Expr[]; type: SqlType }
  | { k: 'agg'; name: string; args: Expr[]; star: boolean; distinct: boolean; filter: Expr | null; type: SqlType }
  | { k: 'case'; operand: Expr | null; whens: [Expr, Expr][]; else: Expr | null; type: SqlType }
  | { k: 'cast'; e: Expr; to: SqlType; display: string; type: SqlType }
  | { k: 'in'; e: Expr; list: Expr[]; not: boolean; type: SqlType }
  | { k: 'insub'; e: Expr; q: Query; not: boolean; type: SqlType }
  | { k: 'between'; e: Expr; lo: Expr; hi: Expr; not: boolean; type: SqlType }
  | { k: 'like'; e: Expr; pat: Expr; not: boolean; ci: boolean; type: SqlType }
  | { k: 'regex'; e: Expr; pat: Expr; not: boolean; ci: boolean; type: SqlType }
  | { k: 'isnull'; e: Expr; not: boolean; type: SqlType }
  | { k: 'is'; e: Expr; v: boolean; not: boolean; type: SqlType }
  | { k: 'subq'; q: Query; type: SqlType }
  | { k: 'exists'; q: Query; not: boolean; type: SqlType }
  /** Reference to an output column of the same SELECT (ORDER BY alias / position). */
  | { k: 'outref'; index: number; type: SqlType };

export interface Item {
  expr: Expr;
  name: string;
}

export type FromNode =
  | { kind: 'binding'; b: Binding }
  | { kind: 'join'; type: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS'; left: FromNode; right: FromNode; on: Expr | null };

export interface OrderItem {
  expr: Expr;
  desc: boolean;
  nullsFirst: boolean;
}

export interface SelectQ {
  kind: 'select';
  distinct: boolean;
  items: Item[];
  from: FromNode | null;
  where: Expr | null;
  groupBy: Expr[];
  having: Expr | null;
  orderBy: OrderItem[];
  limit: bigint | null;
  offset: bigint | null;
  /** Has aggregates or GROUP BY. */
  aggregate: boolean;
  /** Bindings of this SELECT's FROM. */
  bindings: Binding[];
  /** Refers to columns of an enclosing query. */
  correlated: boolean;
}

export interface SetQ {
  kind: 'set';
  op: 'UNION' | 'UNION ALL' | 'EXCEPT' | 'INTERSECT';
  left: Query;
  right: Query;
  items: { name: string; type: SqlType }[];
  orderBy: { index: number; desc: boolean; nullsFirst: boolean }[];
  limit: bigint | null;
  offset: bigint | null;
}

export type Query = SelectQ | SetQ;

export function outputs(q: Query): { name: string; type: SqlType }[] {
  return q.kind === 'select' ? q.items.map((i) => ({ name: i.name, type: i.expr.type })) : q.items;
}

/** Children of an expression (not descending into subqueries). */
export function children(e: Expr): Expr[] {
  switch (e.k) {
    case 'col': case 'lit': case 'interval': case 'outref': case 'subq': case 'exists': return [];
    case 'bin': return [e.l, e.r];
    case 'not': case 'neg': case 'cast': case 'isnull': case 'is': return [e.e];
    case 'fn': return e.args;
    case 'agg': return e.filter ? [...e.args, e.filter] : e.args;
    case 'case': {
      const out: Expr[] = [];
      if (e.operand) out.push(e.operand);
      for (const [w, t] of e.whens) out.push(w, t);
      if (e.else) out.push(e.else);
      return out;
    }
    case 'in': return [e.e, ...e.list];
    case 'insub': return [e.e];
    case 'between': return [e.e, e.lo, e.hi];
    case 'like': case 'regex': return [e.e, e.pat];
  }
}

/** Rebuild an expression with mapped children (shallow copy). */
export function mapChildren(e: Expr, f: (c: Expr) => Expr): Expr {
  switch (e.k) {
    case 'col': case 'lit': case 'interval': case 'outref': case 'subq': case 'exists': return e;
    case 'bin': return { ...e, l: f(e.l), r: f(e.r) };
    case 'not': case 'neg': case 'cast': case 'isnull': case 'is': return { ...e, e: f(e.e) };
    case 'fn': return { ...e, args: e.args.map(f) };
    case 'agg': return { ...e, args: e.args.map(f), filter: e.filter ? f(e.filter) : null };
    case 'case':
      return {
        ...e,
        operand: e.operand ? f(e.operand) : null,
        whens: e.whens.map(([w, t]) => [f(w), f(t)] as [Expr, Expr]),
        else: e.else ? f(e.else) : null,
      };
    case 'in': return { ...e, e: f(e.e), list: e.list.map(f) };
    case 'insub': return { ...e, e: f(e.e) };
    case 'between': return { ...e, e: f(e.e), lo: f(e.lo), hi: f(e.hi) };
    case 'like': case 'regex': return { ...e, e: f(e.e), pat: f(e.pat) };
  }
}

/** Pre-order walk; `visit` returning false stops descent. Subqueries are entered when `intoSubqueries`. */
export function walk(e: Expr, visit: (e: Expr) => boolean | void, intoSubqueries = false): void {
  if (visit(e) === false) return;
  for (const c of children(e)) walk(c, visit, intoSubqueries);
  if (intoSubqueries && (e.k === 'subq' || e.k === 'exists' || e.k === 'insub')) walkQuery(e.q, visit);
}

/**
 * Walk every expression of a query that the final stage evaluates, including nested subqueries
 * and derived tables (not the conjuncts pushed into scans).
 */
export function walkQuery(q: Query, visit: (e: Expr) => boolean | void): void {
  if (q.kind === 'set') {
    walkQuery(q.left, visit);
    walkQuery(q.right, visit);
    return;
  }
  const exprs: Expr[] = [];
  for (const it of q.items) exprs.push(it.expr);
  if (q.where) exprs.push(q.where);
  exprs.push(...q.groupBy);
  if (q.having) exprs.push(q.having);
  for (const o of q.orderBy) exprs.push(o.expr);
  const visitFrom = (f: FromNode): void => {
    if (f.kind === 'binding') {
      if (f.b.derived) walkQuery(f.b.derived, visit);
    } else {
      visitFrom(f.left);
      visitFrom(f.right);
      if (f.on) exprs.push(f.on);
    }
  };
  if (q.from) visitFrom(q.from);
  for (const e of exprs) walk(e, visit, true);
}

export function hasAggregate(e: Expr): boolean {
  let found = false;
  walk(e, (x) => {
    if (x.k === 'agg') found = true;
    return !found;
  });
  return found;
}

export function hasSubquery(e: Expr): boolean {
  let found = false;
  walk(e, (x) => {
    if (x.k === 'subq' || x.k === 'exists' || x.k === 'insub') found = true;
    return !found;
  });
  return found;
}

/** Bindings referenced by an expression (including inside its subqueries). */
export function bindingsOf(e: Expr): Set<Binding> {
  const out = new Set<Binding>();
  walk(e, (x) => {
    if (x.k === 'col') out.add(x.b);
  }, true);
  return out;
}

/** Split an AND tree into conjuncts. */
export function conjuncts(e: Expr | null): Expr[] {
  if (!e) return [];
  if (e.k === 'bin' && e.op === 'AND') return [...conjuncts(e.l), ...conjuncts(e.r)];
  return [e];
}

export function andAll(es: Expr[]): Expr | null {
  if (es.length === 0) return null;
  return es.reduce((a, b) => ({ k: 'bin', op: 'AND', l: a, r: b, type: 'boolean' }));
}

export function fromBindings(f: FromNode | null): Binding[] {
  if (!f) return [];
  if (f.kind === 'binding') return [f.b];
  return [...fromBindings(f.left), ...fromBindings(f.right)];
}
