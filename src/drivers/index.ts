// Drivers by name. Only the process driver exists so far; asking for another is a
// usage error (exit 2), raised before anything starts.

import type { Driver } from './driver.js';
import { ProcessDriver } from './process/index.js';

import { DRIVERS } from './names.js';

export function createDriver(name: string, opts: { runId: string; server?: string }): Driver {
  if (name === 'process') return new ProcessDriver({ runId: opts.runId, server: opts.server });
  throw new Error(`unknown driver "${name}" (available: ${DRIVERS.join(', ')})`);
}
