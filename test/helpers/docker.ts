// What every Docker test needs: whether an engine answers (without one the tests skip, unless
// PHANTOM_REQUIRE_DOCKER=1, as CI sets it, makes that a failure), and what a run left on it.

import type { Test } from 'tap';
import { dockerClient, LABEL, withTimeout } from '../../src/drivers/docker/engine.js';

async function engineAnswers(): Promise<boolean> {
  try { await withTimeout(dockerClient().ping(), 3000, 'no answer'); return true; } catch { return false; }
}

/** false when an engine answers; else the skip reason (and, when required, a failure of `t`). */
export async function dockerSkip(t: Test): Promise<false | string> {
  if (await engineAnswers()) return false;
  if (process.env.PHANTOM_REQUIRE_DOCKER === '1') t.fail(`PHANTOM_REQUIRE_DOCKER=1 but no Docker engine answers (DOCKER_HOST=${process.env.DOCKER_HOST ?? 'unset'}): start dockerd`);
  return 'no Docker engine answers (start dockerd, or set PHANTOM_REQUIRE_DOCKER=1 to make this a failure)';
}

/** Containers, networks and volumes labelled with `runId`, in all. */
export async function leftovers(runId: string): Promise<number> {
  const docker = dockerClient();
  const filters = { label: [`${LABEL.run}=${runId}`] };
  const [c, n, v] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listNetworks({ filters }), docker.listVolumes({ filters })]);
  return c.length + n.length + (v.Volumes ?? []).length;
}
