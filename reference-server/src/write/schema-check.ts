// Checks parsed points against a table's schema (and against earlier lines of the same batch)
// before anything reaches the catalog or a WAL: a tag and a field may not share a name, a field
// keeps its first type, names follow the store's rules and the table stays within its column
// limits (catalog/limits.ts). A line that breaks a rule is rejected on its own; the columns it
// would have added are not. Returns the new columns the accepted lines introduce, in
// first-seen order.
import type { ColumnSchema, LineError, Point } from '../types.js';
import { columnLimitProblem, nameProblem } from '../catalog/limits.js';

const TYPE_NAME = { float: 'Float', integer: 'Integer', uinteger: 'UInteger', string: 'String', boolean: 'Boolean' } as const;

export interface SchemaCheck {
  accepted: Point[];
  errors: LineError[];
  newColumns: ColumnSchema[];
}

export function checkSchema(table: string, points: Point[], existing: ColumnSchema[] | undefined, lineText: (line: number) => string): SchemaCheck {
  const known = new Map<string, ColumnSchema>();
  let userColumns = 0;
  for (const c of existing ?? []) {
    known.set(c.name, c);
    if (c.kind !== 'time') userColumns++;
  }
  const newColumns: ColumnSchema[] = [];
  const accepted: Point[] = [];
  const errors: LineError[] = [];
  for (const p of points) {
    const problem = conflict(p, known) ?? widthProblem(table, p, known, userColumns);
    if (problem) {
      errors.push({ error_message: problem, line_number: p.line, original_line: lineText(p.line) });
      continue;
    }
    for (const name in p.tags) {
      if (!known.has(name)) {
        const c: ColumnSchema = { name, kind: 'tag' };
        known.set(name, c);
        newColumns.push(c);
        userColumns++;
      }
    }
    for (const name in p.fields) {
      if (!known.has(name)) {
        const c: ColumnSchema = { name, kind: 'field', type: p.fields[name]!.type };
        known.set(name, c);
        newColumns.push(c);
        userColumns++;
      }
    }
    accepted.push(p);
  }
  return { accepted, errors, newColumns };
}

function conflict(p: Point, known: Map<string, ColumnSchema>): string | undefined {
  const bad = nameProblem('measurement', p.measurement);
  if (bad) return bad;
  for (const name in p.tags) {
    if (name === 'time') return `invalid tag key 'time': time is the timestamp column`;
    const problem = nameProblem('tag key', name);
    if (problem) return problem;
    const c = known.get(name);
    if (c && c.kind !== 'tag') return `invalid column type for column '${name}', expected ${describe(c)}, got Tag`;
  }
  for (const name in p.fields) {
    if (name === 'time') return `invalid field key 'time': time is the timestamp column`;
    const problem = nameProblem('field key', name);
    if (problem) return problem;
    const c = known.get(name);
    const type = p.fields[name]!.type;
    if (c && (c.kind !== 'field' || c.type !== type)) {
      return `invalid column type for column '${name}', expected ${describe(c)}, got ${TYPE_NAME[type]}`;
    }
  }
  return undefined;
}

/** Whether the columns this point adds would take the table past its limits. */
function widthProblem(table: string, p: Point, known: Map<string, ColumnSchema>, userColumns: number): string | undefined {
  let added = 0;
  for (const name in p.tags) if (!known.has(name)) added++;
  for (const name in p.fields) if (!known.has(name)) added++;
  return added === 0 ? undefined : columnLimitProblem(table, userColumns + added);
}

function describe(c: ColumnSchema): string {
  return c.kind === 'field' ? TYPE_NAME[c.type!] : c.kind === 'tag' ? 'Tag' : 'Time';
}
