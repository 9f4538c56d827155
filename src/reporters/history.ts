// history.jsonl: one operation per line as it happens (invoke, then ok/fail/info),
// appended synchronously so a crash still leaves every line written so far.

import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter } from '../engine/events.js';
import type { HistoryEntry } from '../engine/history.js';

export class HistoryReporter implements Reporter {
  private readonly path: string;
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(dir: string) {
    this.path = join(dir, 'history.jsonl');
    writeFileSync(this.path, '');
  }

  onOperation(e: HistoryEntry) {
    this.buffer.push(JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    // Batched per tick: one write for a burst of operations, nothing lost on exit.
    this.timer ??= setTimeout(() => this.flush(), 0);
  }

  flush() {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.buffer.length === 0) return;
    appendFileSync(this.path, this.buffer.join('\n') + '\n');
    this.buffer = [];
  }

  onTestEnd() { this.flush(); }
  onEnd() { this.flush(); }
}
