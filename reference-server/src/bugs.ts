// Planted bugs, for proving that a test suite catches real ones (`npm run verify-power`).
// `--bug NAME` on the command line (repeatable) turns one on; nothing else does: no
// environment variable, no config file, and a node built in-process (tests) has none unless
// main.ts enabled them. Each bug is one small branch at the real code path, marked by a
// `bugs.has('name')` check, so the clean server runs exactly the code it ran before.

export const BUGS = {
  'quorum-ack-after-one': 'A quorum write is acknowledged as soon as one replica has it (required acks computed as 1).',
  'drop-unterminated-last-line': 'The last line of a write body without a trailing newline is silently dropped (never flushed at end of body).',
  'hints-expire-early': 'Hints for a node down longer than the hint window are dropped, but the window (3600 s) is read as milliseconds: 3.6 s.',
  'hints-replay-wrong-node': 'Hinted handoff replays the hints for one node to another live node.',
  'hints-lost-on-restart': 'On start, hint-file recovery cuts the last complete hint as if it were a torn line.',
  'repair-skips-last-page': 'Anti-entropy fetches every page of differing rows but does not apply the last one.',
  'repair-wrong-direction': 'Anti-entropy pulls only when this replica has more rows than the peer (comparison inverted), so a lagging replica never catches up.',
  'prune-time-off-by-one': 'Time-range pruning compares the query start with a shard\'s start instead of its end, dropping the partition the range starts in.',
  'prune-shard-key-first-value': 'Shard-key pruning of `tag IN (...)` hashes only the first value, dropping the shards of the others.',
  'merge-keeps-earlier-line': 'Lines of one write with the same series and time keep the earlier line\'s fields instead of the later\'s.',
  'merge-keeps-lower-version': 'Replica merge keeps the field with the lower write version, so overwrites are lost.',
  'route-ignores-hash-start': 'Write routing checks only the end of a shard\'s hash range, sending series to the owners of another shard.',
} as const;

export type BugName = keyof typeof BUGS;

export function isBugName(name: string): name is BugName {
  return Object.hasOwn(BUGS, name);
}

const enabled = new Set<BugName>();

/** The planted bugs in force in this process. */
export const bugs: { has(name: BugName): boolean } = {
  has: (name) => enabled.size > 0 && enabled.has(name),
};

/** Called once by main.ts with the --bug flags given. */
export function enableBugs(names: Iterable<BugName>): void {
  for (const n of names) enabled.add(n);
}
