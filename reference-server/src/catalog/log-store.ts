// Where a catalog log keeps its entries: a durable file on a node, memory in tests. Kept apart
// from the consensus so a Raft log (term, vote, compaction) can reuse the file handling.
import fs from 'node:fs';
import path from 'node:path';
import { HttpError } from '../util/errors.js';
import { parseWithBigInt, stringifyWithBigInt } from '../util/json.js';
import { appendWhole } from '../util/write-fully.js';
import type { CatalogEntry } from './commands.js';

export interface CatalogLogStore {
  /** Opens the log and returns its intact entries, indexes 1, 2, ... in order. */
  open(): CatalogEntry[];
  /** Appends an entry; durable only after flush(). Throws (nothing appended) if it cannot. */
  append(entry: CatalogEntry): void;
  /** Makes every appended entry durable. */
  flush(): void;
  close(): void;
}

/** `catalog.jsonl` in a directory: one entry per line, fsynced per batch. */
export class FileCatalogLog implements CatalogLogStore {
  private fd = -1;
  private unflushed = false;

  constructor(private readonly dir: string) {}

  open(): CatalogEntry[] {
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, 'catalog.jsonl');
    const entries: CatalogEntry[] = [];
    if (fs.existsSync(file)) {
      const buf = fs.readFileSync(file);
      let intact = 0; // bytes of complete, valid entries
      for (;;) {
        const nl = buf.indexOf(0x0a, intact);
        if (nl < 0) break; // no newline after it: torn by a crash mid-append
        let entry: CatalogEntry;
        try {
          entry = parseWithBigInt<CatalogEntry>(buf.subarray(intact, nl).toString('utf8'));
        } catch {
          break;
        }
        if (entry.index !== entries.length + 1) break;
        entries.push(entry);
        intact = nl + 1;
      }
      // Cut only a torn tail; the intact prefix is never rewritten.
      if (intact < buf.length) fs.truncateSync(file, intact);
    }
    this.fd = fs.openSync(file, 'a');
    return entries;
  }

  /**
   * The fsync is left to flush(), called before any of a batch's entries is acknowledged or
   * broadcast: one fsync per batch, not per entry (the batch is written and flushed in one
   * synchronous run, so nothing sees it unflushed).
   */
  append(entry: CatalogEntry): void {
    if (this.fd < 0) throw new HttpError(503, 'catalog is closed');
    appendWhole(this.fd, stringifyWithBigInt(entry) + '\n'); // a torn line would cut every later one on open
    this.unflushed = true;
  }

  flush(): void {
    if (!this.unflushed || this.fd < 0) return;
    fs.fsyncSync(this.fd);
    this.unflushed = false;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** A log in memory (tests): survives close() and open(), as a file would a restart. */
export class MemoryCatalogLog implements CatalogLogStore {
  readonly entries: CatalogEntry[] = [];
  private closed = true;

  open(): CatalogEntry[] {
    this.closed = false;
    return this.entries.map((e) => parseWithBigInt<CatalogEntry>(stringifyWithBigInt(e)));
  }

  append(entry: CatalogEntry): void {
    if (this.closed) throw new HttpError(503, 'catalog is closed');
    // A copy, as a file holds: the state applied from an entry must not alias the logged one.
    this.entries.push(parseWithBigInt<CatalogEntry>(stringifyWithBigInt(entry)));
  }

  flush(): void {}

  close(): void {
    this.closed = true;
  }
}
