// The contract of a step kind: a label for reports and a run function. Steps get a
// StepRun (scenario context, their path, a signal that fires on timeout or Ctrl-C)
// and return an output that later steps can template as ${steps.<id>...}.

import type { NodeState } from '../../drivers/driver.js';
import type { ScenarioContext } from '../context.js';
import type { StepResult } from '../events.js';
import type { Step } from '../../scenario/types.js';

export interface StepRun {
  ctx: ScenarioContext;
  path: string;
  signal: AbortSignal;
  depth: number;
  /** Where the step is in the YAML document, for file:line:col. */
  docPath: Array<string | number>;
  /** Runs nested steps (parallel branches) with events and results. */
  runChild(step: Step, path: string, depth: number, docPath: Array<string | number>): Promise<StepResult>;
  children: StepResult[];
  attempts?: number;
  /**
   * Resolves a node reference (an id, `random`, or undefined for the default node) like
   * ScenarioContext.node, and records what `random` picked so reports can show it.
   */
  node(ref: string | undefined, states?: NodeState[], exclude?: string[]): string;
  picked: string[];
  /** Tells the reporters what the step is doing now (one line; reporters decide how often to show it). */
  progress(text: string): void;
  /** A progress line for the console (a nemesis round). */
  log(message: string): void;
}

/** How a step resolves a node reference (StepRun.node). */
export type PickNode = StepRun['node'];

export interface StepImpl<S> {
  /** Checks something (true) or only acts (false): checking steps become JUnit cases. */
  verifies: boolean | ((spec: S) => boolean);
  /** Templates are rendered by the executor before run, unless this is false. */
  render?: boolean;
  label(spec: S): string;
  run(spec: S, r: StepRun): Promise<unknown>;
}
