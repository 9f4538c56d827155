import { Flags } from '@oclif/core';
import { PhantomCommand } from '../cli/command.js';
import { cleanupFailed } from '../cli/failure.js';
import { allReapers } from '../drivers/index.js';
import { stateDir } from '../util/paths.js';

export default class Clean extends PhantomCommand {
  static override summary = 'Remove what killed runs left behind: node processes and temp data dirs.';
  static override description = `A run records the nodes it starts. If the runner dies (even by SIGKILL), its nodes keep running; \`clean\` (and the next \`run\`) finds records whose runner is gone, kills their nodes and removes their data. With --all it also removes clusters left by \`run --keep\` and \`cluster up\`. Exit 4 when something could not be removed.

Records live in a state folder per project: $TMPDIR/phantom-test-<uid>/<project>-<hash>, where the project is the checkout holding the current directory (the nearest directory at or above it with .git, else with package.json, else the current directory). So \`clean\` only sees runs and clusters of this project. PHANTOM_TEST_STATE_DIR overrides the folder.`;
  static override examples = ['<%= config.bin %> clean', '<%= config.bin %> clean --all', '<%= config.bin %> clean --json'];
  static override flags = {
    all: Flags.boolean({ description: 'also remove clusters kept by `run --keep` and started by `cluster up`' }),
    json: Flags.boolean({ description: 'print {reaped: [{run_id, killed, removed, problems}]} as JSON, with an `error` object when something could not be removed' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Clean);
    const reaped = [];
    for (const { reaper } of allReapers()) reaped.push(...await reaper.reapOrphans({ all: flags.all }));
    const problems = reaped.flatMap((r) => r.problems);
    if (flags.json) process.stdout.write(JSON.stringify({ reaped, ...(problems.length && { error: cleanupFailed(problems) }) }, null, 2) + '\n');
    else if (reaped.length === 0) process.stdout.write(`nothing to clean (state folder: ${stateDir()})\n`);
    else for (const r of reaped) process.stdout.write(`${r.run_id}: killed ${r.killed.length} node(s)${r.killed.length ? ` (${r.killed.map((k) => `${k.id} pid ${k.pid}`).join(', ')})` : ''}, removed ${r.removed.length} dir(s)\n`);
    for (const p of problems) process.stderr.write(`cleanup: ${p}\n`);
    if (problems.length) this.exit(4);
  }
}
