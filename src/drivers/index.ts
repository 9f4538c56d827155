// Drivers by name: process (local child processes) and docker (containers); asking for
// another is a usage error (exit 2), raised before anything starts. Each driver kind has a reaper
// for what its killed runs left behind: `run`, `clean` and `cluster` go through it.

import type { Driver, Reaper } from './driver.js';
import { ProcessDriver } from './process/index.js';
import { processReaper } from './process/reaper.js';
import { DockerDriver } from './docker/index.js';
import { dockerReaper } from './docker/reaper.js';
import { ExternalDriver, externalReaper } from './external/index.js';
import type { ExternalCluster } from './external/cluster-file.js';

import { DRIVERS } from './names.js';

export function createDriver(name: string, opts: { runId: string; server?: string; serverArgs?: string[]; kind?: 'run' | 'cluster'; external?: ExternalCluster }): Driver {
  if (name === 'process') return new ProcessDriver({ runId: opts.runId, server: opts.server, serverArgs: opts.serverArgs, kind: opts.kind });
  if (name === 'docker') return new DockerDriver({ runId: opts.runId, serverArgs: opts.serverArgs, kind: opts.kind });
  if (name === 'external') {
    if (!opts.external) throw new Error('the external driver needs a cluster file (--cluster-file)');
    return new ExternalDriver({ runId: opts.runId, cluster: opts.external });
  }
  throw new Error(`unknown driver "${name}" (available: ${DRIVERS.join(', ')})`);
}

const REAPERS: Record<(typeof DRIVERS)[number], Reaper> = { process: processReaper, docker: dockerReaper, external: externalReaper };

export function reaperFor(name: string): Reaper {
  const r = REAPERS[name as (typeof DRIVERS)[number]];
  if (!r) throw new Error(`unknown driver "${name}" (available: ${DRIVERS.join(', ')})`);
  return r;
}

/** Every driver kind's reaper (`clean` reaps what any of them left). */
export function allReapers(): Array<{ driver: string; reaper: Reaper }> {
  return DRIVERS.map((d) => ({ driver: d, reaper: REAPERS[d] }));
}
