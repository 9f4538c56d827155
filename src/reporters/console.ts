// Console output: live progress on a TTY (the running step on one line, replaced
// by its result), plain lines when not a TTY or when CI is set. A failure shows
// the step, where it is, what was expected and a diff.

import { Chalk, type ChalkInstance } from 'chalk';
import type { Reporter, RunInfo, RunResult, StepInfo, StepProgress, StepResult, TestInfo, TestResult } from '../engine/events.js';
import { formatMs } from '../scenario/duration.js';
import { colorLevel } from '../util/color.js';
import { showValue } from '../verifiers/values.js';
import { replayCommand, summarizeRepetitions } from '../engine/repetitions.js';

export interface ConsoleOptions {
  stream?: NodeJS.WriteStream;
  /** Live line rewriting; default: stream is a TTY, CI is not set and TERM is not dumb (no cursor control there). */
  live?: boolean;
  /** Without live output (CI, a pipe): at most one progress line per step this often (default 5 s). */
  progressEveryMs?: number;
}

export class ConsoleReporter implements Reporter {
  private readonly out: NodeJS.WriteStream;
  private readonly live: boolean;
  private readonly c: ChalkInstance;
  private pending: string | null = null;
  /** Parallel steps running now: their branches' lines wait, to print in declared order. */
  private openParallels = 0;
  /** When each step last printed a progress line (plain output only). */
  private readonly lastProgress = new Map<string, number>();
  private readonly progressEveryMs: number;
  private driver = 'process';

  constructor(o: ConsoleOptions = {}) {
    this.out = o.stream ?? process.stdout;
    this.live = o.live ?? (Boolean(this.out.isTTY) && !process.env.CI && process.env.TERM !== 'dumb');
    this.c = new Chalk({ level: colorLevel(process.env, this.out) });
    this.progressEveryMs = o.progressEveryMs ?? 5000;
  }

  private write(line: string) {
    if (this.pending !== null) { this.out.write('\r\x1b[2K'); this.pending = null; }
    this.out.write(line + '\n');
  }

  onBegin(run: RunInfo) {
    this.driver = run.driver;
    this.write(this.c.bold(`phantom-test run ${run.run_id}`) + this.c.dim(`  seed ${run.seed}, driver ${run.driver}, ${run.files.length} scenario file(s)`));
  }

  onTestBegin(t: TestInfo) {
    this.write('');
    this.write(`${this.c.bold(t.name)} ${this.c.dim(`${t.file}  (seed ${t.seed})`)}`);
  }

  onLog(m: string) {
    this.write(this.c.dim(m));
  }

  onStepBegin(_t: TestInfo, s: StepInfo) {
    if (s.kind === 'parallel') this.openParallels++;
    if (!this.live) return;
    if (this.pending !== null) this.out.write('\r\x1b[2K');
    const pad = '  '.repeat(s.depth + 1);
    // Cut the plain text to the terminal width, so the line never wraps and \r can replace it.
    const text = s.label.slice(0, Math.max(10, (this.out.columns || 120) - pad.length - 3));
    this.pending = `${pad}${this.c.cyan('…')} ${text}`;
    this.out.write(this.pending);
  }

  /** Live: the step's line shows what it is doing now. Plain: a line every few seconds. */
  onStepProgress(_t: TestInfo, p: StepProgress) {
    const pad = '  '.repeat(p.depth + 1);
    if (this.live) {
      if (this.pending !== null) this.out.write('\r\x1b[2K');
      const text = `${p.label}: ${p.text}`.slice(0, Math.max(10, (this.out.columns || 120) - pad.length - 3));
      this.pending = `${pad}${this.c.cyan('…')} ${text}`;
      this.out.write(this.pending);
      return;
    }
    const now = performance.now();
    const last = this.lastProgress.get(p.path);
    if (last !== undefined && now - last < this.progressEveryMs) return;
    this.lastProgress.set(p.path, now);
    this.write(`${pad}${this.c.dim(`${p.path} ${p.label}: ${p.text}`)}`);
  }

  onStepEnd(_t: TestInfo, s: StepResult) {
    if (s.kind === 'parallel') this.openParallels--;
    // Branch steps end in whatever order they finish; the parallel step prints them in
    // the order the scenario declares, right after its own line.
    if (this.openParallels > 0) return;
    this.showStep(s);
  }

  private showStep(s: StepResult) {
    const pad = '  '.repeat(s.depth + 1);
    const mark = s.status === 'passed' ? this.c.green('✓') : s.status === 'skipped' ? this.c.dim('-') : s.status === 'inconclusive' ? this.c.yellow('?') : this.c.red('✗');
    const time = this.c.dim(` (${formatMs(s.duration_ms)}${s.attempts && s.attempts > 1 ? `, ${s.attempts} attempts` : ''})`);
    const picked = s.picked?.length ? this.c.dim(` → ${showPicks(s.picked)}`) : '';
    const label = s.status === 'skipped' ? this.c.dim(`${s.label} (skipped)`) : s.label + picked;
    this.write(`${pad}${mark} ${this.c.dim(s.path.startsWith('setup') ? '' : `${s.path} `)}${label}${s.status === 'skipped' ? '' : time}`);
    if (s.error && !s.children?.some((c) => c.error)) this.showError(s, pad + '    ');
    if (s.kind === 'parallel') for (const c of s.children ?? []) this.showStep(c);
  }

  private showError(s: StepResult, pad: string) {
    const e = s.error!;
    const lines = [this.c.red(e.message)];
    if (e.where) lines.push(this.c.dim(`at ${e.where}`));
    if (e.diff) lines.push(...e.diff.split('\n').map((l) => (l.startsWith('+') ? this.c.green(l) : l.startsWith('-') ? this.c.red(l) : l)));
    else if (e.expected !== undefined && e.type === 'verification') {
      lines.push(`expected: ${short(e.expected)}`, `actual:   ${short(e.actual)}`);
    }
    if (e.tried) lines.push(this.c.dim(`tried: ${e.tried}`));
    if (e.log_tail) lines.push(this.c.dim('last log lines:'), ...e.log_tail.split('\n').map((l) => this.c.dim(`  ${l}`)));
    for (const l of lines) this.write(pad + l);
  }

  onTestEnd(_t: TestInfo, r: TestResult) {
    const n = countSteps(r.steps);
    const ready = r.ready_ms !== null ? `, cluster ready in ${formatMs(r.ready_ms)}` : '';
    const verdict = r.verdict === 'passed' ? this.c.green('passed') : r.verdict === 'interrupted' || r.verdict === 'inconclusive' ? this.c.yellow(r.verdict) : r.verdict === 'skipped' ? this.c.dim('skipped') : this.c.red(r.verdict);
    if (r.verdict === 'skipped') { this.write(`  ${verdict} ${this.c.dim(r.skip_reason ?? '')}`); return; }
    this.write(`  ${verdict} ${this.c.dim(`${n.passed}/${n.total} steps in ${formatMs(r.duration_ms)}${ready}`)}`);
    if (r.verdict !== 'passed' && r.error && !hasStepError(r)) {
      this.write(`    ${this.c.red(r.error.message)}`);
    }
    if (r.verdict !== 'passed' && r.info.run_seed !== undefined) this.write(`  replay: ${replayCommand(r.info.file, r.info.run_seed, this.driver)}`);
    if (r.teardown.kept) this.write(this.c.yellow(`  cluster left running (--keep): ${r.nodes.map((x) => `${x.id}=${x.url}`).join(' ')}; remove it with \`phantom-test clean --all\``));
    for (const note of r.teardown.notes ?? []) this.write(this.c.yellow(`  kept cluster: ${note}`));
    for (const p of r.teardown.problems) this.write(this.c.red(`  cleanup: ${p}`));
  }

  onEnd(r: RunResult) {
    const counts = { passed: 0, failed: 0, error: 0, interrupted: 0, inconclusive: 0, skipped: 0 };
    for (const t of r.tests) counts[t.verdict]++;
    this.write('');
    const parts = [`${counts.passed} passed`, `${counts.failed} failed`];
    if (counts.inconclusive) parts.push(`${counts.inconclusive} inconclusive`);
    if (counts.skipped) parts.push(`${counts.skipped} skipped`);
    if (counts.error) parts.push(`${counts.error} errored`);
    if (counts.interrupted) parts.push(`${counts.interrupted} interrupted`);
    if (r.run.seeds) this.showRepetitions(r);
    this.write(`${this.c.bold(parts.join(', '))} ${this.c.dim(`in ${formatMs(r.duration_ms)}, exit ${r.exit_code}`)}`);
    if (r.run.report_dir) this.write(this.c.dim(`reports: ${r.run.report_dir}`));
  }

  /** --repeat/--seeds: each scenario's failure rate, and how to replay each failing seed. */
  private showRepetitions(r: RunResult) {
    this.write(this.c.bold(`repetitions (${r.run.seeds!.length} seed(s) each):`));
    for (const s of summarizeRepetitions(r.tests, r.run.driver)) {
      const rate = `${s.failed}/${s.runs} failed (${Math.round(s.failure_rate * 100)}%)`;
      this.write(`  ${s.failed ? this.c.red(rate) : this.c.green(rate)} ${s.name} ${this.c.dim(s.file)}`);
      if (s.failed) this.write(`    failing seeds: ${s.failed_seeds.join(', ')}`);
      for (const cmd of s.replay) this.write(`    replay: ${cmd}`);
    }
  }
}

function hasStepError(r: TestResult): boolean {
  return [...r.setup, ...r.steps].some((s) => s.error);
}

function countSteps(steps: StepResult[]) {
  return { total: steps.length, passed: steps.filter((s) => s.status === 'passed').length };
}

/** Random picks, short: an await may pick once per attempt. */
function showPicks(picked: string[]): string {
  if (picked.length <= 4) return picked.join(', ');
  const counts = new Map<string, number>();
  for (const id of picked) counts.set(id, (counts.get(id) ?? 0) + 1);
  return [...counts].map(([id, n]) => `${id} ×${n}`).join(', ');
}

function short(v: unknown): string {
  const s = showValue(v);
  return v === undefined ? 'undefined' : s.length > 400 ? `${s.slice(0, 400)}...` : s;
}
