// report.html in the run folder: the run for people to look at (summary, steps with their
// diffs, a timeline of every operation with fault periods, latency and throughput).
// Collects the operations as they happen, in columns, and renders once at the end.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reporter, RunResult } from '../engine/events.js';
import type { HistoryEntry } from '../engine/history.js';
import { journalDocument } from './journal.js';
import { RunColumnsBuilder } from './report/op-columns.js';
import { renderReport } from './report/render.js';

export class HtmlReporter implements Reporter {
  private readonly columns = new RunColumnsBuilder();
  constructor(private readonly dir: string, private readonly toolVersion: string) {}

  onOperation(e: HistoryEntry) { this.columns.add(e); }

  async onEnd(r: RunResult) {
    // A report that cannot be written is said, but does not change the run's verdict.
    try {
      const html = renderReport(journalDocument(r, this.toolVersion), this.columns.scenarios.map((s) => s.finish()), this.dir);
      await writeFile(join(this.dir, 'report.html'), html);
    } catch (e) {
      process.stderr.write(`report.html not written: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}
