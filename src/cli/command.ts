// The base of every phantom-test command: whatever a command throws ends the same
// way. With --json, stdout gets {"error": {...}} (see failure.ts); stderr gets the
// text for a person; the exit code says which kind of failure it was.

import { Command, Errors } from '@oclif/core';
import { CommandFailure, EXIT_CRASH, crashText, describeFailure, jsonRequested, writeJsonFailure } from './failure.js';

export abstract class PhantomCommand extends Command {
  override async catch(err: Error & { exitCode?: number }): Promise<never> {
    // this.exit(n): the command already printed its result.
    if (err instanceof Errors.ExitError) throw err;
    const failure = describeFailure(err);
    const ownFlags = (this.constructor as typeof Command).flags ?? {};
    if ('json' in ownFlags && jsonRequested(this.argv)) writeJsonFailure(failure);
    if (err instanceof CommandFailure) {
      process.stderr.write(err.text);
      return this.exit(failure.exit_code) as never;
    }
    if (failure.code === 'crash') {
      process.stderr.write(crashText(err));
      return this.exit(EXIT_CRASH) as never;
    }
    if (!(err instanceof Errors.CLIError)) {
      process.stderr.write(`phantom-test failed: ${failure.message}\n`);
      return this.exit(failure.exit_code) as never;
    }
    // Usage errors: oclif prints them with the command's usage and exits with their code.
    throw err;
  }
}
