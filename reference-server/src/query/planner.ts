// Planner: parses and binds a query, decides per table reference what runs on the owner nodes
// (pushed-down WHERE conjuncts, projection, partial aggregation, per-node top-N or DISTINCT),
// derives shard pruning, and prints the scan SQL and the final-stage SQL.

// Only the PostgreSQL grammar: the full package loads every dialect (~0.3 s per node start).
import pkg from 'node-sql-parser/build/postgresql.js';
import { QueryError, badQuery, unsupported } from './errors.js';
import { DEFAULT_QUERY_LIMITS, timeLimitError, type QueryLimits } from './limits.js';
import { BudgetedInput, ParseBudgetExceeded, budgetError, checkBrackets } from './parse-guard.js';
import { Binder, exprKey, type CatalogView } from './binder.js';
import { hideEscapedQuotes } from './escaped-quotes.js';
import { DECOMPOSABLE, DUPLICATE_INSENSITIVE, aggSqlName } from './functions.js';
import type { BCol, Binding, Expr, OrderItem, Query, ScanInfo, SelectQ, SqlType } from './ir.js';
import { andAll, bindingsOf, conjuncts, hasAggregate, hasSubquery, mapChildren, outputs, walk, walkQuery } from './ir.js';
import { bindingAlias, colSql, genExpr, genOrderItem, genQuery, limitSql, quoteIdent, quoteString } from './sqlgen.js';

const { Parser } = pkg;
const parser = new Parser();

/** Shard pruning for one table reference, derived from the conjuncts pushed into its scan. */
export interface TablePruning {
  /** Inclusive lower bound on `time` (ns). */
  timeMin?: bigint;
  /** Exclusive upper bound on `time` (ns). */
  timeMax?: bigint;
  /** Tag -> allowed values (from `tag = 'v'`, `tag IN (...)`, ORs of those), for any tag. */
  tagEquals: Record<string, string[]>;
  /** The predicates are contradictory: no shard needs to be scanned. */
  empty?: boolean;
}

export interface TableScan {
  db: string;
  table: string;
  /**
   * Relation name the scan SQL reads from (the caller runs it as `WITH "<relation>" AS (...)`),
   * and the name of the table the final SQL reads the gathered scan rows from.
   */
  relation: string;
  pruning: TablePruning;
  /** SQLite SELECT run on each owner node against the relation. */
  scanSql: string;
  /** Column names of the scan's output (also used to create the gathered table when no node answered). */
  columns: string[];
  /** raw: filtered/projected rows; partial: per-node partial aggregates; distinct: de-duplicated rows. */
  mode: 'raw' | 'partial' | 'distinct';
}

export interface QueryPlan {
  scans: TableScan[];
  /** SQLite SQL of the final stage over the gathered relations. */
  finalSql: string;
  /** Output column names (DataFusion-style). */
  columns: string[];
  /** Output column types, for formatting. */
  types: SqlType[];
  /** now() of the query, ns. */
  now: bigint;
}

export interface PlanOptions {
  /** false: ship all referenced columns of every table unfiltered and do everything in the final stage (reference mode for tests). */
  pushdown?: boolean;
  /** Date.now() past which parsing gives up with the time-limit error of `limits`. */
  deadline?: number;
  limits?: QueryLimits;
}

type AnyNode = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function parseSql(raw: string, opts: PlanOptions): AnyNode {
  // Trimmed as node-sql-parser would, so positions match its own messages.
  const sql = raw.trim();
  checkBrackets(sql);
  // Positions in parser errors are those of this text (it differs only where a name has "").
  const hidden = hideEscapedQuotes(sql);
  let ast: AnyNode;
  try {
    // trimQuery: false hands the parser our counting input as is (trimming would unwrap it).
    ast = parser.astify(new BudgetedInput(hidden.sql, opts.deadline ?? Number.POSITIVE_INFINITY) as unknown as string, { database: 'postgresql', trimQuery: false });
  } catch (e) {
    if (e instanceof ParseBudgetExceeded) {
      throw e.reason === 'deadline' ? timeLimitError(opts.limits ?? DEFAULT_QUERY_LIMITS, 'parsing') : budgetError(hidden.sql, e);
    }
    const err = e as { message?: string; location?: { start?: { line: number; column: number } } };
    const loc = err.location?.start;
    const where = loc ? ` at line ${loc.line}, column ${loc.column}` : '';
    throw new QueryError(400, `SQL error: ParserError${where}: ${err.message ?? String(e)}`);
  }
  const list = (Array.isArray(ast) ? ast : [ast]).filter((x) => x);
  if (list.length === 0) throw badQuery('SQL error: empty query');
  if (list.length > 1) throw unsupported('more than one statement in a query');
  return hidden.restore(list[0]);
}

/** SHOW TABLES / SHOW COLUMNS are rewritten to information_schema queries. */
function rewriteShow(sql: string, db: string, catalog: CatalogView): string | null {
  const s = sql.trim().replace(/;\s*$/, '').trim();
  if (/^show\s+tables$/i.test(s)) {
    return 'SELECT table_catalog, table_schema, table_name, table_type FROM information_schema.tables';
  }
  const m = /^show\s+columns\s+(?:from|in)\s+(.+)$/i.exec(s);
  if (m) {
    const parts: { value: string; quoted: boolean }[] = [];
    const re = /\s*(?:"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_$-]*))\s*(\.|$)/y;
    const src = m[1]!.trim();
    let mm: RegExpExecArray | null;
    let pos = 0;
    while (pos < src.length && (mm = re.exec(src))) {
      parts.push(mm[1] !== undefined ? { value: mm[1].replace(/""/g, '"'), quoted: true } : { value: mm[2]!, quoted: false });
      pos = re.lastIndex;
      if (mm[3] === '') break;
    }
    if (pos < src.length || parts.length === 0) throw badQuery(`SQL error: cannot parse SHOW COLUMNS table '${src}'`);
    const quals = parts.slice(0, -1).map((p) => p.value);
    if (!(quals.length === 0 || (quals.length === 1 && quals[0] === 'iox') || (quals.length === 2 && quals[0] === 'public' && quals[1] === 'iox'))) {
      throw unsupported('SHOW COLUMNS of a table outside the iox schema of the request database');
    }
    const t = parts[parts.length - 1]!;
    const names = catalog.tableNames(db);
    const found = t.quoted ? names.find((n) => n === t.value)
      : names.find((n) => n === t.value.toLowerCase()) ?? names.find((n) => n === t.value)
        ?? names.find((n) => n.toLowerCase() === t.value.toLowerCase());
    if (!found) throw badQuery(`table 'public.iox.${t.value}' not found`);
    return 'SELECT table_catalog, table_schema, table_name, column_name, data_type, is_nullable ' +
      `FROM information_schema.columns WHERE table_schema = 'iox' AND table_name = ${quoteString(found)}`;
  }
  if (/^show\b/i.test(s)) throw unsupported(`statement '${s.slice(0, 40)}' (SHOW TABLES and SHOW COLUMNS are supported)`);
  if (/^explain\b/i.test(s)) throw unsupported('EXPLAIN');
  return null;
}

/**
 * Plan a SQL query against database `db`. Throws QueryError (400 bad/unsupported SQL or unknown
 * table/column, 404 unknown database).
 */
export function planQuery(sql: string, db: string, catalog: CatalogView, now: bigint, opts: PlanOptions = {}): QueryPlan {
  if (!catalog.databaseExists(db)) throw new QueryError(404, `database not found: ${db}`);
  const text = rewriteShow(sql, db, catalog) ?? sql;
  const ast = parseSql(text, opts);
  const binder = new Binder(db, catalog, now, text);
  const root = binder.bindStatement(ast);
  const planner = new Planner(opts.pushdown !== false);
  planner.plan(root);
  const scans = planner.finish(root);
  const outs = outputs(root);
  return {
    scans,
    finalSql: genQuery(root),
    columns: outs.map((o) => o.name),
    types: outs.map((o) => (o.type === 'null' ? 'any' : o.type)),
    now,
  };
}

class Fallback extends Error {}

type AggExpr = Extract<Expr, { k: 'agg' }>;

function col(b: Binding, name: string, type: SqlType): Expr {
  return { k: 'col', b, name, type };
}

class Planner {
  private readonly scans: { b: Binding; scan: ScanInfo }[] = [];
  private nextId = 1_000_000;

  constructor(private readonly pushdown: boolean) {}

  plan(q: Query): void {
    if (q.kind === 'set') {
      this.plan(q.left);
      this.plan(q.right);
      return;
    }
    this.planSelect(q);
  }

  private directSubqueries(q: SelectQ): Query[] {
    const out: Query[] = [];
    const exprs: Expr[] = [...q.items.map((i) => i.expr), ...q.groupBy, ...q.orderBy.map((o) => o.expr)];
    if (q.where) exprs.push(q.where);
    if (q.having) exprs.push(q.having);
    const ons = (f: SelectQ['from']): void => {
      if (!f || f.kind === 'binding') return;
      ons(f.left);
      ons(f.right);
      if (f.on) exprs.push(f.on);
    };
    ons(q.from);
    for (const e of exprs) {
      walk(e, (x) => {
        if (x.k === 'subq' || x.k === 'exists' || x.k === 'insub') out.push(x.q);
      });
    }
    return out;
  }

  private planSelect(q: SelectQ): void {
    for (const b of q.bindings) if (b.derived) this.plan(b.derived);
    for (const sub of this.directSubqueries(q)) this.plan(sub);
    for (const b of q.bindings) {
      if (b.kind !== 'table') continue;
      b.scan = { relation: `__scan${this.scans.length}`, db: b.table!.db, table: b.table!.table, pushed: [], mode: 'raw' };
      this.scans.push({ b, scan: b.scan });
    }
    if (!this.pushdown) return;

    // WHERE conjuncts that refer to a single table reference that is not null-supplied.
    const own = new Set(q.bindings);
    const remaining: Expr[] = [];
    for (const c of conjuncts(q.where)) {
      if (hasSubquery(c) || hasAggregate(c)) {
        remaining.push(c);
        continue;
      }
      const refs = bindingsOf(c);
      if (refs.size === 0) {
        // Constant conjunct: evaluate on the nodes too (lets `WHERE false` prune) and keep it.
        for (const b of q.bindings) if (b.kind === 'table' && !b.nullable) b.scan!.pushed.push(c);
        remaining.push(c);
        continue;
      }
      const [b] = [...refs];
      if (refs.size === 1 && own.has(b!) && b!.kind === 'table' && !b!.nullable) b!.scan!.pushed.push(c);
      else remaining.push(c);
    }
    q.where = andAll(remaining);

    // ON conjuncts: of inner joins for non-null-supplied tables; of LEFT/RIGHT joins for the
    // null-supplied side when it is a single table reference.
    const pushOn = (f: SelectQ['from']): void => {
      if (!f || f.kind === 'binding') return;
      pushOn(f.left);
      pushOn(f.right);
      if (!f.on) return;
      const keep: Expr[] = [];
      for (const c of conjuncts(f.on)) {
        const refs = bindingsOf(c);
        const [b] = [...refs];
        let target: Binding | null = null;
        if (!hasSubquery(c) && !hasAggregate(c) && refs.size === 1 && own.has(b!) && b!.kind === 'table') {
          if (f.type === 'INNER' && !b!.nullable) target = b!;
          else if (f.type === 'LEFT' && f.right.kind === 'binding' && f.right.b === b) target = b!;
          else if (f.type === 'RIGHT' && f.left.kind === 'binding' && f.left.b === b) target = b!;
        }
        if (target) target.scan!.pushed.push(c);
        else keep.push(c);
      }
      f.on = andAll(keep);
    };
    pushOn(q.from);

    // Single-table SELECT whose whole WHERE runs on the nodes: partial aggregation, top-N, DISTINCT.
    if (q.from?.kind !== 'binding' || q.from.b.kind !== 'table' || remaining.length > 0) return;
    const b = q.from.b;
    if (q.aggregate) {
      this.tryAggregatePushdown(q, b);
      return;
    }
    const onlyB = (e: Expr) => !hasSubquery(e) && [...bindingsOf(e)].every((x) => x === b);
    if (q.distinct) {
      b.scan!.distinct = true;
      return;
    }
    if (q.limit !== null) {
      const orderBy: OrderItem[] = q.orderBy.map((o) => (o.expr.k === 'outref' ? { ...o, expr: q.items[o.expr.index]!.expr } : o));
      if (orderBy.every((o) => onlyB(o.expr))) {
        b.scan!.topN = { orderBy, limit: q.limit + (q.offset ?? 0n) };
      }
    }
  }

  private tryAggregatePushdown(q: SelectQ, b: Binding): void {
    const exprs = [...q.items.map((i) => i.expr), ...q.orderBy.map((o) => o.expr)];
    if (q.having) exprs.push(q.having);
    if (exprs.some(hasSubquery) || q.groupBy.some((g) => hasSubquery(g) || hasAggregate(g))) return;
    const onlyB = (e: Expr) => [...bindingsOf(e)].every((x) => x === b);
    if (!q.groupBy.every(onlyB)) return;
    const aggs = new Map<string, AggExpr>();
    for (const e of exprs) {
      walk(e, (x) => {
        if (x.k === 'agg') {
          aggs.set(exprKey(x), x);
          return false;
        }
        return true;
      });
    }
    const list = [...aggs.values()];
    if (!list.every((a) => a.args.every(onlyB) && (!a.filter || onlyB(a.filter)))) return;
    try {
      if (list.every((a) => DECOMPOSABLE.has(a.name) && !a.distinct)) this.partial(q, b, list);
      else if (list.every((a) => a.distinct || DUPLICATE_INSENSITIVE.has(a.name))) this.dedupe(q, b, list);
    } catch (e) {
      if (!(e instanceof Fallback)) throw e;
    }
  }

  private newPartialBinding(b: Binding): Binding {
    return { id: this.nextId++, name: b.name, kind: 'partial', cols: [], nullable: false, scan: b.scan! };
  }

  private scanWhere(scan: ScanInfo): string {
    return scan.pushed.length ? ' WHERE ' + scan.pushed.map(genExpr).join(' AND ') : '';
  }

  /** Rewrite the SELECT over a partial binding; throws Fallback if something still needs raw rows. */
  private applyRewrite(q: SelectQ, p: Binding, rewrite: (e: Expr) => Expr): void {
    const items = q.items.map((it) => ({ ...it, expr: rewrite(it.expr) }));
    const having = q.having ? rewrite(q.having) : null;
    const orderBy = q.orderBy.map((o) => ({ ...o, expr: rewrite(o.expr) }));
    const groupBy = q.groupBy.map((_, i) => col(p, `g${i}`, q.groupBy[i]!.type));
    q.items = items;
    q.having = having;
    q.orderBy = orderBy;
    q.groupBy = groupBy;
    q.where = null;
    q.from = { kind: 'binding', b: p };
    q.bindings = [p];
  }

  /** Decomposable aggregates: nodes return partial groups, the final stage combines them. */
  private partial(q: SelectQ, b: Binding, aggs: AggExpr[]): void {
    const p = this.newPartialBinding(b);
    const map = new Map<string, Expr>();
    const sel: string[] = [];
    const add = (sql: string, name: string, type: SqlType): Expr => {
      const c: BCol = { name, type, sql: name };
      p.cols.push(c);
      sel.push(`${sql} AS ${quoteIdent(name)}`);
      return col(p, name, type);
    };
    q.groupBy.forEach((g, i) => map.set(exprKey(g), add(genExpr(g), `g${i}`, g.type)));
    let ai = 0;
    const aggNode = (name: string, arg: Expr, type: SqlType): Expr => ({
      k: 'agg', name, args: [arg], star: false, distinct: false, filter: null, type,
    });
    for (const a of aggs) {
      const filter = a.filter ? ` FILTER (WHERE ${genExpr(a.filter)})` : '';
      const arg = a.star ? '*' : genExpr(a.args[0]!);
      let comb: Expr;
      switch (a.name) {
        case 'count': {
          const c = add(`count(${arg})${filter}`, `a${ai++}`, 'integer');
          comb = { k: 'fn', name: 'coalesce', args: [aggNode('sum', c, 'integer'), { k: 'lit', v: 0n, type: 'integer' }], type: 'integer' };
          break;
        }
        case 'sum': {
          const c = add(`${aggSqlName('sum', a.args[0]!.type)}(${arg})${filter}`, `a${ai++}`, a.type);
          comb = aggNode('sum', c, a.type);
          break;
        }
        case 'min': case 'max': case 'bool_and': case 'bool_or': {
          const c = add(`${aggSqlName(a.name, a.args[0]!.type)}(${arg})${filter}`, `a${ai++}`, a.type);
          comb = aggNode(a.name, c, a.type);
          break;
        }
        case 'avg': case 'mean': {
          const at = a.args[0]!.type;
          const st: SqlType = at === 'float' || at === 'any' ? 'float' : at === 'uinteger' ? 'uinteger' : 'integer';
          const s = add(`${aggSqlName('sum', st)}(${arg})${filter}`, `a${ai++}`, st);
          const n = add(`count(${arg})${filter}`, `a${ai++}`, 'integer');
          const total = aggNode('sum', s, st);
          comb = {
            k: 'bin', op: '/', type: 'float',
            l: st === 'uinteger'
              ? { k: 'fn', name: '$u2f', args: [total], type: 'float' }
              : { k: 'cast', e: total, to: 'float', display: 'Float64', type: 'float' },
            r: aggNode('sum', n, 'integer'),
          };
          break;
        }
        default:
          throw new Fallback();
      }
      map.set(exprKey(a), comb);
    }
    const rewrite = (e: Expr): Expr => {
      const r = map.get(exprKey(e));
      if (r) return r;
      if (e.k === 'agg' || (e.k === 'col' && e.b === b)) throw new Fallback();
      return mapChildren(e, rewrite);
    };
    const scan = b.scan!;
    const groupSql = q.groupBy.length ? ' GROUP BY ' + q.groupBy.map((_, i) => i + 1).join(', ') : '';
    const scanSql = `SELECT ${sel.join(', ')} FROM ${quoteIdent(scan.relation)} AS ${bindingAlias(b)}${this.scanWhere(scan)}${groupSql}`;
    this.applyRewrite(q, p, rewrite);
    scan.mode = 'partial';
    scan.scanSql = scanSql;
    scan.columns = p.cols.map((c) => c.sql);
  }

  /** DISTINCT and duplicate-insensitive aggregates: nodes return de-duplicated (keys, arguments). */
  private dedupe(q: SelectQ, b: Binding, aggs: AggExpr[]): void {
    const p = this.newPartialBinding(b);
    const map = new Map<string, Expr>();
    const sel: string[] = [];
    const add = (e: Expr, name: string): void => {
      const key = exprKey(e);
      if (map.has(key)) return;
      p.cols.push({ name, type: e.type, sql: name });
      sel.push(`${genExpr(e)} AS ${quoteIdent(name)}`);
      map.set(key, col(p, name, e.type));
    };
    q.groupBy.forEach((g, i) => add(g, `g${i}`));
    let di = 0;
    for (const a of aggs) {
      for (const x of a.args) add(x, `d${di++}`);
      if (a.filter) add(a.filter, `d${di++}`);
    }
    const inner = (e: Expr): Expr => {
      const r = map.get(exprKey(e));
      if (r) return r;
      if (e.k === 'col' && e.b === b) throw new Fallback();
      return mapChildren(e, inner);
    };
    const rewrite = (e: Expr): Expr => {
      const r = map.get(exprKey(e));
      if (r) return r;
      if (e.k === 'agg') return mapChildren(e, inner);
      if (e.k === 'col' && e.b === b) throw new Fallback();
      return mapChildren(e, rewrite);
    };
    const scan = b.scan!;
    if (sel.length === 0) throw new Fallback();
    const scanSql = `SELECT DISTINCT ${sel.join(', ')} FROM ${quoteIdent(scan.relation)} AS ${bindingAlias(b)}${this.scanWhere(scan)}`;
    this.applyRewrite(q, p, rewrite);
    scan.mode = 'distinct';
    scan.scanSql = scanSql;
    scan.columns = p.cols.map((c) => c.sql);
  }

  /** Project raw scans to the columns the final stage reads and print their SQL. */
  finish(root: Query): TableScan[] {
    const needed = new Map<Binding, Set<string>>();
    walkQuery(root, (e) => {
      if (e.k === 'col' && e.b.kind === 'table') {
        let s = needed.get(e.b);
        if (!s) needed.set(e.b, (s = new Set()));
        s.add(e.name);
      }
    });
    const out: TableScan[] = [];
    for (const { b, scan } of this.scans) {
      if (scan.mode === 'raw') {
        // Output under the relation's names (c.sql): user names may differ only in case.
        const cols = b.cols.filter((c) => needed.get(b)?.has(c.name));
        const names = cols.map((c) => c.sql);
        const sel = cols.length ? cols.map((c) => `${colSql(b, c.name)} AS ${quoteIdent(c.sql)}`).join(', ') : 'NULL AS "__none"';
        let sql = `SELECT ${scan.distinct ? 'DISTINCT ' : ''}${sel} FROM ${quoteIdent(scan.relation)} AS ${bindingAlias(b)}${this.scanWhere(scan)}`;
        if (scan.topN) {
          const order = scan.topN.orderBy.map((o) => genOrderItem(o)).filter((x): x is string => x !== null);
          if (order.length) sql += ' ORDER BY ' + order.join(', ');
          sql += limitSql(scan.topN.limit, null);
        }
        scan.scanSql = sql;
        scan.columns = names.length ? names : ['__none'];
      }
      out.push({
        db: scan.db,
        table: scan.table,
        relation: scan.relation,
        pruning: computePruning(b, scan.pushed),
        scanSql: scan.scanSql!,
        columns: scan.columns!,
        mode: scan.mode,
      });
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Pruning

interface Prune {
  min?: bigint;
  max?: bigint;
  tags: Map<string, Set<string>>;
  empty: boolean;
}

const FULL = (): Prune => ({ tags: new Map(), empty: false });

function intersect(a: Prune, b: Prune): Prune {
  if (a.empty || b.empty) return { tags: new Map(), empty: true };
  const out: Prune = { tags: new Map(a.tags), empty: false };
  out.min = a.min === undefined ? b.min : b.min === undefined ? a.min : a.min > b.min ? a.min : b.min;
  out.max = a.max === undefined ? b.max : b.max === undefined ? a.max : a.max < b.max ? a.max : b.max;
  for (const [t, vs] of b.tags) {
    const cur = out.tags.get(t);
    out.tags.set(t, cur ? new Set([...cur].filter((v) => vs.has(v))) : new Set(vs));
  }
  if (out.min !== undefined && out.max !== undefined && out.min >= out.max) out.empty = true;
  for (const vs of out.tags.values()) if (vs.size === 0) out.empty = true;
  return out;
}

function union(a: Prune, b: Prune): Prune {
  if (a.empty) return b;
  if (b.empty) return a;
  const out: Prune = { tags: new Map(), empty: false };
  if (a.min !== undefined && b.min !== undefined) out.min = a.min < b.min ? a.min : b.min;
  if (a.max !== undefined && b.max !== undefined) out.max = a.max > b.max ? a.max : b.max;
  for (const [t, vs] of a.tags) {
    const other = b.tags.get(t);
    if (other) out.tags.set(t, new Set([...vs, ...other]));
  }
  return out;
}

function pruneExpr(e: Expr, b: Binding): Prune {
  const kindOf = (x: Expr): 'time' | 'tag' | null => {
    if (x.k !== 'col' || x.b !== b) return null;
    const c = b.table?.schema.find((s) => s.name === x.name);
    return c?.kind === 'time' ? 'time' : c?.kind === 'tag' ? 'tag' : null;
  };
  const intLit = (x: Expr): bigint | undefined => (x.k === 'lit' && typeof x.v === 'bigint' ? x.v : undefined);
  const strLit = (x: Expr): string | undefined => (x.k === 'lit' && typeof x.v === 'string' ? x.v : undefined);
  switch (e.k) {
    case 'lit':
      if (e.v === false || e.v === null || e.v === 0n || e.v === 0) return { tags: new Map(), empty: true };
      return FULL();
    case 'bin': {
      if (e.op === 'AND') return intersect(pruneExpr(e.l, b), pruneExpr(e.r, b));
      if (e.op === 'OR') return union(pruneExpr(e.l, b), pruneExpr(e.r, b));
      let l = e.l;
      let r = e.r;
      let op = e.op;
      if (!kindOf(l) && kindOf(r)) {
        [l, r] = [r, l];
        op = ({ '<': '>', '>': '<', '<=': '>=', '>=': '<=' } as Record<string, string>)[op] ?? op;
      }
      const k = kindOf(l);
      if (k === 'time') {
        const v = intLit(r);
        if (v === undefined) return FULL();
        const p = FULL();
        switch (op) {
          case '>': p.min = v + 1n; break;
          case '>=': p.min = v; break;
          case '<': p.max = v; break;
          case '<=': p.max = v + 1n; break;
          case '=': p.min = v; p.max = v + 1n; break;
          default: return FULL();
        }
        if (p.min !== undefined && p.max !== undefined && p.min >= p.max) p.empty = true;
        return p;
      }
      if (k === 'tag' && op === '=') {
        const v = strLit(r);
        if (v === undefined) return FULL();
        const p = FULL();
        p.tags.set((l as { name: string }).name, new Set([v]));
        return p;
      }
      return FULL();
    }
    case 'between': {
      if (e.not || kindOf(e.e) !== 'time') return FULL();
      const lo = intLit(e.lo);
      const hi = intLit(e.hi);
      const p = FULL();
      if (lo !== undefined) p.min = lo;
      if (hi !== undefined) p.max = hi + 1n;
      if (p.min !== undefined && p.max !== undefined && p.min >= p.max) p.empty = true;
      return p;
    }
    case 'in': {
      if (e.not) return FULL();
      const k = kindOf(e.e);
      if (k === 'tag') {
        const vs = e.list.map(strLit);
        if (vs.some((v) => v === undefined)) return FULL();
        const p = FULL();
        p.tags.set((e.e as { name: string }).name, new Set(vs as string[]));
        if (vs.length === 0) p.empty = true;
        return p;
      }
      if (k === 'time') {
        const vs = e.list.map(intLit);
        if (vs.some((v) => v === undefined) || vs.length === 0) return FULL();
        const ns = vs as bigint[];
        const p = FULL();
        p.min = ns.reduce((a, x) => (x < a ? x : a));
        p.max = ns.reduce((a, x) => (x > a ? x : a)) + 1n;
        return p;
      }
      return FULL();
    }
    default:
      return FULL();
  }
}

function computePruning(b: Binding, conds: Expr[]): TablePruning {
  let p = FULL();
  for (const c of conds) p = intersect(p, pruneExpr(c, b));
  const out: TablePruning = { tagEquals: {} };
  if (p.min !== undefined) out.timeMin = p.min;
  if (p.max !== undefined) out.timeMax = p.max;
  if (p.empty) out.empty = true;
  else for (const [t, vs] of p.tags) out.tagEquals[t] = [...vs].sort();
  return out;
}
