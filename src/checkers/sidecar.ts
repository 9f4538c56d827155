// Sidecars: the large parts of a history entry's value, in history/<line>.json beside
// history.jsonl (docs/history.md). Both history readers (history-file.ts for the jsonl,
// history-bin.ts for the binary copy) merge them back the same way, with the same errors.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckInputError } from './input-error.js';

/** An entry's value with its sidecar's keys merged in; `where` names the jsonl line. */
export function withSidecar(inline: unknown, file: string, where: string, dir: string): unknown {
  const path = join(dir, file);
  if (!/^history\/[^/]+\.json$/.test(file) || !existsSync(path)) throw new CheckInputError(`${where}: its sidecar ${path} is missing`);
  const moved = readJsonFile(path, `sidecar of ${where}`);
  return { ...(inline as object), ...(moved as object) };
}

/**
 * A whole JSON file; when it is not valid JSON, a CheckInputError naming the file and the
 * byte offset where it goes wrong (or where it ends, when it is cut short).
 */
export function readJsonFile(path: string, what: string): unknown {
  const bytes = readFileSync(path);
  const text = bytes.toString('utf8');
  try { return JSON.parse(text); } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = errorPosition(text, message);
    const where = at === undefined ? 'at an unknown offset'
      : at >= text.length ? `cut short at byte offset ${bytes.length} (the file is truncated)`
      : `at byte offset ${Buffer.byteLength(text.slice(0, at))}`;
    throw new CheckInputError(`${path} (${what}) is not valid JSON: ${where}: ${message}`);
  }
}

/**
 * Where JSON.parse failed: the position it names, else (`Unexpected token 'x', ...`) the
 * first such character outside a string.
 */
function errorPosition(text: string, message: string): number | undefined {
  const at = /position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  if (/end of JSON/i.test(message)) return text.length;
  const token = /^Unexpected token '(.)'/.exec(message)?.[1];
  if (token === undefined) return undefined;
  for (let i = 0, inString = false; i < text.length; i++) {
    const c = text[i];
    if (inString) { if (c === '\\') i++; else if (c === '"') inString = false; } else if (c === '"') inString = true;
    else if (c === token) return i;
  }
  return undefined;
}

