import { Args, Flags } from '@oclif/core';
import { PhantomCommand } from '../cli/command.js';
import { invalidScenarios } from '../cli/failure.js';
import { formatDiagnostic } from '../scenario/diagnostics.js';
import { loadScenarios } from '../scenario/loader.js';

export default class Validate extends PhantomCommand {
  static override summary = 'Check scenario files without starting anything.';
  static override description = 'Parses each file, validates it against schema/scenario.schema.json, checks cross references (nodes, shards, anchors, points, step ids, templates, files) and reads every duration, time and value the way run does (timeouts above zero and at most 24d, real dates, instants within int64 nanoseconds). A file validate accepts is one run will not reject for its content. Every problem is printed as file:line:col: message. Exit 0 when all are valid, 2 otherwise. See docs/scenario-format.md, "What validate checks".';
  static override examples = [
    '<%= config.bin %> validate scenarios/',
    '<%= config.bin %> validate scenarios/replication.yaml scenarios/sharded-write-and-query.yaml',
    '<%= config.bin %> validate scenarios/ --json',
  ];
  static override strict = false;
  static override args = { paths: Args.string({ description: 'scenario files or folders (searched for *.yaml, *.yml)', required: true }) };
  static override flags = { json: Flags.boolean({ description: 'print {valid, files, diagnostics} as JSON, with an `error` object when something is invalid' }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Validate);
    const { scenarios, diagnostics } = await loadScenarios(argv as string[]);
    if (flags.json) {
      // The error object is the one every command prints on failure, so scripts check .error alike.
      const error = diagnostics.length ? invalidScenarios(diagnostics, '').failure : undefined;
      process.stdout.write(JSON.stringify({ valid: diagnostics.length === 0, files: scenarios.map((s) => ({ file: s.file, name: s.doc.name, steps: s.doc.steps.length })), diagnostics, ...(error && { error }) }, null, 2) + '\n');
    } else {
      for (const d of diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
      for (const s of scenarios) process.stdout.write(`ok ${s.file} (${s.doc.name}, ${s.doc.steps.length} steps)\n`);
      if (diagnostics.length) process.stderr.write(`${diagnostics.length} problem(s) found\n`);
    }
    if (diagnostics.length) this.exit(2);
  }
}
