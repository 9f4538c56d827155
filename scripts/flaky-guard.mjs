#!/usr/bin/env node
// The flakiness guard: runs the bundled scenarios again and again, each time with a new
// seed, while a busy loop keeps one core loaded, and fails on any run that does not pass.
// A scenario that passes on a healthy cluster must pass every time, also on a loaded
// machine; every failure this finds is a bug to fix, never a run to retry.
//
//   npm run test:flaky                      # 10 runs of scenarios/ (what CI runs)
//   node scripts/flaky-guard.mjs --runs 20 --seed 100 scenarios/replication.yaml
//
// Prints each run's wall time; for a failure, the scenario, the failing step with its
// file:line:col, the message and the seed, and the command that replays it.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'run.js');

const { values, positionals } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    'no-hog': { type: 'boolean', default: false },
    'max-minutes': { type: 'string', default: '15' },
  },
  allowPositionals: true,
});
const runs = Number(values.runs);
const firstSeed = Number(values.seed);
const paths = positionals.length ? positionals : [join(ROOT, 'scenarios')];
const maxMs = Number(values['max-minutes']) * 60_000;
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(firstSeed) || firstSeed < 0 || !(maxMs > 0)) {
  process.stderr.write('usage: flaky-guard [--runs N] [--seed S] [--no-hog] [--max-minutes M] [paths...]\n');
  process.exit(2);
}

const out = mkdtempSync(join(tmpdir(), 'phantom-flaky-guard-'));
// The hog spins for at most the guard's own time budget, so even a guard killed with
// SIGKILL leaves no busy loop behind for long.
const hog = values['no-hog'] ? undefined : spawn(process.execPath, ['-e', `const end = Date.now() + ${maxMs}; while (Date.now() < end) {}`], { stdio: 'ignore' });
const stopHog = () => { try { hog?.kill('SIGKILL'); } catch { /* gone */ } };
process.on('exit', stopHog);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopHog(); rmSync(out, { recursive: true, force: true }); process.exit(130); });

function runOnce(seed) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, 'run', ...paths, '--seed', String(seed), '--out', out, '--reporter', 'json', '--json'], {
      cwd: ROOT, env: { ...process.env, CI: '1', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, ms: performance.now() - t0, stdout, stderr }));
  });
}

/** The failing steps of a run, from its journal: scenario, step path and label, where, message. */
function failures(reportDir) {
  const journal = JSON.parse(readFileSync(join(reportDir, 'journal.json'), 'utf8'));
  const found = [];
  const walk = (scenario, steps) => {
    for (const s of steps) {
      if (s.children?.length) walk(scenario, s.children);
      else if (s.status === 'failed' || s.status === 'error') found.push({ scenario, step: s });
    }
  };
  for (const sc of journal.scenarios) {
    if (sc.verdict === 'passed') continue;
    const before = found.length;
    walk(sc, [...sc.setup, ...sc.steps]);
    if (found.length === before) found.push({ scenario: sc, step: undefined });
  }
  return found;
}

const started = performance.now();
let failed = 0;
let passed = 0;
const times = [];
process.stdout.write(`flaky-guard: ${runs} run(s) of ${paths.join(' ')}${hog ? ', one core kept busy' : ''}, seeds ${firstSeed}..${firstSeed + runs - 1}\n`);
for (let i = 0; i < runs; i++) {
  if (performance.now() - started > maxMs) {
    process.stdout.write(`flaky-guard: stopped after ${i} run(s): over the ${values['max-minutes']} min budget\n`);
    failed++;
    break;
  }
  const seed = firstSeed + i;
  const r = await runOnce(seed);
  times.push(r.ms);
  let summary;
  try { summary = JSON.parse(r.stdout); } catch { summary = undefined; }
  const ok = r.code === 0;
  process.stdout.write(`run ${i + 1}/${runs}  seed ${seed}  ${(r.ms / 1000).toFixed(1)} s  ${ok ? 'passed' : `FAILED (exit ${r.code})`}\n`);
  if (ok) { passed++; continue; }
  failed++;
  if (!summary?.report_dir) {
    process.stdout.write(`  no run summary; stderr:\n${r.stderr.split('\n').slice(-30).map((l) => `    ${l}`).join('\n')}\n`);
    continue;
  }
  for (const { scenario, step } of failures(summary.report_dir)) {
    process.stdout.write(`  ${scenario.file}: ${scenario.name} (${scenario.verdict}, scenario seed ${scenario.seed})\n`);
    if (step) {
      process.stdout.write(`    step ${step.path} ${step.label}: ${step.error?.message ?? step.status}\n`);
      if (step.error?.where) process.stdout.write(`    at ${step.error.where}\n`);
      if (step.error?.diff) process.stdout.write(step.error.diff.split('\n').slice(0, 20).map((l) => `      ${l}`).join('\n') + '\n');
      if (step.error?.log_tail) process.stdout.write(step.error.log_tail.split('\n').map((l) => `      ${l}`).join('\n') + '\n');
    } else if (scenario.error) {
      process.stdout.write(`    ${scenario.error.message}\n`);
    }
    process.stdout.write(`    replay: phantom-test run ${scenario.file} --seed ${seed}\n`);
  }
  process.stdout.write(`  reports kept in ${summary.report_dir}\n`);
}
stopHog();
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
process.stdout.write(`flaky-guard: ${passed} of ${runs} run(s) passed; wall time median ${(median / 1000).toFixed(1)} s, max ${((sorted.at(-1) ?? 0) / 1000).toFixed(1)} s, total ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
if (failed === 0) rmSync(out, { recursive: true, force: true });
process.exit(failed === 0 ? 0 : 1);
