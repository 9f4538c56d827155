#!/usr/bin/env node
// History checker benchmark: a synthetic run folder whose history holds 1,000,000
// operations (2,000,000 lines: invoke + completion, as bench/report.mjs counts them) from
// 8 concurrent clients: set writes of unique points, overwrite writes rewriting 1,000
// identities, partial reads, 1% info and 0.5% failed writes, then the final reads (the
// set table's 450,000 rows go to a sidecar), written through the runner's HistoryReporter
// so the folder is what a real run leaves (history.jsonl and history.bin). `set` and
// `overwrite` check it in one pass, in a fresh process so its peak RSS is the checkers'
// own: once from history.bin, once from history.jsonl alone (the bin removed).
// Targets (issue 9): checked in < 3 s, peak RSS < 500 MB.
//
//   node bench/checkers.mjs [--ops N]     (needs `npm run build` first)

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIO = 'synthetic set + overwrite workload';
const T0 = 1_704_067_200_000_000_000n;
const CLIENTS = 8;
const REGISTERS = 1000;

function rng(seed) {
  return () => { seed |= 0; seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

const iso = (ns) => { const ms = ns / 1_000_000n; const sub = ns % 1_000_000_000n; const base = new Date(Number(ms)).toISOString().slice(0, 19); return sub === 0n ? `${base}Z` : `${base}.${sub.toString().padStart(9, '0').replace(/0+$/, '')}Z`; };

/**
 * Writes the run folder of a run with `ops` operations through the runner's own
 * HistoryReporter (history.jsonl, history.bin, the final read's sidecar), with write values
 * as the workload records them (db, lines, body, tables, points). Returns its figures,
 * among them the reporter's time per operation and the binary writer's share of it.
 */
export async function writeSyntheticHistory(dir, ops, { batch = 64 } = {}) {
  const { HistoryReporter } = await import(pathToFileURL(join(root, 'dist', 'reporters', 'history.js')).href);
  const rep = new HistoryReporter(dir);
  // The binary writer's own share, timed around its two calls.
  const bin = rep.bin;
  let binMs = 0;
  const add = bin.add.bind(bin), binFlush = bin.flush.bind(bin);
  bin.add = (...a) => { const t0 = performance.now(); add(...a); binMs += performance.now() - t0; };
  bin.flush = (...a) => { const t0 = performance.now(); binFlush(...a); binMs += performance.now() - t0; };
  let reporterMs = 0;
  const random = rng(9);
  const wall0 = Date.parse('2026-01-01T00:00:00Z');
  let index = 0; let t = 0; let lines = 0; let pending = 0;
  const emit = (e) => {
    const time_ms = Math.round(t * 1000) / 1000;
    const entry = { index: index++, scenario: SCENARIO, invoke_index: e.invoke_index ?? index - 1, time_ms, wall: new Date(wall0 + time_ms).toISOString(), type: e.type, f: e.f, node: e.node, step: '3', ...(e.value !== undefined ? { value: e.value } : {}), ...(e.error !== undefined ? { error: e.error } : {}) };
    const t0 = performance.now();
    rep.onOperation(entry);
    // A batch per event-loop tick in a run: here every `batch` operations.
    if (++pending >= batch) { rep.flush(); pending = 0; }
    reporterMs += performance.now() - t0;
    lines++;
  };
  const tables = (table) => ({ [table]: { replication_factor: 3, consistency: 'quorum' } });
  const writeOf = (table, tag, key, time, value) => {
    const body = `${table},${tag}=${key} value=${value}i ${time}`;
    return { db: 'db1', lines: 1, body, consistency: 'quorum', tables: tables(table), points: [{ table, tags: { [tag]: key }, time, fields: { value }, line: 1 }] };
  };
  const inflight = [];
  let setPoints = 0; const setFailed = new Set(); const setAcked = []; const regs = new Array(REGISTERS).fill(0); const regSeq = new Array(REGISTERS).fill(0);
  const regular = ops - 2;
  let started = 0;
  const nodes = ['a', 'b', 'c'];
  while (started < regular || inflight.length) {
    t += random() * 0.3;
    if (started < regular && (inflight.length < CLIENTS && random() < 0.6 || inflight.length === 0)) {
      const node = nodes[Math.floor(random() * 3)];
      const kind = random();
      let op;
      if (kind < 0.45) {
        const n = setPoints++;
        op = { f: 'write', node, set: n, value: writeOf('cpu', 'host', `h${n % 100}`, (T0 + BigInt(n) * 1_000_000_000n).toString(), n) };
      } else if (kind < 0.9) {
        const r = Math.floor(random() * REGISTERS);
        const v = ++regSeq[r];
        op = { f: 'write', node, reg: r, v, value: writeOf('reg', 'id', `r${r}`, T0.toString(), v) };
      } else {
        // A partial read: a few recent set points.
        const rows = setAcked.slice(-3).map((n) => ({ host: `h${n % 100}`, time: iso(T0 + BigInt(n) * 1_000_000_000n), value: n }));
        op = { f: 'query', node, rows, value: { db: 'db1', sql: 'SELECT * FROM cpu WHERE time > now() - 5s', read: { table: 'cpu', complete: false, tags: ['host'] } } };
      }
      emit({ type: 'invoke', f: op.f, node: op.node, value: op.value });
      op.inv = index - 1;
      inflight.push(op);
      started++;
    } else {
      const op = inflight.splice(Math.floor(random() * inflight.length), 1)[0];
      if (op.f === 'query') emit({ type: 'ok', f: 'query', node: op.node, invoke_index: op.inv, value: { status: 200, count: op.rows.length, rows: op.rows } });
      else {
        const roll = random();
        const type = roll < 0.01 ? 'info' : roll < 0.015 ? 'fail' : 'ok';
        if (op.set !== undefined && type === 'ok') setAcked.push(op.set);
        if (op.set !== undefined && type === 'fail') setFailed.add(op.set);
        // The register holds the last write that completed and applied (concurrent ones may tie).
        if (op.reg !== undefined && type !== 'fail') regs[op.reg] = op.v;
        if (type === 'ok') emit({ type, f: 'write', node: op.node, invoke_index: op.inv, value: { status: 204 } });
        else if (type === 'info') emit({ type, f: 'write', node: op.node, invoke_index: op.inv, error: 'The operation was aborted due to timeout' });
        else emit({ type, f: 'write', node: op.node, invoke_index: op.inv, value: { status: 400, body: '{"error":"write rejected"}' }, error: 'status 400: {"error":"write rejected"}' });
      }
    }
  }
  // Final reads: every set point that is not a failed write (info ones applied), and each register.
  t += 1000;
  const setRows = [];
  for (let n = 0; n < setPoints; n++) if (!setFailed.has(n)) setRows.push({ host: `h${n % 100}`, time: iso(T0 + BigInt(n) * 1_000_000_000n), value: n });
  emit({ type: 'invoke', f: 'query', node: 'a', value: { db: 'db1', sql: 'SELECT * FROM cpu ORDER BY time', read: { table: 'cpu', complete: true, tags: ['host'], final: true } } });
  emit({ type: 'ok', f: 'query', node: 'a', invoke_index: index - 1, value: { status: 200, count: setRows.length, rows: setRows } });
  emit({ type: 'invoke', f: 'query', node: 'b', value: { db: 'db1', sql: 'SELECT * FROM reg ORDER BY time', read: { table: 'reg', complete: true, tags: ['id'], final: true } } });
  emit({ type: 'ok', f: 'query', node: 'b', invoke_index: index - 1, value: { status: 200, count: REGISTERS, rows: regs.map((v, r) => ({ id: `r${r}`, time: iso(T0), value: v })) } });
  const t0 = performance.now();
  rep.onEnd();
  reporterMs += performance.now() - t0;
  return { lines, operations: lines / 2, setPoints, reporterUsPerOp: (reporterMs * 1000) / lines, binUsPerOp: (binMs * 1000) / lines };
}

/** In a child: check the folder and print the figures as JSON. */
async function checkChild(dir) {
  const { checkRun } = await import(pathToFileURL(join(root, 'dist', 'checkers', 'history-file.js')).href);
  const { CHECKERS } = await import(pathToFileURL(join(root, 'dist', 'checkers', 'index.js')).href);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const verdicts = await checkRun(dir, () => [CHECKERS.set, CHECKERS.overwrite]);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const results = verdicts[0].results.map(({ checker, valid, summary }) => ({ checker, valid, summary }));
  process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: process.resourceUsage().maxRSS / 1024, results }));
}

/** Checks `dir` in a fresh process (its peak RSS is the checkers' own) and prints the figures. */
function measure(dir, source) {
  const figures = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--check', dir], { encoding: 'utf8', maxBuffer: 1 << 24 }));
  for (const r of figures.results) console.log(`  ${r.checker}: ${r.valid} (${r.summary})`);
  const s = figures.ms / 1000;
  const cpu = figures.cpuMs / 1000;
  console.log(`${source}: set + overwrite checked in ${s.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU (target < 3 s: ratio ${(s / 3).toFixed(2)} wall, ${(cpu / 3).toFixed(2)} CPU), peak RSS ${figures.peakRssMb.toFixed(0)} MB (target < 500 MB: ratio ${(figures.peakRssMb / 500).toFixed(2)})`);
  // On a shared machine wall time includes waiting for a core: CPU time is the steadier figure.
  return { check_s: s, check_cpu_s: cpu, peak_rss_mb: figures.peakRssMb, time_ratio: s / 3, rss_ratio: figures.peakRssMb / 500, valid: figures.results.map((r) => r.valid) };
}

export async function run() {
  const opsArg = process.argv.indexOf('--ops');
  const ops = opsArg > 0 ? Number(process.argv[opsArg + 1]) : 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'phantom-bench-checkers-'));
  try {
    const g0 = performance.now();
    const h = await writeSyntheticHistory(dir, ops);
    const mib = (f) => statSync(join(dir, f)).size / 2 ** 20;
    const sidecars = readdirSync(join(dir, 'history')).length;
    console.log(`history: ${h.operations.toLocaleString('en')} operations (${h.lines.toLocaleString('en')} lines, ${h.setPoints.toLocaleString('en')} set points, ${sidecars} sidecar), written through HistoryReporter in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
    console.log(`  history.jsonl ${mib('history.jsonl').toFixed(0)} MiB, history.bin ${mib('history.bin').toFixed(0)} MiB (${(mib('history.bin') / mib('history.jsonl')).toFixed(2)} of the jsonl)`);
    console.log(`  reporter: ${h.reporterUsPerOp.toFixed(2)} µs per history entry, of which the binary copy ${h.binUsPerOp.toFixed(2)} µs`);
    const binMib = mib('history.bin');
    const bin = measure(dir, 'from history.bin');
    rmSync(join(dir, 'history.bin'));
    const jsonl = measure(dir, 'from history.jsonl (bin removed)');
    return { operations: h.operations, jsonl_mib: mib('history.jsonl'), bin_mib: binMib, writer_us_per_entry: h.reporterUsPerOp, bin_writer_us_per_entry: h.binUsPerOp, ...bin, jsonl };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const c = process.argv.indexOf('--check');
  if (c > 0) await checkChild(process.argv[c + 1]);
  else await run();
}
