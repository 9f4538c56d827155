// Request bodies as JSON objects, read through small typed readers whose every error is a 400
// that names the field: routes never touch a value of the wrong type (or `null`, or a nested
// bomb) that would otherwise surface as a TypeError and a 500.
import { HttpError } from '../util/errors.js';

export type JsonObject = Record<string, unknown>;

/** Deeper than any body this API takes; bounds the recursion of everything that walks a body. */
export const MAX_JSON_DEPTH = 32;

/** Parses a request body that must be a JSON object; an empty body is `{}`. */
export function parseJsonObject(text: string, parse: (text: string) => unknown = JSON.parse): JsonObject {
  if (!text.trim()) return {};
  const depth = nestingDepth(text);
  if (depth > MAX_JSON_DEPTH) throw new HttpError(400, `request body is nested ${depth} levels deep; the limit is ${MAX_JSON_DEPTH}`);
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(value)) throw new HttpError(400, `request body must be a JSON object, not ${typeName(value)}`);
  return value;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How a value is named in an error: `null`, `an array`, `a number`... */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** `where.name` when reading inside something, else `'name'`. */
function label(name: string, where?: string): string {
  return where ? `${where}.${name}` : `'${name}'`;
}

function wrongType(name: string, want: string, v: unknown, where?: string): HttpError {
  return new HttpError(400, `${label(name, where)} must be ${want}, not ${typeName(v)}`);
}

/** A string field; undefined when absent or null. */
export function optionalString(o: JsonObject, name: string, where?: string): string | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw wrongType(name, 'a string', v, where);
  return v;
}

export function requiredString(o: JsonObject, name: string, where?: string): string {
  const v = optionalString(o, name, where);
  if (v === undefined) throw new HttpError(400, `missing ${label(name, where)}${where ? '' : ' in request body'}`);
  return v;
}

/** A boolean field, also given as the string "true" or "false" (as in a query string). */
export function optionalBoolean(o: JsonObject, name: string, where?: string): boolean | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw wrongType(name, 'true or false', v, where);
}

export function requiredInteger(o: JsonObject, name: string, where?: string): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw wrongType(name, 'an integer', v, where);
  return v;
}

export function requiredList(o: JsonObject, name: string, where?: string): unknown[] {
  const v = o[name];
  if (!Array.isArray(v)) throw wrongType(name, 'a list', v, where);
  return v;
}

export function requiredObject(o: JsonObject, name: string, where?: string): JsonObject {
  const v = o[name];
  if (!isJsonObject(v)) throw wrongType(name, 'an object', v, where);
  return v;
}

/** Depth of the deepest `[`/`{` nesting, outside strings; a linear scan, no recursion. */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}
