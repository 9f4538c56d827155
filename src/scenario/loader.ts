// Reads scenario files: YAML with source positions, the JSON Schema, then the
// cross-reference lint. Every problem comes back at once, as file:line:col.

import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { lint } from './lint.js';
import { expandMatrix, lintMatrix } from './matrix.js';
import { SourceMap, type JsonPath } from './positions.js';
import { checkSchema } from './schema.js';
import { checkStructure } from './structure.js';
import type { Scenario, ScenarioDoc } from './types.js';

export interface LoadResult {
  scenarios: Scenario[];
  diagnostics: Diagnostic[];
}

/**
 * Loads one scenario from text (the file name is used in messages and to resolve relative
 * files). Never throws: a failure of the loader itself still comes back as a diagnostic.
 */
export function loadScenarioText(file: string, text: string): { scenario?: Scenario; scenarios?: Scenario[]; diagnostics: Diagnostic[] } {
  try {
    return load(file, text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { diagnostics: [{ file, line: 1, col: 1, message: `internal error while loading this file (please report it): ${why.slice(0, 300)}` }] };
  }
}

function load(file: string, text: string): { scenario?: Scenario; scenarios?: Scenario[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const at = (line: number, col: number, message: string) => diagnostics.push({ file, line, col, message });
  const empty = () => {
    at(1, 1, 'file is empty: a scenario needs at least "name" and "steps"');
    return { diagnostics };
  };
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  for (const err of doc.errors) {
    const p = lines.linePos(err.pos[0]);
    at(p.line, p.col, `invalid YAML: ${err.message.split('\n')[0]}`);
  }
  if (diagnostics.length) return { diagnostics };
  // Only comments and blank lines (no pattern over the text: those can backtrack for ages).
  if (doc.contents === null) return empty();

  const structure = checkStructure(doc);
  if (structure) {
    const p = lines.linePos(structure.node.range?.[0] ?? 0);
    at(p.line, p.col, structure.message);
    return { diagnostics };
  }

  const map = new SourceMap(doc, lines, text);
  const report = (path: JsonPath, message: string, key = false, needle?: string) => {
    const p = map.position(path, { key, needle });
    at(p.line, p.col, message);
  };
  // checkStructure has bounded what aliases expand to.
  const data = doc.toJS({ maxAliasCount: -1 }) as unknown;
  if (data === null || data === undefined) return empty();
  const problems = checkSchema(data);
  for (const problem of problems) report(problem.path, problem.message, problem.key);

  const dir = dirname(resolve(file));
  const scenarioDoc = data as ScenarioDoc;
  if (problems.length === 0 && scenarioDoc.matrix) {
    lintCombinations(scenarioDoc, dir, report);
  } else if (problems.length === 0) {
    lint(scenarioDoc, dir, report);
  } else {
    // Every error at once: cross references too, except where the schema already
    // complained (at, above or below that place). A shape too broken to follow is
    // left at the schema's messages.
    const related = (a: JsonPath, b: JsonPath) => a.slice(0, Math.min(a.length, b.length)).every((seg, i) => String(seg) === String(b[i]));
    const found: Array<[JsonPath, string, boolean, string | undefined]> = [];
    try {
      lint(scenarioDoc, dir, (path, message, key = false, needle) => { found.push([path, message, key, needle]); });
      for (const [path, message, key, needle] of found) if (!problems.some((p) => related(p.path, path))) report(path, message, key, needle);
    } catch { /* the schema's messages say enough */ }
  }
  if (diagnostics.length) return { diagnostics: sortDiagnostics(dedupe(diagnostics)) };

  const where = (path: JsonPath) => {
    const p = map.position(path);
    return `${file}:${p.line}:${p.col}`;
  };
  const scenario: Scenario = { file, dir, doc: scenarioDoc, where };
  if (!scenarioDoc.matrix) return { scenario, diagnostics };
  // Positions point into this file: every combination shares its source map.
  const scenarios = expandMatrix(scenarioDoc).map((c) => ({ file, dir, doc: c.doc, where, variant: c.label, ...(c.skip ? { skip: c.skip } : {}) }));
  return { scenario, scenarios, diagnostics };
}

/**
 * A matrix scenario is checked as each combination runs it (a step via node e is fine with
 * nodes=5, not with nodes=3). A problem every combination has is reported once; one only
 * some have names them.
 */
function lintCombinations(doc: ScenarioDoc, dir: string, report: (path: JsonPath, message: string, key?: boolean, needle?: string) => void): void {
  let bad = false;
  lintMatrix(doc, (path, message, key) => { bad = true; report(path, message, key); });
  if (bad) return;
  const combos = expandMatrix(doc);
  const runnable = combos.filter((c) => !c.skip);
  if (runnable.length === 0) {
    report(['matrix'], `no combination of the matrix can run (${combos[0]!.skip}${combos.length > 1 ? ', and likewise for the others' : ''})`, true);
    return;
  }
  const found = new Map<string, { path: JsonPath; message: string; key: boolean; needle?: string; labels: string[] }>();
  for (const c of runnable) {
    lint(c.doc, dir, (path, message, key = false, needle) => {
      const k = JSON.stringify([path, message, key, needle]);
      const f = found.get(k) ?? found.set(k, { path, message, key, needle, labels: [] }).get(k)!;
      if (!f.labels.includes(c.label)) f.labels.push(c.label);
    });
  }
  for (const f of found.values()) {
    const only = f.labels.length < runnable.length ? ` (in matrix combination${f.labels.length > 1 ? 's' : ''}${f.labels.join(',')})` : '';
    report(f.path, f.message + only, f.key, f.needle);
  }
}

/** `scenarios`: a matrix file's combinations (src/scenario/matrix.ts), each its own scenario. */
export async function loadScenarioFile(file: string): Promise<{ scenario?: Scenario; scenarios?: Scenario[]; diagnostics: Diagnostic[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return { diagnostics: [{ file, line: 1, col: 1, message: readError(e) }] };
  }
  return loadScenarioText(file, text);
}

/** Expands files and folders (recursively, *.yaml and *.yml, sorted) and loads them all. */
export async function loadScenarios(paths: string[]): Promise<LoadResult> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const p of paths) {
    let s;
    try {
      s = await stat(p);
    } catch (e) {
      diagnostics.push({ file: p, line: 1, col: 1, message: readError(e) });
      continue;
    }
    if (s.isDirectory()) {
      const found = await findYaml(p);
      if (found.length === 0) diagnostics.push({ file: p, line: 1, col: 1, message: 'no scenario files (*.yaml, *.yml) in this folder' });
      files.push(...found);
    } else {
      files.push(p);
    }
  }
  const scenarios: Scenario[] = [];
  for (const f of [...new Set(files)]) {
    const r = await loadScenarioFile(f);
    diagnostics.push(...r.diagnostics);
    if (r.scenarios) scenarios.push(...r.scenarios);
    else if (r.scenario) scenarios.push(r.scenario);
  }
  return { scenarios, diagnostics };
}

async function findYaml(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await findYaml(full)));
    else if (/\.ya?ml$/.test(entry.name)) out.push(full);
  }
  return out;
}

function readError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return `cannot read: ${(e as Error).message}`;
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
