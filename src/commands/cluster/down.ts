import { Flags } from '@oclif/core';
import { PhantomCommand } from '../../cli/command.js';
import { cleanupFailed } from '../../cli/failure.js';
import { allReapers } from '../../drivers/index.js';

export default class ClusterDown extends PhantomCommand {
  static override summary = 'Stop the cluster started by `cluster up` and remove its data.';
  static override description = 'Exit 3 when the Docker engine does not answer: a Docker cluster may still be up.';
  static override examples = ['<%= config.bin %> cluster down', '<%= config.bin %> cluster down --json'];
  static override flags = { json: Flags.boolean({ description: 'print what was stopped as JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(ClusterDown);
    // Each driver's clusters are stopped even when another driver's engine does not answer.
    const settled = await Promise.allSettled(allReapers().map(({ reaper }) => reaper.stopClusters()));
    const results = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
    const unanswered = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    const problems = results.flatMap((r) => r.problems);
    if (flags.json) {
      if (results.length || !unanswered.length) process.stdout.write(JSON.stringify({ stopped: results, ...(problems.length && { error: cleanupFailed(problems) }) }, null, 2) + '\n');
    } else if (results.length === 0 && unanswered.length === 0) process.stdout.write('no cluster is up\n');
    else for (const r of results) process.stdout.write(`stopped ${r.run_id}: ${[...r.stopped, ...r.killed].map((k) => k.id).join(', ') || 'no node was running'}\n`);
    for (const p of problems) process.stderr.write(`cleanup: ${p}\n`);
    // Not "no cluster is up": an engine that does not answer may run one (exit 3, its message).
    if (unanswered.length) throw unanswered[0];
    if (problems.length) this.exit(4);
  }
}
