#!/usr/bin/env node
// Suites that grow (issue 11 part 5), end to end on the process driver:
// 1. the bundled suite (scenarios/) with --jobs 2 and with --jobs 1, in the same
//    benchmark run: both wall times and their ratio;
// 2. N small scenarios with cluster.reuse against the same scenarios without it
//    (--jobs 1): both wall times, their ratio, and the clusters each started.
// No target to meet: figures to read. On a shared or loaded machine they are noisy.
//
//   node bench/suites.mjs [--small N]     (needs `npm run build` first)

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function engine() {
  const { loadScenarios } = await import(join(root, 'dist', 'scenario', 'loader.js'));
  const { runScenarios } = await import(join(root, 'dist', 'engine', 'run.js'));
  return { loadScenarios, runScenarios };
}

/** One run of `paths`; wall time, verdicts and how many clusters started. */
async function timedRun(paths, jobs, seed) {
  const { loadScenarios, runScenarios } = await engine();
  const { scenarios, diagnostics } = await loadScenarios(paths);
  if (diagnostics.length) throw new Error(`invalid scenario: ${JSON.stringify(diagnostics[0])}`);
  let starts = 0;
  const counter = { onOperation: (e) => { if (e.f === 'start_cluster' && e.type === 'invoke') starts++; } };
  const t0 = performance.now();
  const result = await runScenarios(scenarios, {
    seed, driver: 'process', out: null, reporters: [], keep: false, bail: false, jobs, argv: [],
    signal: new AbortController().signal, extraReporters: [counter],
  });
  const wall_ms = performance.now() - t0;
  const verdicts = {};
  for (const t of result.tests) verdicts[t.verdict] = (verdicts[t.verdict] ?? 0) + 1;
  if (verdicts.failed || verdicts.error || verdicts.inconclusive) {
    throw new Error(`a scenario did not pass with --jobs ${jobs}: ${result.tests.filter((t) => !['passed', 'skipped'].includes(t.verdict)).map((t) => `${t.info.file}: ${t.error?.message}`).join('; ')}`);
  }
  return { wall_ms, verdicts, scenarios: scenarios.length, cluster_starts: starts };
}

/** N small scenarios on one 3-node topology, with or without cluster.reuse. */
function smallSuite(n, reuse) {
  const dir = mkdtempSync(join(tmpdir(), `phantom-bench-suite-${reuse ? 'reuse' : 'fresh'}-`));
  for (let i = 0; i < n; i++) {
    writeFileSync(join(dir, `s${String(i).padStart(2, '0')}.yaml`), [
      `name: small scenario ${i}`,
      `cluster: { nodes: [a, b, c]${reuse ? ', reuse: true' : ''} }`,
      'databases:',
      '  db1: { tables: { m: { tags: [host], fields: { v: integer }, replication_factor: 2 } } }',
      'steps:',
      `  - write: { db: db1, lines: "m,host=h${i} v=${i}i 1704067200000000000" }`,
      `  - query: { db: db1, sql: "SELECT host, v FROM m", expect: { rows: [{ host: h${i}, v: ${i} }] } }`,
      '',
    ].join('\n'));
  }
  return dir;
}

export async function run({ small = 8, seed = 11 } = {}) {
  const suite = join(root, 'scenarios');
  // Alternated, so a slow spell of the machine does not land on one side only.
  const jobs2 = await timedRun([suite], 2, seed);
  const jobs1 = await timedRun([suite], 1, seed);
  const dirs = [smallSuite(small, true), smallSuite(small, false)];
  try {
    const reused = await timedRun([dirs[0]], 1, seed);
    const fresh = await timedRun([dirs[1]], 1, seed);
    return {
      suite: { scenarios: jobs1.scenarios, verdicts: jobs1.verdicts, jobs1_ms: jobs1.wall_ms, jobs2_ms: jobs2.wall_ms, ratio: jobs2.wall_ms / jobs1.wall_ms },
      reuse: { scenarios: small, reuse_ms: reused.wall_ms, fresh_ms: fresh.wall_ms, ratio: reused.wall_ms / fresh.wall_ms, reuse_cluster_starts: reused.cluster_starts, fresh_cluster_starts: fresh.cluster_starts },
    };
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

export function report(r) {
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const v = Object.entries(r.suite.verdicts).map(([k, n]) => `${n} ${k}`).join(', ');
  console.log(`bundled suite (scenarios/, ${r.suite.scenarios} scenarios: ${v}), one run each:`);
  console.log(`  --jobs 1: ${s(r.suite.jobs1_ms)}`);
  console.log(`  --jobs 2: ${s(r.suite.jobs2_ms)}  (ratio jobs2/jobs1 ${r.suite.ratio.toFixed(2)})`);
  console.log(`${r.reuse.scenarios} small scenarios (3 nodes, one write and one query each), --jobs 1:`);
  console.log(`  without reuse: ${s(r.reuse.fresh_ms)}, ${r.reuse.fresh_cluster_starts} cluster starts`);
  console.log(`  cluster.reuse: ${s(r.reuse.reuse_ms)}, ${r.reuse.reuse_cluster_starts} cluster start(s)  (ratio reuse/fresh ${r.reuse.ratio.toFixed(2)})`);
  console.log('  (a shared, loaded machine makes these figures noisy)');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--small');
  report(await run({ small: i > 0 ? Number(process.argv[i + 1]) : 8 }));
}
