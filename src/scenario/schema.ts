// The JSON Schema shipped at schema/scenario.schema.json, compiled once, and its
// errors turned into messages a scenario author can act on.

import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { faultDefinition } from '../faults/schema.js';
import { splitPointer, type JsonPath } from './positions.js';

export const SCHEMA_PATH = new URL('../../schema/scenario.schema.json', import.meta.url);

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
    // Fault kinds come from their own files: the run accepts exactly what they declare.
    schema.definitions.fault = faultDefinition();
    // Strict: a keyword ajv does not know or a type it cannot check is a mistake in the schema.
    // Infinity and NaN (YAML's .inf, .nan) still pass as numbers here: lint says what is wrong with them.
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictNumbers: false });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

export interface SchemaProblem {
  path: JsonPath;
  /** Point at the key rather than the value (unknown keys, bad names). */
  key: boolean;
  message: string;
}

/** Validates a parsed document; returns one problem per real mistake. */
export function checkSchema(doc: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(doc)) return [];
  return collapse(validate.errors ?? []).map(describe).filter((p): p is SchemaProblem => p !== undefined);
}

const isUnder = (path: string, root: string) => path === root || path.startsWith(root + '/');

/**
 * anyOf reports every branch's complaint. Keep the complaints of the branch whose
 * type fits the value; if none fits, replace them with a single message.
 */
function collapse(errors: ErrorObject[]): ErrorObject[] {
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (e.propertyName !== undefined && e.keyword !== 'propertyNames') continue;
    if (e.keyword === 'if') continue; // the then/else branch's own complaint says what is wrong
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') { out.push(e); continue; }
    const branch: ErrorObject[] = [];
    while (out.length && isUnder(out[out.length - 1]!.instancePath, e.instancePath)) branch.unshift(out.pop()!);
    const shapeOnly = (b: ErrorObject) => b.instancePath === e.instancePath && ['type', 'const', 'enum'].includes(b.keyword);
    const deeper = branch.filter((b) => !shapeOnly(b));
    if (deeper.length) out.push(...deeper);
    else {
      // Every branch wanted another kind of value: say which kinds.
      const kinds = branch.flatMap((b) => (b.keyword === 'type' ? String((b.params as { type: string }).type).split(',') : b.keyword === 'const' ? [JSON.stringify((b.params as { allowedValue: unknown }).allowedValue)] : []));
      out.push({ ...e, params: { ...e.params, kinds: [...new Set(kinds)] } });
    }
  }
  return out;
}

const IDENT = '^[A-Za-z_][A-Za-z0-9_]*$';

function describe(e: ErrorObject): SchemaProblem | undefined {
  const path = splitPointer(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const hint = suggest(key, known);
      return {
        path: [...path, key], key: true,
        message: `unknown key "${key}"` + (hint ? ` (did you mean "${hint}"?)` : known.length ? ` (expected one of: ${known.join(', ')})` : ''),
      };
    }
    case 'required':
      return { path, key: false, message: `missing required key "${String(p.missingProperty)}"` };
    case 'propertyNames':
      return { path: [...path, String(p.propertyName)], key: true, message: `"${String(p.propertyName)}" is not a valid name (use letters, digits and _, not starting with a digit)` };
    case 'type':
      return { path, key: false, message: `must be ${article(String(p.type))}, not ${typeOf(e.data)}` };
    case 'enum':
      return { path, key: false, message: `must be one of: ${(p.allowedValues as unknown[]).join(', ')} (got ${JSON.stringify(e.data)})` };
    case 'const':
      return { path, key: false, message: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'pattern':
      if (p.pattern === IDENT) return { path, key: false, message: `"${String(e.data)}" is not a valid identifier (letters, digits and _, not starting with a digit)` };
      return { path, key: false, message: `"${String(e.data)}" does not have the expected form (${String(p.pattern)})` };
    case 'anyOf':
    case 'oneOf': {
      const kinds = (p.kinds as string[] | undefined) ?? [];
      if (kinds.length) return { path, key: false, message: `must be ${kinds.map((k) => (k.startsWith('"') ? k : article(k))).join(' or ')}, not ${typeOf(e.data)}` };
      const desc = (e.parentSchema as { description?: string })?.description;
      return { path, key: false, message: `${JSON.stringify(e.data)} is not an allowed value` + (desc ? `: ${desc}` : '') };
    }
    case 'minItems':
      return { path, key: false, message: `needs at least ${String(p.limit)} item(s)` };
    case 'maxItems':
      return { path, key: false, message: `takes at most ${String(p.limit)} item(s)` };
    case 'minimum':
      return { path, key: false, message: `must be at least ${String(p.limit)}` };
    case 'exclusiveMinimum':
      return { path, key: false, message: `must be above ${String(p.limit)}` };
    case 'maximum':
      return { path, key: false, message: `must be at most ${String(p.limit)}` };
    case 'maxProperties':
      return { path, key: false, message: `takes at most ${String(p.limit)} key(s)` };
    case 'minProperties':
      return { path, key: false, message: Number(p.limit) === 1 ? 'must not be empty' : `must have at least ${String(p.limit)} keys` };
    default:
      return { path, key: false, message: e.message ?? `invalid (${e.keyword})` };
  }
}

function article(types: string): string {
  return types.split(',').map((t) => (t === 'array' || t === 'object' || t === 'integer' ? `an ${t}` : `a ${t}`)).join(' or ');
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** The closest known word within an edit distance of 2, for "did you mean". */
export function suggest(word: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.min(2, word.length - 1) + 1;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) { bestD = d; best = k; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
