import { Args, Flags } from '@oclif/core';
import { PhantomCommand } from '../cli/command.js';
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export default class Report extends PhantomCommand {
  static override summary = "Write a run's report.html again from its journal and history.";
  static override description = `Reads <run-dir>/journal.json and <run-dir>/history.jsonl and writes <run-dir>/report.html: a single file with no network access, to open in any browser. Works for runs made by older versions too.

Exit 0 when written; 2 when the run folder, its journal or its history is missing or unreadable (the message names the file).`;
  static override examples = [
    '<%= config.bin %> report reports/latest',
    '<%= config.bin %> report reports/20261123-074648-9f5d --open',
  ];
  static override args = { dir: Args.string({ description: 'the run folder (reports/<run-id>, or reports/latest)', required: true }) };
  static override flags = {
    open: Flags.boolean({ description: 'open the report in the default browser (xdg-open), or print its path when there is none' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Report);
    // Loaded here: oclif loads every command's module.
    const { regenerateReport } = await import('../reporters/report/write-report.js');
    const { ReportInputError } = await import('../reporters/report/run-dir-reader.js');
    let path: string;
    try {
      path = await regenerateReport(resolve(args.dir));
    } catch (e) {
      if (!(e instanceof ReportInputError)) throw e;
      // Unwrapped, on one line: the message holds a path to copy.
      process.stderr.write(`phantom-test report: ${e.message}\n`);
      return this.exit(2);
    }
    process.stdout.write(`${path}\n`);
    if (flags.open) openInBrowser(path);
  }
}

/** xdg-open when the system has it (detached: the browser outlives us); the path is printed either way. */
function openInBrowser(path: string) {
  const has = spawnSync('sh', ['-c', 'command -v xdg-open'], { stdio: 'ignore' }).status === 0;
  if (!has) {
    process.stderr.write(`no xdg-open here: open ${path} in a browser\n`);
    return;
  }
  spawn('xdg-open', [path], { detached: true, stdio: 'ignore' }).unref();
}
