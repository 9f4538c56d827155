// The last lines of a node's log, for error messages (a node that would not start, a crash).

import { readFileSync } from 'node:fs';

export function readLogTail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') || '(log is empty)';
  } catch {
    return '(no log)';
  }
}
