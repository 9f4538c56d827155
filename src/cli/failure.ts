// How a command that could not do its job says so: one shape for every command,
// printed as {"error": {...}} on stdout under --json, and one exit code per kind
// (DESIGN.md's table, plus 70 for a bug in phantom-test itself).

import { Errors } from '@oclif/core';
import { InfraError, errorMessage } from '../engine/errors.js';
import { formatDiagnostic, type Diagnostic } from '../scenario/diagnostics.js';

/** sysexits.h's EX_SOFTWARE ("internal software error"): clear of 0-4 and 130. */
export const EXIT_CRASH = 70;

export type FailureCode = 'usage' | 'invalid_scenario' | 'infra' | 'cleanup_failed' | 'crash';

export interface JsonFailure {
  code: FailureCode;
  /** One line, for a person. */
  message: string;
  exit_code: number;
  /** invalid_scenario: every problem found, each at its place. */
  diagnostics?: Diagnostic[];
  /** infra: the command tried and the node's last log lines, when known. */
  tried?: string;
  log_tail?: string;
}

/** A failure the command anticipated: `text` is what a person reads on stderr. */
export class CommandFailure extends Error {
  constructor(readonly failure: JsonFailure, readonly text: string) {
    super(failure.message);
    this.name = 'CommandFailure';
  }
}

export function invalidScenarios(diagnostics: Diagnostic[], consequence: string): CommandFailure {
  const message = `${diagnostics.length} problem(s) found${consequence ? `; ${consequence}` : ''}`;
  return new CommandFailure(
    { code: 'invalid_scenario', message, exit_code: 2, diagnostics },
    [...diagnostics.map(formatDiagnostic), message].join('\n') + '\n',
  );
}

export function cleanupFailed(problems: string[]): JsonFailure {
  return { code: 'cleanup_failed', message: `${problems.length} thing(s) could not be cleaned up: ${problems.join('; ')}`, exit_code: 4 };
}

const CODE_OF_EXIT: Record<number, FailureCode> = { 2: 'usage', 3: 'infra', 4: 'cleanup_failed' };

/** Node's errors from the system (EACCES, ENOSPC, ...): the machine's state, not a bug. */
const isSystemError = (e: unknown): e is NodeJS.ErrnoException =>
  e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';

/** What went wrong, from any error a command can throw. Unknown errors are crashes. */
export function describeFailure(e: unknown): JsonFailure {
  if (e instanceof CommandFailure) return e.failure;
  if (e instanceof InfraError) return { code: 'infra', message: e.message, exit_code: 3, ...(e.detail.tried && { tried: e.detail.tried }), ...(e.detail.logTail && { log_tail: e.detail.logTail }) };
  if (isSystemError(e)) return { code: 'infra', message: e.message, exit_code: 3 };
  // A command module that does not load is a broken install or a bug, whatever oclif's code says.
  if (e instanceof Errors.CLIError && !(e instanceof Errors.ModuleLoadError)) {
    const exit = e.oclif.exit ?? 2;
    // Flag and argument errors come from oclif's parser and are usage errors.
    return { code: CODE_OF_EXIT[exit] ?? 'usage', message: e.message.split('\n').map((l) => l.trim()).filter(Boolean).join(' '), exit_code: exit };
  }
  return { code: 'crash', message: e instanceof Error ? `${e.name}: ${e.message}` : `thrown: ${errorMessage(e)}`, exit_code: EXIT_CRASH };
}

export function writeJsonFailure(f: JsonFailure) {
  process.stdout.write(JSON.stringify({ error: f }, null, 2) + '\n');
}

/** The text of a crash: its stack, and that it is ours to fix. */
export function crashText(e: unknown): string {
  const detail = e instanceof Error ? e.stack ?? `${e.name}: ${e.message}` : `thrown: ${errorMessage(e)}`;
  return `phantom-test crashed: ${detail}\nThis is a bug in phantom-test (exit ${EXIT_CRASH}), not a verdict on the system under test: please report it with the lines above.\n`;
}

/** argv asks for JSON (before any `--`, after which everything is an argument). */
export function jsonRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}
