// History checkers by name: what `check:` in a scenario and `phantom-test check
// --checker` accept.

import type { Checker } from './checker.js';
import { convergence } from './convergence.js';
import { overwrite } from './overwrite.js';
import { set } from './set.js';
import { staleReads } from './stale-reads.js';

export const CHECKERS: Record<string, Checker> = {
  set, overwrite, 'stale-reads': staleReads, convergence,
};

export const CHECKER_NAMES = Object.keys(CHECKERS);
