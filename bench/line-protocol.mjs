// Line protocol parser throughput benchmark.
//
// Build first (`npx tsc -b reference-server`), then: node bench/line-protocol.mjs
// Generates 500,000 simple lines in memory, parses them in 5,000-line batches and reports
// lines/s against the 1,000,000 lines/s goal (the server as a whole must ingest 150,000
// lines/s, so the parser alone needs a wide margin).

import { fileURLToPath } from 'node:url';
import { parseLineProtocol } from '../reference-server/dist/lineprotocol/parse.js';

export const GOAL_LINES_PER_SECOND = 1_000_000;
const TOTAL_LINES = 500_000;
const BATCH_LINES = 5_000;

function makeBatches(total, batchSize) {
  const hosts = ['server01', 'server02', 'server03', 'server04'];
  const regions = ['us-west', 'us-east', 'eu-central'];
  const batches = [];
  let ts = 1_700_000_000_000_000_000n;
  for (let b = 0; b < total / batchSize; b++) {
    const lines = new Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      const n = b * batchSize + i;
      const usage = ((n % 1000) / 1000).toFixed(2);
      lines[i] =
        `cpu,host=${hosts[n % hosts.length]},region=${regions[n % regions.length]} ` +
        `usage=${usage},idle=${n % 100}i ${ts}`;
      ts += 1_000_000n;
    }
    batches.push(lines.join('\n'));
  }
  return batches;
}

/** Parse every batch once; returns {points, errors, ms}. */
function parseAll(batches) {
  const opts = { precision: 'ns', defaultTime: 0n };
  let points = 0;
  let errors = 0;
  const t0 = process.hrtime.bigint();
  for (const body of batches) {
    const r = parseLineProtocol(body, opts);
    points += r.points.length;
    errors += r.errors.length;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { points, errors, ms };
}

export async function run({ quiet = false } = {}) {
  const batches = makeBatches(TOTAL_LINES, BATCH_LINES);
  // Warm-up pass so the measurement reflects optimized code.
  parseAll(batches);
  // Best of three measured passes.
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const r = parseAll(batches);
    if (r.points !== TOTAL_LINES || r.errors !== 0) {
      throw new Error(`bench: expected ${TOTAL_LINES} points, got ${r.points} (${r.errors} errors)`);
    }
    best = Math.min(best, r.ms);
  }
  const linesPerSecond = Math.round(TOTAL_LINES / (best / 1000));
  if (!quiet) {
    console.log(`line protocol parse: ${linesPerSecond} lines/s`);
    console.log(
      `  ${TOTAL_LINES} lines in ${BATCH_LINES}-line batches, best of 3: ${best.toFixed(1)} ms; ` +
        `${(linesPerSecond / GOAL_LINES_PER_SECOND).toFixed(2)}x the ${GOAL_LINES_PER_SECOND} lines/s goal`,
    );
  }
  return { linesPerSecond };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run();
}
