// The run folders given to merge-reports, checked to be the complete set of shards of one
// run of one suite: each finished, made with --shard, by the same phantom-test version, from
// the same suite (same files, same contents), seed and driver; no shard twice, none missing
// (a shard whose slice is empty never writes a folder, so it is not expected).
// Every problem is a ReportInputError naming the folder and what is wrong.

import { relative } from 'node:path';
import { shardRange, type ShardRecord } from '../../engine/shard.js';
import type { Journal } from '../journal.js';
import { ReportInputError, readJournal } from '../report/run-dir-reader.js';

export interface ShardRun {
  dir: string;
  journal: Journal & { shard: ShardRecord };
}

/** A folder as the messages show it: relative to the working directory when inside it. */
export const shown = (dir: string) => {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') ? rel : dir;
};

function readShard(dir: string): ShardRun {
  const journal = readJournal(dir);
  const where = shown(dir);
  if (typeof journal.finished_at !== 'string' || typeof journal.exit_code !== 'number' || typeof journal.verdict !== 'string') {
    throw new ReportInputError(`${where}: the run did not finish (its journal has no finished_at, verdict or exit_code): run that shard again`);
  }
  if (journal.verdict === 'interrupted') {
    const never = (journal.not_run ?? []).length;
    throw new ReportInputError(`${where}: the run was interrupted${never ? ` (${never} scenario(s) never ran)` : ''}: run that shard again`);
  }
  const s = (journal as { shard?: Partial<ShardRecord> }).shard;
  if (!s) throw new ReportInputError(`${where}: not a shard (the run was made without --shard); merge-reports combines the runs of \`run --shard i/n\``);
  if (!Number.isInteger(s.index) || !Number.isInteger(s.total) || typeof s.suite?.hash !== 'string' || !Array.isArray(s.suite.files)) {
    throw new ReportInputError(`${where}/journal.json: "shard" lacks its index, total or suite`);
  }
  return { dir, journal: journal as ShardRun['journal'] };
}

const label = (r: ShardRun) => `${shown(r.dir)} (shard ${r.journal.shard.index}/${r.journal.shard.total})`;

/** A few file names, for a message. */
const few = (fs: string[]) => (fs.length > 5 ? `${fs.slice(0, 5).join(', ')} and ${fs.length - 5} more` : fs.join(', '));

/** What differs between two suites, for the message. */
function suiteDifference(a: ShardRecord['suite'], b: ShardRecord['suite']): string {
  const onlyA = a.files.filter((f) => !b.files.includes(f));
  const onlyB = b.files.filter((f) => !a.files.includes(f));
  if (!onlyA.length && !onlyB.length) return 'the same files with different contents';
  return [onlyA.length ? `only the first has ${few(onlyA)}` : '', onlyB.length ? `only the second has ${few(onlyB)}` : ''].filter(Boolean).join('; ');
}

/** The shards in order, or a ReportInputError saying what is wrong with the set. */
export function readShardSet(dirs: string[]): ShardRun[] {
  if (dirs.length === 0) throw new ReportInputError('no run folders given');
  const runs = dirs.map(readShard);
  const first = runs[0]!;
  for (const r of runs.slice(1)) {
    const same = (what: string, a: unknown, b: unknown, hint: string) => {
      if (a !== b) throw new ReportInputError(`${label(first)} and ${label(r)} ${what} (${String(a)} and ${String(b)}): ${hint}`);
    };
    if (r.journal.run_id === first.journal.run_id) throw new ReportInputError(`${shown(first.dir)} and ${shown(r.dir)} are the same run (${r.journal.run_id}), given twice`);
    same('were made by different phantom-test versions', first.journal.tool?.version, r.journal.tool?.version, 'run every shard with the same version');
    same('split the suite into different numbers of shards', first.journal.shard.total, r.journal.shard.total, 'give the shards of one split');
    if (first.journal.shard.suite.hash !== r.journal.shard.suite.hash) {
      throw new ReportInputError(`${label(first)} and ${label(r)} are shards of different suites (${suiteDifference(first.journal.shard.suite, r.journal.shard.suite)}): give the shards of one checkout`);
    }
    same('ran with different seeds', first.journal.seed, r.journal.seed, 'merge the shards of one seed at a time');
    same('ran on different drivers', first.journal.driver, r.journal.driver, 'merge the shards of one driver at a time');
  }
  const byIndex = new Map<number, ShardRun>();
  for (const r of runs) {
    const twin = byIndex.get(r.journal.shard.index);
    if (twin) throw new ReportInputError(`shard ${r.journal.shard.index}/${r.journal.shard.total} given twice: ${shown(twin.dir)} and ${shown(r.dir)}`);
    byIndex.set(r.journal.shard.index, r);
  }
  const { total, suite } = first.journal.shard;
  const missing: string[] = [];
  for (let index = 1; index <= total; index++) {
    const [from, to] = shardRange(suite.files.length, { index, total });
    if (from < to && !byIndex.has(index)) missing.push(`${index}/${total} (${few(suite.files.slice(from, to))})`);
  }
  if (missing.length) throw new ReportInputError(`missing shard(s): ${missing.join('; ')}`);
  return [...byIndex.values()].sort((a, b) => a.journal.shard.index - b.journal.shard.index);
}
