// Where a Raft node keeps term, vote, log and snapshot: files in the catalog dir on a node,
// memory in tests. Every call but saveCommitIndex returns only once what it wrote is durable
// (fsynced): a vote or an acknowledged entry must survive a crash, or two leaders could share a
// term. The commit index is a hint that may be lost (see saveCommitIndex).
import fs from 'node:fs';
import path from 'node:path';
import { HttpError } from '../../util/errors.js';
import { parseWithBigInt, stringifyWithBigInt } from '../../util/json.js';
import { appendWhole } from '../../util/write-fully.js';
import { cloneCatalog } from '../state.js';
import type { HardState, RaftEntry, RaftSnapshot } from './messages.js';

export interface Persisted {
  hard: HardState;
  snapshot?: RaftSnapshot;
  /** Entries after the snapshot, contiguous. */
  entries: RaftEntry[];
  /** The last commit index saved (maybe older than the real one, never newer). */
  commit: number;
}

export interface RaftStorage {
  load(): Persisted;
  saveHardState(hard: HardState): void;
  /**
   * Remembers how far the log is known committed, so a restart applies that much at once.
   * Not fsynced: a lost update only means a smaller index, and committed entries never change.
   */
  saveCommitIndex(index: number): void;
  append(entries: RaftEntry[]): void;
  /** Drops entries with index >= `index` (a leader's log disagreed with them). */
  truncateFrom(index: number): void;
  /** Stores the snapshot, then keeps only `rest` (the entries after it) in the log. */
  saveSnapshot(snapshot: RaftSnapshot, rest: RaftEntry[]): void;
  close(): void;
}

const copy = <T>(v: T): T => parseWithBigInt<T>(stringifyWithBigInt(v));

/** A snapshot as read back: the catalog's name records prototype-free again. */
function revive(s: RaftSnapshot): RaftSnapshot {
  return { ...s, state: cloneCatalog(s.state) };
}

/** Whether log `entries` (as read from disk) may follow `snapshot`. */
function continuesSnapshot(snapshot: RaftSnapshot, entries: RaftEntry[]): boolean {
  const at = entries.find((e) => e.index === snapshot.index);
  if (at) return at.term === snapshot.term;
  const next = entries.find((e) => e.index > snapshot.index);
  return !next || (next.index === snapshot.index + 1 && next.term >= snapshot.term);
}

/**
 * `raft-state.json`, `raft-snapshot.json` (both replaced atomically: temp file, fsync, rename)
 * and `raft-log.jsonl` (one entry per line, appended and fsynced per batch; a torn last line,
 * from a crash mid-append, is cut on load).
 */
export class FileRaftStorage implements RaftStorage {
  private fd = -1;
  /** Byte offset of each entry's line in the log file, to truncate at. */
  private offsets: number[] = [];
  private firstIndex = 1;

  constructor(private readonly dir: string) {}

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  load(): Persisted {
    fs.mkdirSync(this.dir, { recursive: true });
    const hard = fs.existsSync(this.file('raft-state.json'))
      ? (JSON.parse(fs.readFileSync(this.file('raft-state.json'), 'utf8')) as HardState)
      : { term: 0, voted_for: null };
    const snapshot = fs.existsSync(this.file('raft-snapshot.json'))
      ? revive(parseWithBigInt<RaftSnapshot>(fs.readFileSync(this.file('raft-snapshot.json'), 'utf8')))
      : undefined;
    const logFile = this.file('raft-log.jsonl');
    const entries: RaftEntry[] = [];
    this.offsets = [];
    if (fs.existsSync(logFile)) {
      const buf = fs.readFileSync(logFile);
      let intact = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, intact);
        if (nl < 0) break;
        let e: RaftEntry;
        try {
          e = parseWithBigInt<RaftEntry>(buf.subarray(intact, nl).toString('utf8'));
        } catch {
          break;
        }
        const prev = entries[entries.length - 1];
        if (prev && e.index !== prev.index + 1) break;
        entries.push(e);
        this.offsets.push(intact);
        intact = nl + 1;
      }
      if (intact < buf.length) fs.truncateSync(logFile, intact);
    }
    this.firstIndex = entries[0]?.index ?? (snapshot?.index ?? 0) + 1;
    this.fd = fs.openSync(logFile, 'a');
    // A crash between saveSnapshot's two renames leaves the new snapshot with the old log. Its
    // entries after the snapshot count only if they continue it: the entry at the snapshot's
    // index has the snapshot's term (log matching), or, that one compacted already, the next
    // has at least its term. Otherwise they are from a log the leader's snapshot replaced, and
    // kept they would make this node claim (and vote on) entries it must not have.
    let rest = entries.filter((e) => !snapshot || e.index > snapshot.index);
    if (snapshot && !continuesSnapshot(snapshot, entries)) {
      this.saveSnapshot(snapshot, []);
      rest = [];
    }
    let commit = 0;
    try {
      commit = Number(JSON.parse(fs.readFileSync(this.file('raft-commit.json'), 'utf8')).commit) || 0;
    } catch {
      /* none yet, or torn by a crash: start from the snapshot */
    }
    // Entries a snapshot already covers (a crash between snapshot and log rewrite) are skipped.
    return { hard, snapshot, entries: rest, commit };
  }

  saveHardState(hard: HardState): void {
    this.replaceFile('raft-state.json', JSON.stringify(hard));
  }

  saveCommitIndex(index: number): void {
    const tmp = this.file('raft-commit.json.tmp');
    fs.writeFileSync(tmp, JSON.stringify({ commit: index }));
    fs.renameSync(tmp, this.file('raft-commit.json'));
  }

  append(entries: RaftEntry[]): void {
    if (this.fd < 0) throw new HttpError(503, 'catalog is closed');
    if (entries.length === 0) return;
    if (this.offsets.length === 0) this.firstIndex = entries[0]!.index;
    let size = fs.fstatSync(this.fd).size;
    const lines = entries.map((e) => stringifyWithBigInt(e) + '\n');
    appendWhole(this.fd, lines.join('')); // all of the batch or none: a retry must not duplicate a line
    fs.fsyncSync(this.fd);
    for (const line of lines) {
      this.offsets.push(size);
      size += Buffer.byteLength(line);
    }
  }

  truncateFrom(index: number): void {
    const keep = index - this.firstIndex;
    if (keep < 0 || keep >= this.offsets.length) return;
    fs.ftruncateSync(this.fd, this.offsets[keep]!);
    fs.fsyncSync(this.fd);
    this.offsets.length = keep;
  }

  saveSnapshot(snapshot: RaftSnapshot, rest: RaftEntry[]): void {
    this.replaceFile('raft-snapshot.json', stringifyWithBigInt(snapshot));
    const text = rest.map((e) => stringifyWithBigInt(e) + '\n').join('');
    this.replaceFile('raft-log.jsonl', text, () => {
      fs.closeSync(this.fd);
      this.fd = -1;
    });
    this.fd = fs.openSync(this.file('raft-log.jsonl'), 'a');
    this.offsets = [];
    let off = 0;
    for (const e of rest) {
      this.offsets.push(off);
      off += Buffer.byteLength(stringifyWithBigInt(e) + '\n');
    }
    this.firstIndex = rest[0]?.index ?? snapshot.index + 1;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** Temp file, fsync, rename over, fsync the directory: the old or the new, never half. */
  private replaceFile(name: string, text: string, beforeRename?: () => void): void {
    const tmp = this.file(`${name}.tmp`);
    const fd = fs.openSync(tmp, 'w');
    try {
      appendWhole(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    beforeRename?.();
    fs.renameSync(tmp, this.file(name));
    const dirFd = fs.openSync(this.dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }
}

/** In memory (tests): survives close() and load(), as the files would a restart. */
export class MemoryRaftStorage implements RaftStorage {
  hard: HardState = { term: 0, voted_for: null };
  snapshot?: RaftSnapshot;
  entries: RaftEntry[] = [];
  commit = 0;

  load(): Persisted {
    return { hard: { ...this.hard }, snapshot: this.snapshot && revive(copy(this.snapshot)), entries: copy(this.entries), commit: this.commit };
  }

  saveCommitIndex(index: number): void {
    this.commit = index;
  }

  saveHardState(hard: HardState): void {
    this.hard = { ...hard };
  }

  append(entries: RaftEntry[]): void {
    this.entries.push(...copy(entries));
  }

  truncateFrom(index: number): void {
    this.entries = this.entries.filter((e) => e.index < index);
  }

  saveSnapshot(snapshot: RaftSnapshot, rest: RaftEntry[]): void {
    this.snapshot = copy(snapshot);
    this.entries = copy(rest);
  }

  close(): void {}
}
