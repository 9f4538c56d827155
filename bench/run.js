// `npm run bench`: every benchmark, one after another (they would skew each other in parallel
// on a 2-core machine), each printing its figures and its ratio to the target.
import os from 'node:os';

const suites = ['./line-protocol.mjs', './reference-cluster.mjs', './runner.mjs', './report.mjs', './proxy.mjs', './suites.mjs', './checkers.mjs', './workload.mjs', './migration.mjs', './docker.mjs', './docker-reap.mjs', './raft-failover.mjs'];
const only = process.argv.slice(2);

console.log(`phantom-test benchmarks: node ${process.version}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`);
const results = {};
for (const suite of suites) {
  if (only.length && !only.some((o) => suite.includes(o))) continue;
  console.log(`\n== ${suite.replace(/^\.\/|\.mjs$/g, '')}`);
  const mod = await import(suite);
  results[suite] = await mod.run();
  mod.report?.(results[suite]); // suites that do not print as they go
}
console.log('\n' + JSON.stringify(results, (k, v) => (k === 'samples' ? undefined : v), 2));
