// merge-reports: the shards of one run (`run --shard i/n` on several CI machines) as one
// run folder, as if one machine had run the whole suite: one journal.json, history.jsonl,
// junit.xml and report.html, each shard's node logs under logs/shard-<i>/. Every input is
// read and checked before anything is written, and the folder appears whole (built under a
// hidden name, then renamed) or not at all.

import { copyFileSync, cpSync, createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RunResult } from '../../engine/events.js';
import { EXIT } from '../../engine/run.js';
import { JOURNAL_FORMAT, JOURNAL_VERSION, jsonWithBigints, type Journal } from '../journal.js';
import { junitXml } from '../junit.js';
import { renderReport } from '../report/render.js';
import { ReportInputError, readHistoryColumns } from '../report/run-dir-reader.js';
import type { ScenarioColumns } from '../report/op-columns.js';
import { linkLatest, newRunId } from '../run-dir.js';
import { readShardSet, shown, type ShardRun } from './shard-set.js';

type ShardVerdict = 'passed' | 'failed' | 'error' | 'cleanup_failed';

/** The worst shard verdict is the run's, as `run` ranks them (interrupted shards are refused). */
const RANK: ShardVerdict[] = ['cleanup_failed', 'error', 'failed', 'passed'];
const EXIT_OF: Record<ShardVerdict, number> = { cleanup_failed: EXIT.cleanup, error: EXIT.infra, failed: EXIT.failed, passed: EXIT.passed };

export type MergedJournal = Journal & {
  merged_from: {
    /** The merge-reports command line (the journal's own argv is the whole suite's run). */
    argv: string[];
    total: number;
    suite: { files: string[]; hash: string };
    shards: Array<{ index: number; run_id: string; dir: string; argv: string[]; started_at: string; finished_at: string; duration_ms: number; verdict: string; exit_code: number }>;
  };
};

/** A node log's path in the shard's folder, moved to logs/shard-<i>/ of the merged one. */
function relocateLog(log: unknown, shard: ShardRun, mergedDir: string): unknown {
  if (typeof log !== 'string') return log;
  const parts = log.split(/[\\/]/);
  const at = parts.lastIndexOf(shard.journal.run_id);
  if (at < 0 || parts[at + 1] !== 'logs') return log;
  return join(mergedDir, 'logs', `shard-${shard.journal.shard.index}`, ...parts.slice(at + 2));
}

function withLogsMoved(s: Journal['scenarios'][number], shard: ShardRun, mergedDir: string): Journal['scenarios'][number] {
  const move = <T>(n: T) => (n && typeof n === 'object' && 'log' in n ? { ...n, log: relocateLog(n.log, shard, mergedDir) } : n);
  const resolvedNodes = s.resolved?.nodes;
  return {
    ...s,
    nodes: s.nodes.map((n) => move(n) as typeof n),
    resolved: Array.isArray(resolvedNodes) ? { ...s.resolved, nodes: resolvedNodes.map(move) } : s.resolved,
  };
}

/** A shard's command line without its --shard: the run of the whole suite, which the report offers to replay. */
function wholeSuiteArgv(argv: string[]): string[] {
  return argv.filter((a, i) => !(a === '--shard' || a.startsWith('--shard=') || argv[i - 1] === '--shard'));
}

export function mergedJournal(shards: ShardRun[], runId: string, mergedDir: string, argv: string[]): MergedJournal {
  const first = shards[0]!.journal;
  const starts = shards.map((s) => s.journal.started_at).sort();
  const ends = shards.map((s) => s.journal.finished_at).sort();
  const started_at = starts[0]!;
  const finished_at = ends[ends.length - 1]!;
  const verdict = RANK.find((v) => shards.some((s) => s.journal.verdict === v)) ?? 'passed';
  return {
    format: JOURNAL_FORMAT,
    version: JOURNAL_VERSION,
    tool: first.tool,
    run_id: runId,
    seed: first.seed,
    driver: first.driver,
    argv: wholeSuiteArgv(first.argv),
    started_at,
    finished_at,
    // The shards ran side by side: the run took from the first start to the last end.
    duration_ms: Math.max(0, Date.parse(finished_at) - Date.parse(started_at)),
    verdict,
    exit_code: EXIT_OF[verdict],
    files: shards.flatMap((s) => s.journal.files),
    merged_from: {
      argv,
      total: first.shard.total,
      suite: first.shard.suite,
      shards: shards.map((s) => ({
        index: s.journal.shard.index, run_id: s.journal.run_id, dir: shown(s.dir), argv: s.journal.argv,
        started_at: s.journal.started_at, finished_at: s.journal.finished_at, duration_ms: s.journal.duration_ms, verdict: s.journal.verdict, exit_code: s.journal.exit_code,
      })),
    },
    scenarios: shards.flatMap((s) => s.journal.scenarios.map((sc) => withLogsMoved(sc, s, mergedDir))),
    not_run: shards.flatMap((s) => s.journal.not_run ?? []),
  };
}

/** The run result a journal describes: what junit.xml is written from. */
export function runResultOf(j: Journal, reportDir: string): RunResult {
  return {
    run: { run_id: j.run_id, seed: j.seed, driver: j.driver, started_at: j.started_at, report_dir: reportDir, files: j.files, argv: j.argv },
    tests: j.scenarios.map((s, index) => ({
      info: { file: s.file, name: s.name, description: s.description, seed: s.seed, index },
      verdict: s.verdict, started_at: s.started_at, duration_ms: s.duration_ms, ready_ms: s.ready_ms,
      setup: s.setup, steps: s.steps, teardown: s.teardown, error: s.error,
      ...(s.skip_reason !== undefined ? { skip_reason: s.skip_reason } : {}),
      nodes: [], resolved: s.resolved, history_count: s.history_count,
    })),
    not_run: j.not_run ?? [], exit_code: j.exit_code, verdict: j.verdict, finished_at: j.finished_at, duration_ms: j.duration_ms,
  };
}

/**
 * The shards' histories one after another (each scenario's operations count from 0). A
 * sidecar is named after the line that refers to it (docs/history.md), so each one is
 * copied to the name of its line in the merged file, and the line's reference renamed.
 */
async function concatHistories(shards: ShardRun[], to: string) {
  const out = createWriteStream(to);
  let line = 0;
  const put = async (text: string) => { if (!out.write(text + '\n')) await once(out, 'drain'); };
  try {
    for (const s of shards) {
      const from = join(s.dir, 'history.jsonl');
      let shardLine = 0;
      for await (const text of createInterface({ input: createReadStream(from), crlfDelay: Infinity })) {
        line++;
        shardLine++;
        await put(text.includes('"sidecar"') ? withSidecarMoved(text, `${from}:${shardLine}`, s.dir, dirname(to), line) : text);
      }
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
}

/** A history line whose sidecar is copied to history/<line>.json beside the merged history. */
function withSidecarMoved(text: string, where: string, shardDir: string, mergedDir: string, line: number): string {
  let file: unknown;
  try { file = (JSON.parse(text) as { sidecar?: { file?: unknown } }).sidecar?.file; } catch { return text; }
  if (typeof file !== 'string') return text;
  const source = join(shardDir, file);
  if (!/^history\/[^/]+\.json$/.test(file) || !existsSync(source)) throw new ReportInputError(`${where}: its sidecar ${source} is missing`);
  const renamed = `history/${line}.json`;
  mkdirSync(join(mergedDir, 'history'), { recursive: true });
  copyFileSync(source, join(mergedDir, renamed));
  // Renamed in the text, not re-serialised: the rest of the line stays byte for byte.
  const ref = `"sidecar":{"file":${JSON.stringify(file)}`;
  const at = text.lastIndexOf(ref);
  if (at < 0) throw new ReportInputError(`${where}: cannot rename its sidecar reference (expected ${ref})`);
  return `${text.slice(0, at)}"sidecar":{"file":${JSON.stringify(renamed)}${text.slice(at + ref.length)}`;
}

export interface MergeResult { dir: string; journal: MergedJournal }

/** Writes <out>/<new run id>/ from the shards' folders; throws ReportInputError on bad input, writing nothing. */
export async function mergeShards(dirs: string[], out: string, argv: string[]): Promise<MergeResult> {
  const shards = readShardSet(dirs);
  // Read (and so checked) before anything is written.
  const columns: ScenarioColumns[] = [];
  for (const s of shards) columns.push(...(await readHistoryColumns(s.dir)));

  const runId = newRunId();
  const dir = join(out, runId);
  const journal = mergedJournal(shards, runId, dir, argv);
  const building = join(out, `.merging-${runId}`);
  mkdirSync(join(building, 'logs'), { recursive: true });
  try {
    await concatHistories(shards, join(building, 'history.jsonl'));
    for (const s of shards) {
      const logs = join(s.dir, 'logs');
      if (existsSync(logs)) cpSync(logs, join(building, 'logs', `shard-${s.journal.shard.index}`), { recursive: true });
    }
    writeFileSync(join(building, 'journal.json'), jsonWithBigints(journal, 2) + '\n');
    writeFileSync(join(building, 'junit.xml'), junitXml(runResultOf(journal, dir)));
    writeFileSync(join(building, 'report.html'), renderReport(journal, columns, dir));
    renameSync(building, dir);
  } catch (e) {
    rmSync(building, { recursive: true, force: true });
    throw e;
  }
  linkLatest(out, runId);
  return { dir, journal };
}
