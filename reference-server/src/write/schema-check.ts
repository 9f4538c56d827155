// Checks parsed points against a table's schema (and against earlier lines of the same batch):
// a tag and a field may not share a name, and a field keeps its first type. Returns the new
// columns the batch introduces, in first-seen order.
import type { ColumnSchema, LineError, Point } from '../types.js';

const TYPE_NAME = { float: 'Float', integer: 'Integer', uinteger: 'UInteger', string: 'String', boolean: 'Boolean' } as const;

export interface SchemaCheck {
  accepted: Point[];
  errors: LineError[];
  newColumns: ColumnSchema[];
}

export function checkSchema(points: Point[], existing: ColumnSchema[] | undefined, lineText: (line: number) => string): SchemaCheck {
  const known = new Map<string, ColumnSchema>();
  for (const c of existing ?? []) known.set(c.name, c);
  const newColumns: ColumnSchema[] = [];
  const accepted: Point[] = [];
  const errors: LineError[] = [];
  for (const p of points) {
    const problem = conflict(p, known);
    if (problem) {
      errors.push({ error_message: problem, line_number: p.line, original_line: lineText(p.line) });
      continue;
    }
    for (const name in p.tags) {
      if (!known.has(name)) {
        const c: ColumnSchema = { name, kind: 'tag' };
        known.set(name, c);
        newColumns.push(c);
      }
    }
    for (const name in p.fields) {
      if (!known.has(name)) {
        const c: ColumnSchema = { name, kind: 'field', type: p.fields[name]!.type };
        known.set(name, c);
        newColumns.push(c);
      }
    }
    accepted.push(p);
  }
  return { accepted, errors, newColumns };
}

function conflict(p: Point, known: Map<string, ColumnSchema>): string | undefined {
  for (const name in p.tags) {
    if (name === 'time') return `invalid tag key 'time': time is the timestamp column`;
    const c = known.get(name);
    if (c && c.kind !== 'tag') return `invalid column type for column '${name}', expected ${describe(c)}, got Tag`;
  }
  for (const name in p.fields) {
    if (name === 'time') return `invalid field key 'time': time is the timestamp column`;
    const c = known.get(name);
    const type = p.fields[name]!.type;
    if (c && (c.kind !== 'field' || c.type !== type)) {
      return `invalid column type for column '${name}', expected ${describe(c)}, got ${TYPE_NAME[type]}`;
    }
  }
  return undefined;
}

function describe(c: ColumnSchema): string {
  return c.kind === 'field' ? TYPE_NAME[c.type!] : c.kind === 'tag' ? 'Tag' : 'Time';
}
