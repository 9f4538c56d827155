// The scenario's `check:` list, run after its steps over its history: each checker is a
// step of its own (path check.<i>) in every report, failed when the checker finds a
// violation; unknown passes with the reason in its label (docs/history.md).

import { CHECKERS } from '../checkers/index.js';
import { checkHistory, type CheckResult } from '../checkers/checker.js';
import type { Reporters, StepResult, TestInfo } from './events.js';
import type { HistoryEntry } from './history.js';

/** The step a checker's verdict becomes. */
export function checkStep(path: string, r: CheckResult, startedAt: string, ms: number): StepResult {
  const mark = r.valid === true ? 'valid' : r.valid === false ? 'INVALID' : 'unknown';
  const { checker, valid, summary, failures, ...details } = r;
  const more = Number(details.failure_count ?? failures.length) - failures.length;
  return {
    path, kind: 'check', label: `check ${checker}: ${mark}: ${summary}`, depth: 0,
    status: valid === false ? 'failed' : 'passed', verifies: true, started_at: startedAt,
    duration_ms: Math.round(ms * 10) / 10, overhead_ms: Math.round(ms * 1000) / 1000,
    output: r,
    ...(valid === false ? {
      error: {
        type: 'verification' as const,
        message: `${checker}: ${failures[0] ?? summary}${failures.length > 1 || more > 0 ? ` (and ${failures.length - 1 + more} more)` : ''}`,
        ...(failures.length > 1 || more > 0 ? { diff: [...failures, ...(more > 0 ? [`... ${more} more`] : [])].join('\n') } : {}),
      },
    } : {}),
  };
}

/** Runs the named checkers over the history, one reported step each. */
export function runChecks(names: string[], history: readonly HistoryEntry[], info: TestInfo, events: Reporters): StepResult[] {
  const out: StepResult[] = [];
  names.forEach((name, i) => {
    const path = `check.${i}`;
    events.onStepBegin(info, { path, kind: 'check', label: `check ${name}`, depth: 0 });
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const [r] = checkHistory([CHECKERS[name]!], history);
    const step = checkStep(path, r!, startedAt, performance.now() - t0);
    events.onStepEnd(info, step);
    out.push(step);
  });
  return out;
}
