#!/usr/bin/env node
// HTML report benchmark: a synthetic run folder whose history holds 1,000,000 operations
// (2,000,000 lines: invoke + completion) on 5 nodes, with kills, pauses and restarts,
// failures and unknown outcomes; then `phantom-test report` on it (read + render + write)
// and the page in headless Chromium.
// Targets (issue 11): generated in < 5 s, report.html < 30 MB, first paint in Chromium < 2 s.
//
//   node bench/report.mjs [--ops N]     (needs `npm run build` first; Chromium at /usr/bin/chromium)

import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { once } from 'node:events';
import os from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const NODES = ['a', 'b', 'c', 'd', 'e'];
const SCENARIO = 'synthetic chaos workload';

/** Deterministic pseudo-random numbers (mulberry32), so every run writes the same history. */
function rng(seed) {
  return () => { seed |= 0; seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

/** Writes journal.json and history.jsonl of a run with `ops` operations; returns the history's size. */
export async function writeSyntheticRun(dir, ops) {
  const random = rng(11);
  const wall0 = Date.parse('2026-01-01T00:00:00Z');
  const out = createWriteStream(join(dir, 'history.jsonl'));
  let index = 0; let t = 0; let buf = [];
  const line = (e) => {
    buf.push(JSON.stringify({ index: index++, scenario: SCENARIO, invoke_index: e.invoke_index ?? index - 1, time_ms: Math.round(e.time_ms * 1000) / 1000, wall: new Date(wall0 + e.time_ms).toISOString(), type: e.type, f: e.f, node: e.node, step: e.step, ...(e.value !== undefined ? { value: e.value } : {}), ...(e.error ? { error: e.error } : {}) }));
  };
  const flush = async () => { if (!buf.length) return; if (!out.write(buf.join('\n') + '\n')) await once(out, 'drain'); buf = []; };
  const down = new Set();
  for (let i = 0; i < ops; i++) {
    t += random() * 0.6; // ~3,300 operations per second: a 5-minute run
    const faultNow = i % 50_000 === 25_000;
    if (faultNow) {
      const node = NODES[(i / 50_000) % NODES.length | 0];
      const f = down.has(node) ? 'start' : ['kill', 'stop', 'pause', 'restart'][(i / 50_000 | 0) % 4];
      const inv = index; line({ type: 'invoke', f, node, step: '2', time_ms: t });
      line({ type: 'ok', f, node, step: '2', time_ms: t + 5, invoke_index: inv });
      if (f === 'kill' || f === 'stop') down.add(node); else if (f === 'start') down.delete(node);
      continue;
    }
    const node = NODES[Math.floor(random() * NODES.length)];
    const f = random() < 0.7 ? 'write' : 'query';
    const inv = index;
    line({ type: 'invoke', f, node, step: '1', time_ms: t, value: f === 'write' ? { lines: 1 + Math.floor(random() * 5) } : undefined });
    const lat = 0.5 + random() * random() * 40;
    const r = random();
    const type = down.has(node) ? (r < 0.7 ? 'fail' : 'info') : r < 0.995 ? 'ok' : r < 0.998 ? 'fail' : 'info';
    line({ type, f, node, step: '1', time_ms: t + lat, invoke_index: inv, ...(type === 'ok' ? {} : { error: type === 'fail' ? `connect ECONNREFUSED 127.0.0.1:${8000 + NODES.indexOf(node)}` : 'timeout after 40 ms' }) });
    if (buf.length >= 20_000) await flush();
  }
  await flush();
  out.end(); await once(out, 'finish');
  const step = (path, label, start, ms, extra = {}) => ({ path, kind: 'write', label, depth: 0, status: 'passed', verifies: false, started_at: new Date(wall0 + start).toISOString(), duration_ms: ms, overhead_ms: 0, ...extra });
  writeFileSync(join(dir, 'journal.json'), JSON.stringify({
    format: 'phantom-test/journal', version: 1, tool: { name: 'phantom-test', version: 'bench', node: process.version },
    run_id: 'bench', seed: 11, driver: 'process', argv: ['run', 'bench.yaml'], started_at: new Date(wall0).toISOString(), finished_at: new Date(wall0 + t).toISOString(),
    duration_ms: t, verdict: 'passed', exit_code: 0, files: ['bench.yaml'],
    scenarios: [{ file: 'bench.yaml', name: SCENARIO, seed: 1, verdict: 'passed', started_at: new Date(wall0).toISOString(), duration_ms: t, ready_ms: 0, resolved: {}, setup: [],
      steps: [step('0', 'start', 0, 1), step('1', 'workload', 1, t - 1), step('2', 'nemesis', 1, t - 1)], teardown: { duration_ms: 1, problems: [], kept: false }, nodes: NODES.map((id) => ({ id, url: '', port: 0, state: 'running', log: `logs/${id}.log` })), history_count: index }],
    not_run: [],
  }));
  return statSync(join(dir, 'history.jsonl')).size;
}

/** The page in headless Chromium: first contentful paint, and the time until every timeline is drawn. */
async function paint(file) {
  if (!existsSync(CHROMIUM)) return { skipped: `no Chromium at ${CHROMIUM} (apt-get install -y chromium)` };
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const t0 = performance.now();
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => window.__phantomReport?.ready || window.__phantomReport?.errors.length, null, { timeout: 120_000 });
    const wall = performance.now() - t0;
    const r = await page.evaluate(() => ({ fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null, drawn: window.__phantomReport.firstPaintMs, marks: window.__phantomReport.marksDrawn, errors: window.__phantomReport.errors }));
    return { first_contentful_paint_ms: r.fcp, timeline_drawn_ms: r.drawn, load_wall_ms: wall, marks_drawn: r.marks, errors: [...errors, ...r.errors] };
  } finally {
    await browser.close();
  }
}

export async function run({ ops = 1_000_000 } = {}) {
  const { regenerateReport } = await import(join(root, 'dist', 'reporters', 'report', 'write-report.js'));
  const dir = mkdtempSync(join(tmpdir(), 'phantom-report-bench-'));
  try {
    const historyBytes = await writeSyntheticRun(dir, ops);
    const t0 = performance.now(); const cpu0 = process.cpuUsage();
    const file = await regenerateReport(dir);
    const generate_ms = performance.now() - t0; const cpu = process.cpuUsage(cpu0);
    const size = statSync(file).size;
    return {
      ops, history_mb: historyBytes / 2 ** 20, generate_ms, generate_cpu_ms: (cpu.user + cpu.system) / 1000,
      report_mb: size / 2 ** 20, load_average: os.loadavg()[0], chromium: await paint(file),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function report(r) {
  const ratio = (v, goal, unit) => `(goal < ${goal} ${unit}: ratio ${(v / goal).toFixed(2)})`;
  console.log(`report benchmark: ${r.ops.toLocaleString('en')} operations (history.jsonl ${r.history_mb.toFixed(0)} MB), phantom-test report on it; load average ${r.load_average.toFixed(1)} on ${os.cpus().length} cores`);
  console.log(`  generated in:           ${(r.generate_ms / 1000).toFixed(2)} s wall ${ratio(r.generate_ms / 1000, 5, 's')}, ${(r.generate_cpu_ms / 1000).toFixed(2)} s CPU ${ratio(r.generate_cpu_ms / 1000, 5, 's')}`);
  console.log(`  report.html:            ${r.report_mb.toFixed(1)} MB ${ratio(r.report_mb, 30, 'MB')}`);
  const c = r.chromium;
  if (c.skipped) { console.log(`  Chromium: not measured: ${c.skipped}`); return; }
  console.log(`  Chromium first paint:   ${(c.first_contentful_paint_ms / 1000).toFixed(2)} s (summary and steps) ${ratio(c.first_contentful_paint_ms / 1000, 2, 's')}`);
  console.log(`  timelines drawn:        ${(c.timeline_drawn_ms / 1000).toFixed(2)} s after navigation (${c.marks_drawn.toLocaleString('en')} operations drawn) ${ratio(c.timeline_drawn_ms / 1000, 2, 's')}`);
  if (c.errors.length) console.log(`  page errors: ${c.errors.join('; ')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--ops');
  report(await run({ ops: i > 0 ? Number(process.argv[i + 1]) : 1_000_000 }));
}
