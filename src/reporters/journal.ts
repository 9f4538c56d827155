// journal.json: the whole run as one versioned document (docs/journal.md):
// the run's seed and arguments, each scenario as resolved, every step with its
// verdict, timing and output, and teardown.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reporter, RunResult } from '../engine/events.js';
import { replayCommand, summarizeRepetitions } from '../engine/repetitions.js';

export const JOURNAL_FORMAT = 'phantom-test/journal';
export const JOURNAL_VERSION = 1;

/** The journal document of a run (also what the HTML report embeds). */
export function journalDocument(r: RunResult, toolVersion: string) {
  return {
    format: JOURNAL_FORMAT,
    version: JOURNAL_VERSION,
    tool: { name: 'phantom-test', version: toolVersion, node: process.version },
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
    ...(r.run.shard ? { shard: r.run.shard } : {}),
    // --repeat/--seeds: the run seeds, and per scenario its failure rate, failing seeds and replay commands.
    ...(r.run.seeds ? { seeds: r.run.seeds, repetitions: summarizeRepetitions(r.tests, r.run.driver) } : {}),
    scenarios: r.tests.map((t) => ({
      file: t.info.file,
      name: t.info.name,
      description: t.info.description,
      seed: t.info.seed,
      ...(t.info.run_seed === undefined ? {} : { run_seed: t.info.run_seed, replay: replayCommand(t.info.file, t.info.run_seed, r.run.driver) }),
      verdict: t.verdict,
      started_at: t.started_at,
      duration_ms: t.duration_ms,
      ready_ms: t.ready_ms,
      error: t.error,
      ...(t.skip_reason !== undefined ? { skip_reason: t.skip_reason } : {}),
      resolved: t.resolved,
      setup: t.setup,
      steps: t.steps,
      teardown: t.teardown,
      nodes: t.nodes.map((n) => ({ id: n.id, url: n.url, peer_url: n.peerUrl, port: n.port, state: n.state, ...(n.exit ? { exit: n.exit } : {}), log: n.log })),
      history_count: t.history_count,
    })),
    not_run: r.not_run,
  };
}

export type Journal = ReturnType<typeof journalDocument>;

/** JSON that keeps int64 values exact: bigints as their digits. */
export const jsonWithBigints = (v: unknown, indent?: number) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), indent);

export class JournalReporter implements Reporter {
  constructor(private readonly dir: string, private readonly toolVersion: string) {}

  async onEnd(r: RunResult) {
    await writeFile(join(this.dir, 'journal.json'), jsonWithBigints(journalDocument(r, this.toolVersion), 2) + '\n');
  }
}
