// journal.json: the whole run as one versioned document (docs/journal.md):
// the run's seed and arguments, each scenario as resolved, every step with its
// verdict, timing and output, and teardown.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reporter, RunResult } from '../engine/events.js';

export const JOURNAL_FORMAT = 'phantom-test/journal';
export const JOURNAL_VERSION = 1;

export class JournalReporter implements Reporter {
  constructor(private readonly dir: string, private readonly toolVersion: string) {}

  async onEnd(r: RunResult) {
    const journal = {
      format: JOURNAL_FORMAT,
      version: JOURNAL_VERSION,
      tool: { name: 'phantom-test', version: this.toolVersion, node: process.version },
      run_id: r.run.run_id,
      seed: r.run.seed,
      driver: r.run.driver,
      argv: r.run.argv,
      started_at: r.run.started_at,
      finished_at: r.finished_at,
      duration_ms: r.duration_ms,
      verdict: r.verdict,
      exit_code: r.exit_code,
      files: r.run.files,
      scenarios: r.tests.map((t) => ({
        file: t.info.file,
        name: t.info.name,
        description: t.info.description,
        seed: t.info.seed,
        verdict: t.verdict,
        started_at: t.started_at,
        duration_ms: t.duration_ms,
        ready_ms: t.ready_ms,
        error: t.error,
        resolved: t.resolved,
        setup: t.setup,
        steps: t.steps,
        teardown: t.teardown,
        nodes: t.nodes.map((n) => ({ id: n.id, url: n.url, port: n.port, state: n.state, ...(n.exit ? { exit: n.exit } : {}), log: n.log })),
        history_count: t.history_count,
      })),
    };
    await writeFile(join(this.dir, 'journal.json'), JSON.stringify(journal, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
  }
}
