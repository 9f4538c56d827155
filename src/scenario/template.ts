// ${...} templates: "${nodes.a.url}", "${T1 + 30m | ns}", "${steps.create.body.shards.0.id}".
// A string that is exactly one template keeps the value's type; otherwise the
// values are interpolated as text. "$${" writes a literal "${".

import { parseDurationNs } from './duration.js';
import { formatTimestamp, instantProblem } from './time.js';

export interface TemplateExpr {
  source: string;
  path: string[];
  offsets: Array<{ sign: 1 | -1; ns: bigint }>;
  filters: string[];
}

export const FILTERS = ['ns', 'us', 'ms', 's', 'iso', 'json', 'string', 'upper', 'lower'] as const;

const EXPR = /^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\s*((?:[+-]\s*[0-9][0-9a-z.]*\s*)*)((?:\|\s*[a-z]+\s*)*)$/;

export type Segment = { text: string } | { expr: TemplateExpr };

/** Splits a string into literal text and parsed expressions; errors are collected, not thrown. */
export function parseTemplate(input: string, errors: string[] = []): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  let text = '';
  while (i < input.length) {
    if (input.startsWith('$${', i)) { text += '${'; i += 3; continue; }
    if (input.startsWith('${', i)) {
      const end = input.indexOf('}', i + 2);
      if (end < 0) { errors.push(`unclosed "\${" in "${input}"`); text += input.slice(i); break; }
      const source = input.slice(i + 2, end);
      const expr = parseExpr(source, errors);
      if (text) { out.push({ text }); text = ''; }
      if (expr) out.push({ expr });
      i = end + 1;
      continue;
    }
    text += input[i];
    i++;
  }
  if (text) out.push({ text });
  return out;
}

/** Longer sources are not templates (and would make the expression pattern slow). */
const MAX_SOURCE = 200;

function parseExpr(source: string, errors: string[]): TemplateExpr | undefined {
  if (source.length > MAX_SOURCE) { errors.push(`template "\${${source.slice(0, 40)}..." is longer than ${MAX_SOURCE} characters`); return undefined; }
  const m = EXPR.exec(source);
  if (!m) { errors.push(`cannot read template "\${${source}}": expected a name, optional "+ 1h"/"- 5s" offsets and "| filter"`); return undefined; }
  const offsets: TemplateExpr['offsets'] = [];
  for (const t of m[2]!.matchAll(/([+-])\s*([0-9][0-9a-z.]*)/g)) {
    const ns = parseDurationNs(t[2]!);
    if (ns === undefined) { errors.push(`"${t[2]}" in "\${${source}}" is not a duration (try 500ms, 10s, 1h30m, 1d)`); return undefined; }
    offsets.push({ sign: t[1] === '-' ? -1 : 1, ns });
  }
  const filters = [...m[3]!.matchAll(/\|\s*([a-z]+)/g)].map((f) => f[1]!);
  for (const f of filters) {
    if (!(FILTERS as readonly string[]).includes(f)) { errors.push(`unknown filter "${f}" in "\${${source}}" (known: ${FILTERS.join(', ')})`); return undefined; }
  }
  return { source, path: m[1]!.split('.'), offsets, filters };
}

export function hasTemplate(s: string): boolean {
  return s.includes('${');
}

/** A time value inside templates: anchors resolve to this, so offsets and unit filters apply. */
export class Instant {
  constructor(readonly ns: bigint) {}
  toString(): string { return formatTimestamp(this.ns); }
  toJSON(): string { return this.toString(); }
}

export type Resolver = (path: string[]) => { found: true; value: unknown } | { found: false; message: string };

export class TemplateError extends Error {}

function applyExpr(expr: TemplateExpr, resolve: Resolver): unknown {
  const r = resolve(expr.path);
  if (!r.found) throw new TemplateError(`\${${expr.source}}: ${r.message}`);
  let v = r.value;
  if (expr.offsets.length) {
    if (!(v instanceof Instant)) throw new TemplateError(`\${${expr.source}}: only times (anchors) take "+"/"-" offsets`);
    let ns = v.ns;
    for (const o of expr.offsets) ns += o.sign === 1 ? o.ns : -o.ns;
    const problem = instantProblem(ns);
    if (problem) throw new TemplateError(`\${${expr.source}}: ${problem}`);
    v = new Instant(ns);
  }
  for (const f of expr.filters) v = applyFilter(f, v, expr.source);
  return v;
}

function applyFilter(f: string, v: unknown, source: string): unknown {
  const unit: Record<string, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n };
  if (f in unit) {
    if (!(v instanceof Instant)) throw new TemplateError(`\${${source}}: "| ${f}" applies to times only`);
    return (v.ns / unit[f]!).toString();
  }
  switch (f) {
    case 'iso': return v instanceof Instant ? v.toString() : String(v);
    case 'json': return JSON.stringify(v);
    case 'string': return stringify(v);
    case 'upper': return stringify(v).toUpperCase();
    case 'lower': return stringify(v).toLowerCase();
  }
  return v;
}

function stringify(v: unknown): string {
  if (v instanceof Instant) return v.toString();
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** Renders one string. A lone "${x}" returns x's own value (number, object, ...). */
export function renderString(input: string, resolve: Resolver): unknown {
  if (!hasTemplate(input)) return input;
  const errors: string[] = [];
  const segs = parseTemplate(input, errors);
  if (errors.length) throw new TemplateError(errors[0]);
  if (segs.length === 1 && 'expr' in segs[0]!) {
    const v = applyExpr(segs[0].expr, resolve);
    return v instanceof Instant ? v.toString() : v;
  }
  return segs.map((s) => ('text' in s ? s.text : stringify(applyExpr(s.expr, resolve)))).join('');
}

/** Renders every string inside a value (objects and arrays are copied). */
export function render<T>(value: T, resolve: Resolver): T {
  if (typeof value === 'string') return renderString(value, resolve) as T;
  if (Array.isArray(value)) return value.map((v) => render(v, resolve)) as T;
  if (value && typeof value === 'object' && !(value instanceof Instant)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = render(v, resolve);
    return out as T;
  }
  return value;
}

/** Every template expression in a value, with the JSON path of the string holding it. */
export function collectTemplates(value: unknown, path: Array<string | number> = [], out: Array<{ path: Array<string | number>; text: string }> = []) {
  if (typeof value === 'string') { if (hasTemplate(value)) out.push({ path, text: value }); }
  else if (Array.isArray(value)) value.forEach((v, i) => collectTemplates(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collectTemplates(v, [...path, k], out);
  return out;
}
