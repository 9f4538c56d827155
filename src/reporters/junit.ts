// junit.xml, valid against the JUnit schema of Jenkins' xunit plugin (junit-10.xsd):
// one <testsuite> per scenario file, with a `file` attribute; in it one testcase for the
// scenario as a whole, one per checking step, per failed step and per step that never
// ran, and one for teardown problems. A failure is counted once: on the step that
// failed, or on the scenario case when no step case carries it (a setup failure).
//
// How readers use it: Jenkins (junit and xunit plugins) splits `classname` at its last
// dot into package and class, so the classname is the file path with dots
// (scenarios/replication.yaml -> scenarios.replication). GitHub Actions reporters
// (mikepenz/action-junit-report) take the file from the testcase, failure or testsuite
// `file` attribute; the schema allows it only on <testsuite>, and no `line` attribute
// anywhere, so the step's position goes into the failure text as " at file:line:col",
// the pattern they search for a line number (the last match wins, so it is the last line).

import { writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { NotRun, Reporter, RunResult, StepError, StepResult, TestResult } from '../engine/events.js';

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
  // XML 1.0 forbids most control characters, even escaped.
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
/** Seconds, the unit of every JUnit `time`. */
const secs = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

/** A scenario file as CI shows it: relative to the working directory when inside it. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = isAbsolute(file) ? relative(cwd, file) : file;
  return (rel.startsWith('..') || isAbsolute(rel) ? file : rel).split(sep).join('/');
}

/** scenarios/replication.yaml -> scenarios.replication (Jenkins: package scenarios, class replication). */
export function classnameOf(file: string): string {
  return displayPath(file).replace(/\.ya?ml$/, '').replace(/^\.\//, '').replace(/\//g, '.');
}

export interface StepLocation { file: string; line: number; col: number }

/** Where a step is (from its `where`, file:line:col) with the file as `displayPath` shows it. */
export function stepLocation(where: string | undefined, file: string): StepLocation | undefined {
  const m = where && /:(\d+):(\d+)$/.exec(where);
  return m ? { file: displayPath(file), line: Number(m[1]), col: Number(m[2]) } : undefined;
}

/** The step's file:line:col with the file as `displayPath` shows it. */
function position(where: string | undefined, file: string): string | undefined {
  const l = stepLocation(where, file);
  return l ? `${l.file}:${l.line}:${l.col}` : undefined;
}

interface Problem { kind: 'failure' | 'error' | 'skipped'; message: string; type?: string; body: string }
interface Case { name: string; ms: number; problem?: Problem; at?: string }

/** Every step, parallel branches' steps after their parallel step. */
export function flatten(steps: StepResult[]): StepResult[] {
  return steps.flatMap((s) => [s, ...flatten(s.children ?? [])]);
}

function problemOf(kind: 'failure' | 'error', e: StepError | undefined, fallback: string, at: string | undefined): Problem {
  const body = [e?.message ?? fallback, e?.diff ?? '', e?.tried ? `tried: ${e.tried}` : '', e?.log_tail ? `last log lines:\n${e.log_tail}` : '', at ? ` at ${at}` : '']
    .filter(Boolean).join('\n');
  return { kind, message: e?.message ?? fallback, type: e?.type ?? fallback, body };
}

function casesOf(t: TestResult): Case[] {
  const file = t.info.file;
  const stepCases: Case[] = [];
  // A scenario the driver cannot run is one skipped case with the reason, like one never run.
  if (t.verdict === 'skipped') return [{ name: `scenario: ${t.info.name}`, ms: t.duration_ms, problem: { kind: 'skipped', message: `skipped: ${t.skip_reason ?? 'unsupported'}`, body: '' } }];
  for (const s of flatten(t.steps)) {
    const leaf = !s.children?.length;
    const at = position(s.where ?? s.error?.where, file);
    // The name stays stable when the file is edited: CI tracks a test's history by name.
    // Repetitions and matrix combinations of one file share a testsuite: their tag keeps names apart.
    const name = `step ${s.path}: ${s.label}${t.info.variant ?? ''}`;
    if (s.status === 'skipped') {
      const why = t.verdict === 'interrupted' ? 'not run: the run was interrupted' : 'not run: an earlier step did not pass';
      stepCases.push({ name, ms: 0, at, problem: { kind: 'skipped', message: why, body: '' } });
    } else if (leaf && (s.status === 'failed' || s.status === 'error' || s.status === 'inconclusive')) {
      // inconclusive is a failure whose type says so: the fault was not confirmed.
      stepCases.push({ name, ms: s.duration_ms, at, problem: problemOf(s.status === 'error' ? 'error' : 'failure', s.error, s.status, at) });
    } else if (s.verifies) {
      stepCases.push({ name, ms: s.duration_ms, at });
    }
  }
  const scenario: Case = { name: `scenario: ${t.info.name}`, ms: t.duration_ms };
  const counted = stepCases.some((c) => c.problem && c.problem.kind !== 'skipped');
  if (t.verdict !== 'passed' && !counted) {
    // Nothing below carries it (a setup task failed): the scenario case does.
    const first = flatten(t.setup).find((s) => s.error && !s.children?.length);
    scenario.problem = problemOf(t.verdict === 'failed' || t.verdict === 'inconclusive' ? 'failure' : 'error', first?.error ?? t.error, t.verdict, position(first?.error?.where, file));
  }
  const cases = [scenario, ...stepCases];
  if (t.teardown.problems.length) {
    cases.push({ name: `teardown${t.info.variant ?? ''}`, ms: t.teardown.duration_ms, problem: { kind: 'error', message: 'cleanup failed', type: 'cleanup', body: t.teardown.problems.join('\n') } });
  }
  return cases;
}

const notRunCase = (n: NotRun): Case => ({ name: `scenario: ${n.name}`, ms: 0, problem: { kind: 'skipped', message: n.reason, body: '' } });

function caseXml(c: Case, classname: string): string {
  const open = `    <testcase classname="${esc(classname)}" name="${esc(c.name)}" time="${secs(c.ms)}"`;
  const p = c.problem;
  const inner: string[] = [];
  if (p) {
    const attrs = `message="${esc(p.message)}"${p.type ? ` type="${esc(p.type)}"` : ''}`;
    inner.push(p.body ? `<${p.kind} ${attrs}>${esc(p.body)}</${p.kind}>` : `<${p.kind} ${attrs}/>`);
  }
  // Every step's line, also for steps that passed or never ran (no attribute may carry it).
  if (c.at) inner.push(`<system-out>step at ${esc(c.at)}</system-out>`);
  if (!inner.length) return `${open}/>`;
  return `${open}>\n${inner.map((l) => `      ${l}\n`).join('')}    </testcase>`;
}

export function junitXml(r: RunResult): string {
  // Files in run order; a file may hold scenarios that ran and (after --bail) some that did not.
  const byFile = new Map<string, { tests: TestResult[]; notRun: NotRun[] }>();
  const entry = (f: string) => byFile.get(f) ?? byFile.set(f, { tests: [], notRun: [] }).get(f)!;
  for (const t of r.tests) entry(t.info.file).tests.push(t);
  for (const n of r.not_run ?? []) entry(n.file).notRun.push(n);

  const suites: string[] = [];
  let total = 0; let failures = 0; let errors = 0;
  for (const [file, { tests, notRun }] of byFile) {
    const cases = [...tests.flatMap(casesOf), ...notRun.map(notRunCase)];
    const count = (k: Problem['kind']) => cases.filter((c) => c.problem?.kind === k).length;
    const f = count('failure'); const e = count('error');
    total += cases.length; failures += f; errors += e;
    const ms = tests.reduce((a, t) => a + t.duration_ms, 0);
    const classname = classnameOf(file);
    const timestamp = (tests[0]?.started_at ?? r.run.started_at).replace(/\.\d+Z$/, '');
    const seed = tests[0] ? `\n      <property name="seed" value="${tests[0].info.seed}"/>` : '';
    suites.push(
      `  <testsuite name="${esc(displayPath(file))}" file="${esc(displayPath(file))}" tests="${cases.length}" failures="${f}" errors="${e}" skipped="${count('skipped')}" time="${secs(ms)}" timestamp="${timestamp}">\n` +
      `    <properties>\n      <property name="run_id" value="${esc(r.run.run_id)}"/>\n      <property name="run_seed" value="${r.run.seed}"/>${seed}\n    </properties>\n` +
      `${cases.map((c) => caseXml(c, classname)).join('\n')}\n  </testsuite>`,
    );
  }
  // No `skipped` on <testsuites>: the schema does not allow it (each testsuite has its own).
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="phantom-test" tests="${total}" failures="${failures}" errors="${errors}" time="${secs(r.duration_ms)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

export class JunitReporter implements Reporter {
  constructor(private readonly dir: string) {}
  async onEnd(r: RunResult) {
    await writeFile(join(this.dir, 'junit.xml'), junitXml(r));
  }
}
