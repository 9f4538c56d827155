#!/usr/bin/env node
// Runner benchmark: seed 000 scenario 1 (scenarios/sharded-write-and-query.yaml)
// end to end on the process driver with 3 nodes, boot and teardown included.
// Prints the wall time, the time until every node answered /health, and the
// engine's own time per step (wall time of a step minus its time on the cluster).
// Targets (issue 3): wall < 3 s, cluster ready < 1.5 s, overhead < 2 ms per step.
//
//   node bench/runner.mjs [--runs N]     (needs `npm run build` first)

import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIO = join(root, 'scenarios', 'sharded-write-and-query.yaml');

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const leaves = (steps) => steps.flatMap((s) => (s.children?.length ? leaves(s.children) : [s]));

/** Runs the benchmark `runs` times; returns the median figures and every run's. */
export async function run({ runs = 3, seed = 1 } = {}) {
  const { loadScenarios } = await import(join(root, 'dist', 'scenario', 'loader.js'));
  const { runScenarios } = await import(join(root, 'dist', 'engine', 'run.js'));
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const { scenarios, diagnostics } = await loadScenarios([SCENARIO]);
    if (diagnostics.length) throw new Error(`invalid scenario: ${JSON.stringify(diagnostics)}`);
    const result = await runScenarios(scenarios, { seed, driver: 'process', out: null, reporters: [], keep: false, bail: false, argv: [], signal: new AbortController().signal });
    const wall = performance.now() - t0;
    const test = result.tests[0];
    if (test.verdict !== 'passed') throw new Error(`scenario did not pass: ${test.error?.message}`);
    const steps = leaves(test.steps);
    const overhead = steps.map((s) => s.overhead_ms);
    samples.push({
      wall_ms: wall,
      ready_ms: test.ready_ms,
      teardown_ms: test.teardown.duration_ms,
      steps: steps.length,
      overhead_mean_ms: overhead.reduce((a, b) => a + b, 0) / overhead.length,
      overhead_max_ms: Math.max(...overhead),
    });
  }
  const pick = (k) => median(samples.map((s) => s[k]));
  return {
    scenario: 'scenarios/sharded-write-and-query.yaml (seed 000 scenario 1), 3 nodes, process driver',
    runs,
    wall_ms: pick('wall_ms'),
    ready_ms: pick('ready_ms'),
    teardown_ms: pick('teardown_ms'),
    steps: samples[0].steps,
    overhead_mean_ms: pick('overhead_mean_ms'),
    overhead_max_ms: pick('overhead_max_ms'),
    samples,
  };
}

/** Prints the figures with their ratio to each target. */
export function report(r) {
  const f = (n) => `${n.toFixed(n < 10 ? 2 : 0)} ms`;
  const ratio = (v, goal) => `(goal < ${goal} ms: ratio ${(v / goal).toFixed(2)})`;
  console.log(`runner benchmark: ${r.scenario}; median of ${r.runs} runs`);
  console.log(`  end to end (boot + steps + teardown): ${f(r.wall_ms)} ${ratio(r.wall_ms, 3000)}`);
  console.log(`  cluster ready:                        ${f(r.ready_ms)} ${ratio(r.ready_ms, 1500)}`);
  console.log(`  teardown:                             ${f(r.teardown_ms)}`);
  console.log(`  engine overhead per step (${r.steps} steps): mean ${f(r.overhead_mean_ms)}, max ${f(r.overhead_max_ms)} ${ratio(r.overhead_mean_ms, 2)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--runs');
  report(await run({ runs: i > 0 ? Number(process.argv[i + 1]) : 3 }));
}
