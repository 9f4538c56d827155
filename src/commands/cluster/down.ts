import { Flags } from '@oclif/core';
import { PhantomCommand } from '../../cli/command.js';
import { cleanupFailed } from '../../cli/failure.js';
import { allReapers } from '../../drivers/index.js';

export default class ClusterDown extends PhantomCommand {
  static override summary = 'Stop the cluster started by `cluster up` and remove its data.';
  static override examples = ['<%= config.bin %> cluster down', '<%= config.bin %> cluster down --json'];
  static override flags = { json: Flags.boolean({ description: 'print what was stopped as JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(ClusterDown);
    const results = (await Promise.all(allReapers().map(({ reaper }) => reaper.stopClusters()))).flat();
    const problems = results.flatMap((r) => r.problems);
    if (flags.json) process.stdout.write(JSON.stringify({ stopped: results, ...(problems.length && { error: cleanupFailed(problems) }) }, null, 2) + '\n');
    else if (results.length === 0) process.stdout.write('no cluster is up\n');
    else for (const r of results) process.stdout.write(`stopped ${r.run_id}: ${[...r.stopped, ...r.killed].map((k) => k.id).join(', ') || 'no node was running'}\n`);
    for (const p of problems) process.stderr.write(`cleanup: ${p}\n`);
    if (problems.length) this.exit(4);
  }
}
