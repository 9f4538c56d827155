import { Args, Flags } from '@oclif/core';
import { PhantomCommand } from '../cli/command.js';

export default class MergeReports extends PhantomCommand {
  static override summary = 'Combine the run folders of `run --shard i/n` into one run.';
  static override description = `Reads the shards' run folders (each one's journal.json, history.jsonl and logs/) and writes one new run folder, <out>/<run-id>/, with one journal.json, history.jsonl, junit.xml and report.html, as if one machine had run the whole suite; <out>/latest points at it.

The shards must be the complete set of one split of one suite: every shard that has scenarios, each once, all finished, made by the same phantom-test version from the same files (paths and contents), with the same seed and driver.

Exit codes: what \`run\` would have exited with for the whole suite (0 all passed; 1 a verification failed; 3 infrastructure error; 4 cleanup failed); 2 when a folder is missing, has no journal or an unreadable one, did not finish, or the shards do not fit together (the message says which and why; nothing is written).`;
  static override examples = [
    '<%= config.bin %> merge-reports shards/*',
    '<%= config.bin %> merge-reports shard-1/reports/20261123-074648-9f5d shard-2/reports/20261123-074702-1c3e --out merged',
  ];
  static override strict = false;
  static override args = { dirs: Args.string({ description: "the shards' run folders (reports/<run-id>)", required: true }) };
  static override flags = {
    out: Flags.string({ description: 'folder for the merged run', default: 'reports' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(MergeReports);
    // Loaded here: oclif loads every command's module.
    const { mergeShards } = await import('../reporters/merge/merge-runs.js');
    const { ReportInputError } = await import('../reporters/report/run-dir-reader.js');
    let merged;
    try {
      merged = await mergeShards(argv as string[], flags.out, process.argv.slice(2));
    } catch (e) {
      if (!(e instanceof ReportInputError)) throw e;
      // Unwrapped, on one line: the message holds paths to copy.
      process.stderr.write(`phantom-test merge-reports: ${e.message}\n`);
      return this.exit(2);
    }
    const j = merged.journal;
    const counts = new Map<string, number>();
    for (const s of j.scenarios) counts.set(s.verdict, (counts.get(s.verdict) ?? 0) + 1);
    if (j.not_run.length) counts.set('not run', j.not_run.length);
    const parts = [...counts].map(([v, n]) => `${n} ${v}`).join(', ') || 'no scenario';
    process.stdout.write(`merged ${j.merged_from.shards.length} shard(s) of ${j.merged_from.total} (seed ${j.seed}): ${parts}; exit ${j.exit_code}\nreports: ${merged.dir}\n`);
    if (j.exit_code !== 0) this.exit(j.exit_code);
  }
}
