// `phantom-test report <run-dir>`: report.html again from the run's journal and history.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderReport } from './render.js';
import { readHistoryColumns, readJournal } from './run-dir-reader.js';

/** Writes <dir>/report.html; returns its path. Throws ReportInputError on a bad run folder. */
export async function regenerateReport(dir: string): Promise<string> {
  const journal = readJournal(dir);
  const columns = await readHistoryColumns(dir);
  const path = join(dir, 'report.html');
  await writeFile(path, renderReport(journal, columns, dir));
  return path;
}
