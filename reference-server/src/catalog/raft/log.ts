// A node's Raft log in memory: the entries after its snapshot, each write passed through to
// durable storage first. Index and term of the snapshot stand in for the entries it replaced.
import type { RaftEntry, RaftSnapshot } from './messages.js';
import type { RaftStorage } from './storage.js';

export class RaftLog {
  snapshot?: RaftSnapshot;
  private entries: RaftEntry[] = [];

  constructor(private readonly storage: RaftStorage) {}

  load(snapshot: RaftSnapshot | undefined, entries: RaftEntry[]): void {
    this.snapshot = snapshot;
    this.entries = entries;
  }

  get snapshotIndex(): number {
    return this.snapshot?.index ?? 0;
  }

  get lastIndex(): number {
    return this.entries[this.entries.length - 1]?.index ?? this.snapshotIndex;
  }

  get lastTerm(): number {
    return this.termAt(this.lastIndex) ?? 0;
  }

  /** The entry's term; undefined if compacted away (before the snapshot) or not there. */
  termAt(index: number): number | undefined {
    if (index === 0) return 0;
    if (index === this.snapshotIndex) return this.snapshot!.term;
    return this.at(index)?.term;
  }

  at(index: number): RaftEntry | undefined {
    return this.entries[index - this.snapshotIndex - 1];
  }

  /** Entries from `from` on, at most `max`. */
  slice(from: number, max: number): RaftEntry[] {
    const start = Math.max(0, from - this.snapshotIndex - 1);
    return this.entries.slice(start, start + max);
  }

  append(entries: RaftEntry[]): void {
    this.storage.append(entries);
    this.entries.push(...entries);
  }

  truncateFrom(index: number): void {
    this.storage.truncateFrom(index);
    this.entries = this.entries.filter((e) => e.index < index);
  }

  /** The voter set in force: that of the last config entry, else the snapshot's. */
  latestVoters(): { voters: string[] | undefined; index: number } {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.voters) return { voters: e.voters, index: e.index };
    }
    return { voters: this.snapshot?.voters, index: this.snapshotIndex };
  }

  /** The voter set as of `index` (for a snapshot taken there). */
  votersAt(index: number): string[] | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.index <= index && e.voters) return e.voters;
    }
    return this.snapshot?.voters;
  }

  /** Replaces everything up to the snapshot's index with it (taken locally or sent by the leader). */
  installSnapshot(snapshot: RaftSnapshot): void {
    const keep = this.termAt(snapshot.index) === snapshot.term ? this.entries.filter((e) => e.index > snapshot.index) : [];
    this.storage.saveSnapshot(snapshot, keep);
    this.snapshot = snapshot;
    this.entries = keep;
  }
}
