// A crash outside any command's own error path (an exception thrown from a timer or
// an event handler, a rejected promise nobody awaited) still ends as a crash:
// exit 70 with the stack, and the JSON error object when --json was given.
// process.exit runs the engine's exit hook, which kills the nodes of the run.

import { EXIT_CRASH, crashText, jsonRequested, writeJsonFailure } from './failure.js';
import { errorMessage } from '../engine/errors.js';

export function installCrashHandlers(argv: readonly string[] = process.argv.slice(2)) {
  const crash = (e: unknown) => {
    // Even a system error (EPIPE, ECONNRESET) lands here only when nothing handled it: a bug.
    const message = e instanceof Error ? `${e.name}: ${e.message}` : `thrown: ${errorMessage(e)}`;
    if (jsonRequested(argv)) writeJsonFailure({ code: 'crash', message, exit_code: EXIT_CRASH });
    process.stderr.write(crashText(e));
    process.exit(EXIT_CRASH);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

/** oclif exits 1 for an error it knows nothing of, and 1 means a failed verification here. */
export function asCrash(e: unknown): unknown {
  const known = e instanceof Error && (e as { oclif?: { exit?: number } }).oclif?.exit !== undefined;
  if (e instanceof Error && !known) Object.assign(e, { oclif: { exit: EXIT_CRASH } });
  return e;
}
