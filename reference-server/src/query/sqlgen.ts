// Prints the bound IR as SQLite SQL. Every binding is aliased "t<id>", every output column of a
// SELECT "c<i>", so user identifiers never collide with generated ones.

import { QueryError, unsupported } from './errors.js';
import { AGGREGATES, SCALARS, aggSqlName, likeToGlob } from './functions.js';
import type { Binding, Expr, FromNode, OrderItem, Query, SelectQ, SqlType } from './ir.js';

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export function quoteString(s: string): string {
  const quoted = "'" + s.replace(/'/g, "''") + "'";
  // SQLite ends SQL text at a NUL, which tag values and string fields may hold: spell it char(0).
  return s.includes('\u0000') ? '(' + quoted.split('\u0000').join("' || char(0) || '") + ')' : quoted;
}

export function bindingAlias(b: Binding): string {
  return `"t${b.id}"`;
}

export function colSql(b: Binding, name: string): string {
  const c = b.cols.find((x) => x.name === name);
  if (!c) throw new QueryError(500, `internal error: column ${name} missing from binding ${b.name}`);
  return `${bindingAlias(b)}.${quoteIdent(c.sql)}`;
}

export function literalSql(v: null | bigint | number | string | boolean, type?: SqlType): string {
  if (v === null) return 'NULL';
  if (typeof v === 'bigint') {
    // uinteger literals use the signed two's complement storage form.
    const x = type === 'uinteger' ? BigInt.asIntN(64, v) : v;
    return x < 0n ? `(${x})` : `${x}`;
  }
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NULL';
    if (!Number.isFinite(v)) return v > 0 ? '9e999' : '(-9e999)';
    if (type === 'integer' && Number.isInteger(v)) return v < 0 ? `(${v})` : `${v}`;
    let s = String(v);
    if (/^-?\d+$/.test(s)) s += '.0';
    return v < 0 ? `(${s})` : s;
  }
  return quoteString(v);
}

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

export function genExpr(e: Expr): string {
  switch (e.k) {
    case 'col':
      return colSql(e.b, e.name);
    case 'lit':
      return literalSql(e.v, e.type);
    case 'interval':
      throw unsupported('an interval value cannot be used here (use it in date_bin or timestamp arithmetic)');
    case 'outref':
      return `${e.index + 1}`;
    case 'bin': {
      const op = e.op === '!=' ? '<>' : e.op;
      // Checked so that nested || cannot double a string past the string-length limit.
      if (op === '||') return `iox_strcheck((${genExpr(e.l)} || ${genExpr(e.r)}), '||')`;
      return `(${genExpr(e.l)} ${op} ${genExpr(e.r)})`;
    }
    case 'not':
      return `(NOT ${genExpr(e.e)})`;
    case 'neg':
      return `(- ${genExpr(e.e)})`;
    case 'fn':
      return genFn(e.name, e.args);
    case 'agg': {
      const spec = AGGREGATES[e.name];
      if (!spec) throw new QueryError(500, `internal error: aggregate ${e.name}`);
      const args = e.star ? '*' : (e.distinct ? 'DISTINCT ' : '') + e.args.map(genExpr).join(', ');
      const filter = e.filter ? ` FILTER (WHERE ${genExpr(e.filter)})` : '';
      return `${aggSqlName(e.name, e.args[0]?.type)}(${args})${filter}`;
    }
    case 'case': {
      let s = 'CASE';
      if (e.operand) s += ' ' + genExpr(e.operand);
      for (const [w, t] of e.whens) s += ` WHEN ${genExpr(w)} THEN ${genExpr(t)}`;
      if (e.else) s += ` ELSE ${genExpr(e.else)}`;
      return `(${s} END)`;
    }
    case 'cast':
      return genCast(e.e, e.to);
    case 'in':
      return `(${genExpr(e.e)} ${e.not ? 'NOT IN' : 'IN'} (${e.list.map(genExpr).join(', ')}))`;
    case 'insub':
      return `(${genExpr(e.e)} ${e.not ? 'NOT IN' : 'IN'} (${genQuery(e.q)}))`;
    case 'between':
      return `(${genExpr(e.e)} ${e.not ? 'NOT BETWEEN' : 'BETWEEN'} ${genExpr(e.lo)} AND ${genExpr(e.hi)})`;
    case 'like': {
      const v = genExpr(e.e);
      if (e.pat.k === 'lit' && typeof e.pat.v === 'string') {
        const pat = e.pat.v;
        if (!e.ci) {
          const glob = likeToGlob(pat);
          if (glob !== undefined) return `(${v} ${e.not ? 'NOT GLOB' : 'GLOB'} ${quoteString(glob)})`;
        } else if (isAscii(pat)) {
          return `(${v} ${e.not ? 'NOT LIKE' : 'LIKE'} ${quoteString(pat)} ESCAPE '\\')`;
        }
      }
      const call = `iox_like(${v}, ${genExpr(e.pat)}, ${e.ci ? 1 : 0})`;
      return e.not ? `(NOT ${call})` : `(${call})`;
    }
    case 'regex': {
      const call = `iox_regex(${genExpr(e.e)}, ${genExpr(e.pat)}, ${e.ci ? 1 : 0})`;
      return e.not ? `(NOT ${call})` : `(${call})`;
    }
    case 'isnull':
      return `(${genExpr(e.e)} ${e.not ? 'IS NOT NULL' : 'IS NULL'})`;
    case 'is':
      return `(${genExpr(e.e)} ${e.not ? 'IS NOT' : 'IS'} ${e.v ? 'TRUE' : 'FALSE'})`;
    case 'subq':
      return `(${genQuery(e.q)})`;
    case 'exists':
      return `(${e.not ? 'NOT ' : ''}EXISTS (${genQuery(e.q)}))`;
  }
}

/** Internal functions produced by the binder (names start with '$'). */
function genFn(name: string, args: Expr[]): string {
  const a = args.map(genExpr);
  switch (name) {
    case '$bin': {
      // $bin(stride, x, origin): floor-bin x to stride from origin, as integers.
      const [s, x, o] = a;
      const shifted = o === '0' ? x : `(${x} - ${o})`;
      return `(${x} - (((${shifted} % ${s}) + ${s}) % ${s}))`;
    }
    case '$date_trunc':
      return `iox_date_trunc(${a[0]}, ${a[1]})`;
    case '$date_part':
      return `iox_date_part(${a[0]}, ${a[1]})`;
    case '$add_months':
      return `iox_add_months(${a[0]}, ${a[1]})`;
    case '$to_timestamp':
      return `iox_to_timestamp(${a[0]}, ${a[1]})`;
    case '$u2f':
      return `iox_u2f(${a[0]})`;
  }
  const spec = SCALARS[name];
  if (!spec) throw new QueryError(500, `internal error: function ${name}`);
  if (spec.gen) return spec.gen(a, args);
  return `${spec.sqlite ?? name}(${a.join(', ')})`;
}

function genCast(e: Expr, to: SqlType): string {
  const v = genExpr(e);
  const from = e.type;
  switch (to) {
    case 'integer': case 'uinteger':
      if (from === 'timestamp' || from === 'integer' || from === 'uinteger' || from === 'boolean') return v;
      if (from === 'float') return `CAST(trunc(${v}) AS INTEGER)`;
      return `CAST(${v} AS INTEGER)`;
    case 'float':
      if (from === 'uinteger') return `iox_u2f(${v})`;
      return `CAST(${v} AS REAL)`;
    case 'string':
      if (from === 'timestamp') return `iox_ts_format(${v})`;
      if (from === 'uinteger') return `iox_u2s(${v})`;
      if (from === 'boolean') return `(CASE WHEN ${v} IS NULL THEN NULL WHEN ${v} THEN 'true' ELSE 'false' END)`;
      return `CAST(${v} AS TEXT)`;
    case 'boolean':
      if (from === 'boolean') return v;
      if (from === 'string' || from === 'any') return `iox_to_bool(${v})`;
      return `(CASE WHEN ${v} IS NULL THEN NULL WHEN ${v} <> 0 THEN 1 ELSE 0 END)`;
    case 'timestamp':
      if (from === 'timestamp' || from === 'integer' || from === 'uinteger') return v;
      if (from === 'float') return `CAST(${v} AS INTEGER)`;
      return `iox_ts_parse(${v})`;
    default:
      throw unsupported(`CAST to ${to}`);
  }
}

function genFrom(f: FromNode): string {
  if (f.kind === 'binding') return genBinding(f.b);
  const left = genFrom(f.left);
  const right = genFrom(f.right);
  if (f.type === 'CROSS') return `${left} CROSS JOIN ${right}`;
  const kw = f.type === 'INNER' ? 'JOIN' : `${f.type} JOIN`;
  return `${left} ${kw} ${right} ON ${f.on ? genExpr(f.on) : '1'}`;
}

function genBinding(b: Binding): string {
  switch (b.kind) {
    case 'table':
    case 'partial':
      if (!b.scan) throw new QueryError(500, `internal error: table binding ${b.name} without scan`);
      return `${quoteIdent(b.scan.relation)} AS ${bindingAlias(b)}`;
    case 'derived':
      return `(${genQuery(b.derived!)}) AS ${bindingAlias(b)}`;
    case 'virtual': {
      const cols = b.cols.map((c) => quoteIdent(c.sql));
      const rows = b.virtualRows ?? [];
      let body: string;
      if (rows.length === 0) {
        body = `SELECT ${cols.map((c) => `NULL AS ${c}`).join(', ')} WHERE 0`;
      } else {
        const values = rows.map((r) => '(' + r.map((v) => literalSql(v as null | bigint | number | string)).join(', ') + ')');
        body = `SELECT ${cols.map((c, i) => `column${i + 1} AS ${c}`).join(', ')} FROM (VALUES ${values.join(', ')})`;
      }
      return `(${body}) AS ${bindingAlias(b)}`;
    }
  }
}

export function orderSql(o: { desc: boolean; nullsFirst: boolean }): string {
  return `${o.desc ? 'DESC' : 'ASC'} ${o.nullsFirst ? 'NULLS FIRST' : 'NULLS LAST'}`;
}

/**
 * ORDER BY terms of one item. uinteger values are stored signed, so they sort by
 * (value < 0) first. `items` resolves output references for that.
 */
export function genOrderItem(o: OrderItem, items?: { expr: Expr }[]): string | null {
  // A constant sort key does not order anything (and SQLite would read an integer as a position).
  if (o.expr.k === 'lit') return null;
  const main = `${genExpr(o.expr)} ${orderSql(o)}`;
  if (o.expr.type === 'uinteger') {
    const target = o.expr.k === 'outref' ? items?.[o.expr.index]?.expr : o.expr;
    if (target) return `(${genExpr(target)} < 0) ${orderSql(o)}, ${main}`;
  }
  return main;
}

export function limitSql(limit: bigint | null, offset: bigint | null): string {
  if (limit === null && (offset === null || offset === 0n)) return '';
  let s = ` LIMIT ${limit === null ? -1 : limit}`;
  if (offset !== null && offset !== 0n) s += ` OFFSET ${offset}`;
  return s;
}

function genGroupKey(e: Expr): string {
  // An integer literal would be read by SQLite as a column position.
  if (e.k === 'lit') return `coalesce(NULL, ${genExpr(e)})`;
  return genExpr(e);
}

export function genSelect(q: SelectQ): string {
  let s = 'SELECT ';
  if (q.distinct) s += 'DISTINCT ';
  s += q.items.map((it, i) => `${genExpr(it.expr)} AS "c${i}"`).join(', ');
  if (q.from) s += ' FROM ' + genFrom(q.from);
  if (q.where) s += ' WHERE ' + genExpr(q.where);
  if (q.groupBy.length > 0) s += ' GROUP BY ' + q.groupBy.map(genGroupKey).join(', ');
  if (q.having) s += ' HAVING ' + genExpr(q.having);
  const order = q.orderBy.map((o) => genOrderItem(o, q.items)).filter((x): x is string => x !== null);
  if (order.length > 0) s += ' ORDER BY ' + order.join(', ');
  s += limitSql(q.limit, q.offset);
  return s;
}

export function genQuery(q: Query): string {
  if (q.kind === 'select') return genSelect(q);
  let s = `SELECT * FROM (${genQuery(q.left)}) ${q.op} SELECT * FROM (${genQuery(q.right)})`;
  if (q.orderBy.length > 0) s += ' ORDER BY ' + q.orderBy.map((o) => `${o.index + 1} ${orderSql(o)}`).join(', ');
  s += limitSql(q.limit, q.offset);
  return s;
}
