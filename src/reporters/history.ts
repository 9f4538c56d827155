// history.jsonl: one operation per line as it happens (invoke, then ok/fail/info),
// appended synchronously so a crash still leaves every line written so far. A value
// too large for a readable line (the points of a bulk write, the rows of a big read)
// goes to a sidecar, history/<line>.json, named by the line that refers to it
// (docs/history.md).

import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter } from '../engine/events.js';
import type { HistoryEntry } from '../engine/history.js';

/** A value whose JSON is longer than this moves its large parts to a sidecar. */
export const SIDECAR_THRESHOLD = 64 * 1024;
/** Within such a value, the keys longer than this move; the small ones stay on the line. */
const SIDECAR_KEY_MIN = 1024;

const toJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

export class HistoryReporter implements Reporter {
  private readonly path: string;
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lines = 0;
  private sidecarDir: string | null = null;

  constructor(private readonly dir: string, private readonly threshold = SIDECAR_THRESHOLD) {
    this.path = join(dir, 'history.jsonl');
    writeFileSync(this.path, '');
  }

  onOperation(e: HistoryEntry) {
    this.lines++;
    this.buffer.push(this.line(e));
    // Batched per tick: one write for a burst of operations, nothing lost on exit.
    this.timer ??= setTimeout(() => this.flush(), 0);
  }

  /** The entry's line; large parts of its value written to the sidecar first. */
  private line(e: HistoryEntry): string {
    const text = toJson(e);
    if (text.length <= this.threshold || !isObject(e.value)) return text;
    const inline: Record<string, unknown> = {};
    const moved: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.value)) {
      const json = toJson(v);
      if (json !== undefined && json.length > SIDECAR_KEY_MIN) moved[k] = json;
      else inline[k] = v;
    }
    if (Object.keys(moved).length === 0) return text;
    const file = `history/${this.lines}.json`;
    if (!this.sidecarDir) mkdirSync(this.sidecarDir = join(this.dir, 'history'), { recursive: true });
    writeFileSync(join(this.dir, file), `{${Object.entries(moved).map(([k, json]) => `${JSON.stringify(k)}:${json}`).join(',')}}\n`);
    return toJson({ ...e, value: inline, sidecar: { file, keys: Object.keys(moved) } });
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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
