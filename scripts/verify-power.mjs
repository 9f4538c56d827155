#!/usr/bin/env node
// Does the bundled suite catch real bugs? Runs the scenarios against a clean cluster, then
// against a cluster started with each planted bug (`--bug NAME`, reference-server/src/bugs.ts),
// and prints a matrix: bug × scenario, caught (the scenario failed) / passed / error (it could
// not run to a verdict). Every bug must be caught by at least one scenario, with a pointed
// message, and the clean server must pass them all; otherwise this exits 1.
//
//   npm run verify-power                                  # every bug, scenarios/
//   node scripts/verify-power.mjs --bug quorum-ack-after-one --bug hints-lost-on-restart
//   node scripts/verify-power.mjs --jobs 1 scenarios/replication.yaml
//
// Each run is `phantom-test run <paths> --jobs 2 --json --server-arg=--bug=NAME` (never --bail:
// the matrix wants every cell). Needs a build (`npm run build`, which the npm script runs).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'run.js');
const { BUGS } = await import(join(ROOT, 'reference-server', 'dist', 'bugs.js'));

const { values, positionals } = parseArgs({
  options: {
    bug: { type: 'string', multiple: true },
    jobs: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
  },
  allowPositionals: true,
});
const bugs = values.bug ?? Object.keys(BUGS);
const unknown = bugs.filter((b) => !Object.hasOwn(BUGS, b));
if (unknown.length) {
  process.stderr.write(`unknown bug(s): ${unknown.join(', ')}; known: ${Object.keys(BUGS).join(', ')}\n`);
  process.exit(2);
}
const paths = positionals.length ? positionals : [join(ROOT, 'scenarios')];
const out = mkdtempSync(join(tmpdir(), 'phantom-verify-power-'));

// Ctrl-C: the run in progress tears its cluster down, then this exits.
let current;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    current?.kill('SIGINT');
    current?.once('close', () => process.exit(130));
    if (!current || current.exitCode !== null) process.exit(130);
  });
}

/** One `run` of the suite; resolves to its JSON summary. */
function runSuite(bug) {
  const args = [BIN, 'run', ...paths, '--jobs', values.jobs, '--seed', values.seed, '--json', '--reporter', 'json', '--out', out];
  if (bug) args.push(`--server-arg=--bug=${bug}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    current = child;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(stdout));
      } catch {
        resolve({ error: `run exited ${code} without a summary: ${(stderr || stdout).trim().split('\n').slice(-3).join(' | ')}` });
      }
    });
  });
}

/** failed → caught; passed → passed; anything else (error, skipped, interrupted) → error. */
const cell = (verdict) => (verdict === 'failed' ? 'caught' : verdict === 'passed' ? 'passed' : 'error');

const t0 = Date.now();
const rows = [];
for (const bug of [null, ...bugs]) {
  const t = Date.now();
  const summary = await runSuite(bug);
  const cells = new Map((summary.scenarios ?? []).map((s) => [basename(s.file).replace(/\.ya?ml$/, ''), { result: cell(s.verdict), error: s.error }]));
  rows.push({ bug, cells, error: summary.error?.message ?? summary.error, seconds: (Date.now() - t) / 1000 });
  const caught = [...cells.values()].filter((c) => c.result === 'caught').length;
  process.stderr.write(`${bug ?? '(clean)'}: ${caught} of ${cells.size} scenarios caught it (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
}
rmSync(out, { recursive: true, force: true });

// The matrix: one column per scenario, numbered, with a legend (names are long).
const scenarios = [...new Set(rows.flatMap((r) => [...r.cells.keys()]))].sort();
const mark = { caught: 'X', passed: '.', error: 'E' };
const width = Math.max(8, ...rows.map((r) => (r.bug ?? '(clean)').length));
const lines = ['', 'Scenarios:'];
scenarios.forEach((s, i) => lines.push(`  ${String(i + 1).padStart(2)} ${s}`));
lines.push('', `${''.padEnd(width)}  ${scenarios.map((_, i) => String(i + 1).padStart(2)).join(' ')}   caught`);
for (const r of rows) {
  const marks = scenarios.map((s) => ` ${r.cells.has(s) ? mark[r.cells.get(s).result] : '-'}`).join(' ');
  const caught = [...r.cells.values()].filter((c) => c.result === 'caught').length;
  lines.push(`${(r.bug ?? '(clean)').padEnd(width)}  ${marks}   ${r.bug ? caught : '-'}`);
}
lines.push('', 'X caught (the scenario failed), . passed, E error (no verdict), - not run', '');

// The verdict: the clean server passes everything, every bug is caught somewhere.
const problems = [];
const clean = rows[0];
if (clean.error) problems.push(`clean run: ${clean.error}`);
for (const [s, c] of clean.cells) if (c.result !== 'passed') problems.push(`clean server: ${s} ${c.result === 'caught' ? 'failed' : 'errored'}: ${c.error ?? ''}`);
lines.push('Summary:');
for (const r of rows.slice(1)) {
  const hit = [...r.cells].find(([, c]) => c.result === 'caught');
  if (hit) lines.push(`  caught  ${r.bug.padEnd(width)} by ${hit[0]}: ${(hit[1].error ?? '').split('\n')[0].slice(0, 160)}`);
  else {
    lines.push(`  MISSED  ${r.bug.padEnd(width)} ${r.error ?? 'no scenario failed'}`);
    problems.push(`${r.bug}: caught by no scenario`);
  }
}
lines.push(`  clean server: ${clean.cells.size && [...clean.cells.values()].every((c) => c.result === 'passed') ? `passed all ${clean.cells.size} scenarios` : 'DID NOT pass them all'}`);
lines.push('', `${bugs.length} bug(s) × ${scenarios.length} scenario(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s (--jobs ${values.jobs})`);
for (const p of problems) lines.push(`FAIL: ${p}`);
process.stdout.write(lines.join('\n') + '\n');
process.exit(problems.length ? 1 : 0);
