// --reporter github: GitHub Actions workflow commands, which the runner turns into
// annotations on the scenario file's line (in the job summary and the pull request's diff).
// ::error for each step that failed, errored or was inconclusive (the same steps that carry
// a JUnit failure), ::warning for scenarios skipped or never run, one ::notice summary.
//
// The runner reads workflow commands from stdout and stderr alike, so they go where the
// console output goes: stdout, or stderr under --json (stdout then carries the JSON only).

import type { NotRun, Reporter, RunResult, StepError, TestInfo, TestResult } from '../engine/events.js';
import { formatMs } from '../scenario/duration.js';
import { displayPath, flatten, stepLocation, type StepLocation } from './junit.js';

/** Escaping of a command's message (GitHub's toolkit: escapeData). */
export const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** Escaping of a property value: also the separators of the property list (escapeProperty). */
export const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

type Level = 'error' | 'warning' | 'notice';

export function workflowCommand(level: Level, message: string, props: { file?: string; line?: number; col?: number; title?: string }): string {
  const list = Object.entries(props).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${escapeProperty(String(v))}`);
  return `::${level}${list.length ? ` ${list.join(',')}` : ''}::${escapeData(message)}`;
}

/** A long diff would drown the annotation; the full one is in junit.xml and report.html. */
const MAX_DIFF_LINES = 40;

function messageOf(e: StepError | undefined, fallback: string): string {
  if (!e) return fallback;
  const diff = e.diff?.split('\n');
  const shown = diff && diff.length > MAX_DIFF_LINES ? [...diff.slice(0, MAX_DIFF_LINES), `... ${diff.length - MAX_DIFF_LINES} more diff lines in junit.xml and report.html`] : diff;
  return [e.message, ...(shown ?? []), e.tried ? `tried: ${e.tried}` : ''].filter(Boolean).join('\n');
}

const at = (l: StepLocation | undefined, file: string) => (l ? { file: l.file, line: l.line, col: l.col } : { file: displayPath(file) });

/** The workflow commands of one scenario's result. */
export function annotationsOf(t: TestResult): string[] {
  const file = t.info.file;
  const name = t.info.name;
  if (t.verdict === 'skipped') return [workflowCommand('warning', `skipped: ${t.skip_reason ?? 'unsupported'}`, { file: displayPath(file), title: `${name}: skipped` })];
  const out: string[] = [];
  for (const s of flatten(t.steps)) {
    if (s.children?.length || !(s.status === 'failed' || s.status === 'error' || s.status === 'inconclusive')) continue;
    out.push(workflowCommand('error', messageOf(s.error, s.status), { ...at(stepLocation(s.where ?? s.error?.where, file), file), title: `${name}: ${s.label}` }));
  }
  if (t.verdict !== 'passed' && out.length === 0) {
    // No step carries it (a setup task failed): the scenario file does.
    const first = flatten(t.setup).find((s) => s.error && !s.children?.length);
    out.push(workflowCommand('error', messageOf(first?.error ?? t.error, t.verdict), { ...at(stepLocation(first?.error?.where ?? t.error?.where, file), file), title: `${name}: ${first?.label ?? t.verdict}` }));
  }
  if (t.teardown.problems.length) {
    out.push(workflowCommand('error', `cleanup failed:\n${t.teardown.problems.join('\n')}`, { file: displayPath(file), title: `${name}: teardown` }));
  }
  return out;
}

const notRunAnnotation = (n: NotRun) => workflowCommand('warning', n.reason, { file: displayPath(n.file), title: `${n.name}: not run` });

export function summaryOf(r: RunResult): string {
  const counts = new Map<string, number>();
  for (const t of r.tests) counts.set(t.verdict, (counts.get(t.verdict) ?? 0) + 1);
  if (r.not_run.length) counts.set('not run', r.not_run.length);
  const parts = [...counts].map(([v, n]) => `${n} ${v}`);
  const shard = r.run.shard ? `, shard ${r.run.shard.index}/${r.run.shard.total}` : '';
  return workflowCommand('notice', `${parts.join(', ') || 'no scenario'} in ${formatMs(r.duration_ms)}, exit ${r.exit_code} (seed ${r.run.seed}${shard})${r.run.report_dir ? `; reports: ${r.run.report_dir}` : ''}`,
    { title: `phantom-test ${r.verdict}` });
}

export class GithubReporter implements Reporter {
  private readonly out: NodeJS.WritableStream;
  constructor(o: { stream?: NodeJS.WritableStream } = {}) { this.out = o.stream ?? process.stdout; }

  // Each scenario's annotations as soon as it ends: a cancelled job still shows them.
  onTestEnd(_t: TestInfo, r: TestResult) {
    for (const line of annotationsOf(r)) this.out.write(line + '\n');
  }

  onEnd(r: RunResult) {
    for (const n of r.not_run) this.out.write(notRunAnnotation(n) + '\n');
    this.out.write(summaryOf(r) + '\n');
  }
}
