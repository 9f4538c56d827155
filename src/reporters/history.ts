// history.jsonl: one operation per line as it happens (invoke, then ok/fail/info),
// appended synchronously so a crash still leaves every line written so far. A value
// too large for a readable line (the points of a bulk write, the rows of a big read)
// goes to a sidecar, history/<line>.json, named by the line that refers to it
// (docs/history.md). Beside it, history.bin: the same entries in a compact form that
// `phantom-test check` reads fast (history-binary.ts), appended after each jsonl batch.

import { appendFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter } from '../engine/events.js';
import type { HistoryEntry } from '../engine/history.js';
import { BinaryHistoryWriter, type SidecarRef } from './history-binary.js';
import { historyJson } from './history-json.js';

/** A value whose JSON is longer than this moves its large parts to a sidecar. */
export const SIDECAR_THRESHOLD = 64 * 1024;
/** Within such a value, the keys longer than this move; the small ones stay on the line. */
const SIDECAR_KEY_MIN = 1024;


export class HistoryReporter implements Reporter {
  private readonly path: string;
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lines = 0;
  private sidecarDir: string | null = null;
  /** history.jsonl's length in bytes, as the binary copy's SYNC records name it. */
  private bytes = 0;
  private readonly bin: BinaryHistoryWriter;

  constructor(private readonly dir: string, private readonly threshold = SIDECAR_THRESHOLD) {
    this.path = join(dir, 'history.jsonl');
    writeFileSync(this.path, '');
    this.bin = new BinaryHistoryWriter(join(dir, 'history.bin'));
  }

  onOperation(e: HistoryEntry) {
    this.lines++;
    const { text, sidecar } = this.line(e);
    this.buffer.push(text);
    this.bin.add(e, sidecar);
    // Batched per tick: one write for a burst of operations, nothing lost on exit.
    this.timer ??= setTimeout(() => this.flush(), 0);
  }

  /** The entry's line; large parts of its value written to the sidecar first. */
  private line(e: HistoryEntry): { text: string; sidecar?: SidecarRef } {
    const text = historyJson(e);
    if (text.length <= this.threshold || !isObject(e.value)) return { text };
    const inline: Record<string, unknown> = {};
    const moved: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.value)) {
      const json = historyJson(v);
      if (json !== undefined && json.length > SIDECAR_KEY_MIN) moved[k] = json;
      else inline[k] = v;
    }
    if (Object.keys(moved).length === 0) return { text };
    const file = `history/${this.lines}.json`;
    if (!this.sidecarDir) mkdirSync(this.sidecarDir = join(this.dir, 'history'), { recursive: true });
    writeFileSync(join(this.dir, file), `{${Object.entries(moved).map(([k, json]) => `${JSON.stringify(k)}:${json}`).join(',')}}\n`);
    return { text: historyJson({ ...e, value: inline, sidecar: { file, keys: Object.keys(moved) } }), sidecar: { inline, file } };
  }

  flush() {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.buffer.length === 0) return;
    const batch = Buffer.from(this.buffer.join('\n') + '\n');
    appendFileSync(this.path, batch);
    this.bytes += batch.length;
    this.buffer = [];
    // The jsonl first: a bin batch never claims lines the jsonl does not have.
    this.bin.flush(batch, this.bytes, this.lines, statSync(this.path, { bigint: true }).mtimeNs);
  }

  onTestEnd() { this.flush(); }
  onEnd() { this.flush(); this.bin.close(); }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
