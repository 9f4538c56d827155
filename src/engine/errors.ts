// The three ways a step can end badly, which map onto the run's exit codes.

/** The system under test did not do what the scenario expects (exit 1). */
export class VerificationError extends Error {
  constructor(message: string, readonly detail: { expected?: unknown; actual?: unknown; diff?: string } = {}) {
    super(message);
    this.name = 'VerificationError';
  }
}

/** The runner could not start or reach the cluster (exit 3). */
export class InfraError extends Error {
  constructor(message: string, readonly detail: { tried?: string; logTail?: string } = {}) {
    super(message);
    this.name = 'InfraError';
  }
}

/** The run was interrupted (Ctrl-C): teardown still runs, exit 130. */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The driver cannot do what the scenario asks (a fault needing a capability it lacks):
 * the scenario is skipped with this reason, never passed or failed.
 */
export class UnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedError';
  }
}

/** A step's own work took longer than expect_duration.max or less than .min (exit 1). */
export class DurationError extends Error {
  constructor(message: string, readonly expected: string, readonly actual: string) {
    super(message);
    this.name = 'DurationError';
  }
}

/** A fault was injected but its witness could not confirm it took effect (exit 1). */
export class InconclusiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InconclusiveError';
  }
}
