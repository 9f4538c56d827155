// Golden files: expected query results kept beside the scenario, as a JSON array
// of rows or as CSV with a header line.

import { readFile } from 'node:fs/promises';
import { parseJsonExact } from './exact-json.js';
import type { Row } from './rows.js';

export async function loadGolden(path: string): Promise<Row[]> {
  const text = await readFile(path, 'utf8');
  if (path.endsWith('.csv')) return parseCsv(text);
  const data = parseJsonExact(text);
  if (!Array.isArray(data)) throw new Error(`${path}: a JSON golden file holds an array of rows`);
  return data as Row[];
}

/** RFC 4180 CSV (quoted fields, doubled quotes) into rows keyed by the header. */
export function parseCsv(text: string): Row[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { record.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field); field = '';
      records.push(record); record = [];
    } else field += ch;
  }
  if (field !== '' || record.length) { record.push(field); records.push(record); }
  const rows = records.filter((r) => !(r.length === 1 && r[0] === ''));
  const [header, ...body] = rows;
  if (!header) return [];
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] === '' || r[i] === undefined ? null : r[i]])));
}
