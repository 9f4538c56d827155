// Run detached by DockerDriver.emergencyKill when the runner exits abruptly: removes one
// run's containers, network and volumes by label, then exits. Whatever it misses, the next
// run's reaper (or `clean`) removes, the runner being gone.

import { dockerClient } from './engine.js';
import { listRuns, removeRun } from './reaper.js';

const runId = process.argv[2];
if (runId) {
  const docker = dockerClient();
  for (const run of await listRuns(docker, runId).catch(() => [])) await removeRun(docker, run).catch(() => undefined);
}
