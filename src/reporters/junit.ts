// junit.xml: one testsuite per scenario file, one testcase for the scenario and
// one per checking step (and per failed step), failures with message and diff.
// The shape Jenkins and GitHub Actions test-report actions read.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reporter, RunResult, StepResult, TestResult } from '../engine/events.js';

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
  // XML 1.0 forbids most control characters, even escaped.
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
const secs = (ms: number) => (ms / 1000).toFixed(3);

interface Case { name: string; classname: string; ms: number; failure?: { message: string; type: string; body: string }; error?: { message: string; type: string; body: string }; skipped?: boolean }

function flatten(steps: StepResult[]): StepResult[] {
  return steps.flatMap((s) => [s, ...flatten(s.children ?? [])]);
}

function failureBody(s: StepResult): string {
  const e = s.error!;
  return [e.message, e.where ? `at ${e.where}` : '', e.diff ?? '', e.tried ? `tried: ${e.tried}` : '', e.log_tail ? `last log lines:\n${e.log_tail}` : '']
    .filter(Boolean).join('\n');
}

function casesOf(t: TestResult): Case[] {
  const classname = t.info.name;
  const cases: Case[] = [];
  const first = [...flatten(t.setup), ...flatten(t.steps)].find((s) => s.error && !s.children?.some((c) => c.error));
  const scenarioCase: Case = { name: `scenario: ${t.info.name}`, classname, ms: t.duration_ms };
  if (t.verdict === 'failed') scenarioCase.failure = { message: t.error?.message ?? 'failed', type: t.error?.type ?? 'verification', body: first ? failureBody(first) : t.error?.message ?? '' };
  else if (t.verdict !== 'passed') scenarioCase.error = { message: t.error?.message ?? t.verdict, type: t.error?.type ?? t.verdict, body: first ? failureBody(first) : t.error?.message ?? '' };
  cases.push(scenarioCase);
  for (const s of flatten(t.steps)) {
    if (!s.verifies && !(s.error && !s.children?.length)) continue;
    const c: Case = { name: `step ${s.path}: ${s.label}`, classname, ms: s.duration_ms };
    if (s.status === 'skipped') c.skipped = true;
    else if (s.status === 'failed' && !s.children?.length) c.failure = { message: s.error?.message ?? 'failed', type: s.error?.type ?? 'verification', body: failureBody(s) };
    else if (s.status === 'error' && !s.children?.length) c.error = { message: s.error?.message ?? 'error', type: s.error?.type ?? 'error', body: failureBody(s) };
    cases.push(c);
  }
  if (t.teardown.problems.length) {
    cases.push({ name: 'teardown', classname, ms: t.teardown.duration_ms, error: { message: 'cleanup failed', type: 'cleanup', body: t.teardown.problems.join('\n') } });
  }
  return cases;
}

export function junitXml(r: RunResult): string {
  const byFile = new Map<string, TestResult[]>();
  for (const t of r.tests) byFile.set(t.info.file, [...(byFile.get(t.info.file) ?? []), t]);
  const suites: string[] = [];
  let total = 0; let failures = 0; let errors = 0; let skipped = 0;
  for (const [file, tests] of byFile) {
    const cases = tests.flatMap(casesOf);
    const f = cases.filter((c) => c.failure).length;
    const e = cases.filter((c) => c.error).length;
    const s = cases.filter((c) => c.skipped).length;
    total += cases.length; failures += f; errors += e; skipped += s;
    const ms = tests.reduce((a, t) => a + t.duration_ms, 0);
    const body = cases.map((c) => {
      const open = `    <testcase classname="${esc(c.classname)}" name="${esc(c.name)}" time="${secs(c.ms)}"`;
      if (c.skipped) return `${open}>\n      <skipped/>\n    </testcase>`;
      const bad = c.failure ? ['failure', c.failure] as const : c.error ? ['error', c.error] as const : undefined;
      if (!bad) return `${open}/>`;
      return `${open}>\n      <${bad[0]} message="${esc(bad[1].message)}" type="${esc(bad[1].type)}">${esc(bad[1].body)}</${bad[0]}>\n    </testcase>`;
    }).join('\n');
    suites.push(
      `  <testsuite name="${esc(file)}" tests="${cases.length}" failures="${f}" errors="${e}" skipped="${s}" time="${secs(ms)}" timestamp="${tests[0]!.started_at.replace(/\.\d+Z$/, '')}">\n` +
      `    <properties>\n      <property name="seed" value="${tests[0]!.info.seed}"/>\n      <property name="run_id" value="${esc(r.run.run_id)}"/>\n    </properties>\n` +
      `${body}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="phantom-test" tests="${total}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${secs(r.duration_ms)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

export class JunitReporter implements Reporter {
  constructor(private readonly dir: string) {}
  async onEnd(r: RunResult) {
    await writeFile(join(this.dir, 'junit.xml'), junitXml(r));
  }
}
