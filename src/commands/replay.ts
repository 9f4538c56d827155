// replay: reruns a recorded run (reports/<run-id>) as it was drawn: the same scenario
// files, the run's seed and each scenario's own, and for every nemesis step the schedule
// it executed (rounds, targets, holds), replayed rather than drawn again, so the faults
// land the same way even if the cluster behaves differently this time.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { PhantomCommand } from '../cli/command.js';
import { DEFAULT_REPORTERS, REPORTERS } from '../reporters/names.js';

export default class Replay extends PhantomCommand {
  static override summary = 'Rerun a recorded run: same scenarios, same seed, same nemesis schedules.';
  static override description = `Reads <run-dir>/journal.json (its seed, driver, scenario files, each scenario's seed and every nemesis step's executed schedule) and runs those files again, from the folder the run was started in, with the recorded choices. The new run gets reports of its own, like any run.

Exit codes as for run; 2 when the run folder, its journal, or one of its scenario files is missing or unreadable (the message names it).`;
  static override examples = [
    '<%= config.bin %> replay reports/latest',
    '<%= config.bin %> replay reports/20261123-074648-9f5d --out replays',
  ];
  static override args = { dir: Args.string({ description: 'the recorded run folder (reports/<run-id>, or reports/latest)', required: true }) };
  static override flags = {
    out: Flags.string({ description: 'folder for the new run\'s reports', default: 'reports' }),
    reporter: Flags.string({ description: `comma-separated reporters: ${REPORTERS.join(', ')}`, default: DEFAULT_REPORTERS.join(',') }),
    keep: Flags.boolean({ description: 'leave the cluster running after the run' }),
    server: Flags.string({ description: 'server entry for the process driver (default: as recorded, else the bundled one)' }),
    json: Flags.boolean({ description: 'print the run summary as JSON on stdout' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Replay);
    const { ReplayInputError, readRecordedRun } = await import('../engine/nemesis/replay.js');
    const bad = (message: string) => { process.stderr.write(`phantom-test replay: ${message}\n`); return this.exit(2); };
    const dir = resolve(args.dir);
    let rec;
    try { rec = readRecordedRun(dir); } catch (e) {
      if (e instanceof ReplayInputError) return bad(e.message);
      throw e;
    }
    const missing = rec.files.filter((f) => !existsSync(resolve(f)));
    if (missing.length) return bad(`scenario file(s) of run ${rec.run_id} not found from ${process.cwd()}: ${missing.join(', ')} (replay from the folder the run was started in)`);
    const server = flags.server ?? optionOf(rec.argv, '--server');
    await this.config.runCommand('run', [
      ...rec.files, '--seed', String(rec.seed), '--driver', rec.driver, '--replay', dir,
      '--out', flags.out, '--reporter', flags.reporter,
      ...(server ? ['--server', server] : []), ...(flags.keep ? ['--keep'] : []), ...(flags.json ? ['--json'] : []),
    ]);
  }
}

/** The value of `--name v` or `--name=v` on a recorded command line. */
function optionOf(argv: string[], name: string): string | undefined {
  for (const [i, a] of argv.entries()) {
    if (a === name) return argv[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}
