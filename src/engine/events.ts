// What the engine tells reporters, Playwright style: reporters receive these
// events and never reach into the engine.

import type { NodeInfo } from '../drivers/driver.js';
import type { HistoryEntry } from './history.js';
import type { ShardRecord } from './shard.js';

export interface RunInfo {
  run_id: string;
  seed: number;
  driver: string;
  started_at: string;
  /** reports/<run-id>, or null when no report files are written. */
  report_dir: string | null;
  files: string[];
  argv: string[];
  /** --shard: which part of which suite this run is. */
  shard?: ShardRecord;
  /** --repeat/--seeds: the run seeds every scenario ran under, in order. */
  seeds?: number[];
}

export interface TestInfo {
  file: string;
  name: string;
  description?: string;
  /** The scenario's own seed, derived from the run seed and its file. */
  seed: number;
  index: number;
  /** --repeat/--seeds: the run seed of this repetition (`run <file> --seed <run_seed>` replays it). */
  run_seed?: number;
  /** --repeat/--seeds: the name without its ` [seed=N]` suffix. */
  base_name?: string;
  /** What tells this test case from the file's others: ` [nodes=3] [seed=7]` (matrix, repetition). */
  variant?: string;
}

/**
 * inconclusive: a fault was injected but its witness could not confirm it took effect;
 * counted as a failure (exit 1). skipped: never ran, or the driver cannot do it.
 */
export type StepStatus = 'passed' | 'failed' | 'error' | 'skipped' | 'inconclusive';

export interface StepError {
  type: 'verification' | 'infrastructure' | 'interrupted' | 'timeout' | 'inconclusive' | 'unsupported' | 'duration';
  message: string;
  /** file:line:col of the step. */
  where?: string;
  expected?: unknown;
  actual?: unknown;
  diff?: string;
  tried?: string;
  log_tail?: string;
}

export interface StepInfo {
  /** "3", "5.1.0" (parallel branch 1, step 0), "setup.2". */
  path: string;
  kind: string;
  label: string;
  depth: number;
  /** file:line:col of the step in its scenario file (absent for setup tasks). */
  where?: string;
}

/** What a long step is doing now (a workload's ops/s and error counts), a few times a second at most. */
export interface StepProgress extends StepInfo {
  /** One line, plain text. */
  text: string;
}

export interface StepResult extends StepInfo {
  status: StepStatus;
  /** true for steps that check something (they become JUnit test cases). */
  verifies: boolean;
  started_at: string;
  duration_ms: number;
  /** Engine time outside cluster and driver calls. */
  overhead_ms: number;
  error?: StepError;
  output?: unknown;
  attempts?: number;
  /** The nodes `random` picked for this step, in the order they were picked. */
  picked?: string[];
  children?: StepResult[];
}

/** skipped: the driver lacks a capability the scenario needs (the reason says which); not a failure. */
export type Verdict = 'passed' | 'failed' | 'error' | 'interrupted' | 'inconclusive' | 'skipped';

/** A scenario of the run that never started (--bail after a failure, or an interrupt). */
export interface NotRun {
  file: string;
  name: string;
  reason: string;
}

export interface TestResult {
  info: TestInfo;
  verdict: Verdict;
  started_at: string;
  duration_ms: number;
  /** From launch until every node answered /health. */
  ready_ms: number | null;
  setup: StepResult[];
  steps: StepResult[];
  teardown: { duration_ms: number; problems: string[]; kept: boolean; notes?: string[] };
  error?: StepError;
  /** Why the scenario was skipped (verdict skipped). */
  skip_reason?: string;
  nodes: NodeInfo[];
  /** The scenario as resolved: anchors, picks, shard ids, node URLs. */
  resolved: Record<string, unknown>;
  history_count: number;
}

export interface RunResult {
  run: RunInfo;
  tests: TestResult[];
  /** Scenarios of `run.files` that never started, in run order. */
  not_run: NotRun[];
  exit_code: number;
  verdict: 'passed' | 'failed' | 'error' | 'interrupted' | 'cleanup_failed' | 'invalid';
  finished_at: string;
  duration_ms: number;
}

export interface Reporter {
  onBegin?(run: RunInfo): void | Promise<void>;
  onTestBegin?(test: TestInfo): void;
  onStepBegin?(test: TestInfo, step: StepInfo): void;
  onStepEnd?(test: TestInfo, step: StepResult): void;
  onStepProgress?(test: TestInfo, progress: StepProgress): void;
  onOperation?(entry: HistoryEntry): void;
  onTestEnd?(test: TestInfo, result: TestResult): void | Promise<void>;
  onEnd?(result: RunResult): void | Promise<void>;
  /** Free-form progress ("starting 3 nodes"). */
  onLog?(message: string): void;
}

/** Fans events out to several reporters. */
export class Reporters implements Required<Reporter> {
  constructor(private readonly list: Reporter[]) {}
  async onBegin(run: RunInfo) { for (const r of this.list) await r.onBegin?.(run); }
  onTestBegin(t: TestInfo) { for (const r of this.list) r.onTestBegin?.(t); }
  onStepBegin(t: TestInfo, s: StepInfo) { for (const r of this.list) r.onStepBegin?.(t, s); }
  onStepEnd(t: TestInfo, s: StepResult) { for (const r of this.list) r.onStepEnd?.(t, s); }
  onStepProgress(t: TestInfo, p: StepProgress) { for (const r of this.list) r.onStepProgress?.(t, p); }
  onOperation(e: HistoryEntry) { for (const r of this.list) r.onOperation?.(e); }
  async onTestEnd(t: TestInfo, res: TestResult) { for (const r of this.list) await r.onTestEnd?.(t, res); }
  async onEnd(res: RunResult) { for (const r of this.list) await r.onEnd?.(res); }
  onLog(m: string) { for (const r of this.list) r.onLog?.(m); }
}
