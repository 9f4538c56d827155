// The Docker driver's reaper: every container, network and volume of a run carries the run
// id, this project's label and its runner's host:pid:start (engine.ts). A run whose runner is
// gone (same host, pid no longer that process) is removed by the next run or `clean`; with
// `all`, kept clusters too. No engine answering means nothing of ours can be running: nothing
// to reap, not an error (`clean` also runs where Docker is not installed).

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { LiveCluster, ReapResult, Reaper } from '../driver.js';
import { stateDir } from '../../util/paths.js';
import { isAlive } from '../process/registry.js';
import { InfraError } from '../../engine/errors.js';
import { apiMessage, dockerClient, engineAddress, LABEL, parseOwner, projectLabel, statusOf, withTimeout } from './engine.js';
import { IN_IMAGE } from './image.js';

/** `run --keep` marks a run kept here (labels cannot change once a container exists). */
function keptMarker(runId: string): string {
  return join(stateDir(), 'docker-kept', runId);
}

export function markKept(runId: string): void {
  mkdirSync(join(stateDir(), 'docker-kept'), { recursive: true });
  writeFileSync(keptMarker(runId), '');
}

/** Where a run's node logs go when it is given no log folder (`cluster up`): removed with the run. */
export function scratchLogDir(runId: string): string {
  return join(tmpdir(), `phantom-${runId}-logs`);
}

/** What exists of a run on the engine. */
interface RunResources {
  runId: string;
  owner?: string;
  kind: string;
  containers: Docker.ContainerInfo[];
  networks: Docker.NetworkInspectInfo[];
  volumes: Array<{ Name: string; Labels: Record<string, string> | null }>;
}

async function engineOrNone(): Promise<Docker | undefined> {
  const docker = dockerClient();
  try {
    await withTimeout(docker.ping(), 3000, 'no answer');
    return docker;
  } catch {
    return undefined;
  }
}

/**
 * The engine `cluster down` stops clusters on. None there (no socket, refused): nothing of
 * ours can be running. One there that does not answer may still run a cluster: an error,
 * never "no cluster is up".
 */
async function engineForDown(): Promise<Docker | undefined> {
  const docker = dockerClient();
  try {
    await withTimeout(docker.ping(), 3000, 'no answer within 3000 ms');
    return docker;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') return undefined;
    throw new InfraError(`the Docker engine at ${engineAddress()} did not answer (${(e as Error).message}): a cluster \`cluster up --driver docker\` started may still be running; make the engine answer, then run \`phantom-test cluster down\` again`);
  }
}

/** Every run of this project the engine holds something of, optionally only `runId`. */
export async function listRuns(docker: Docker, runId?: string): Promise<RunResources[]> {
  const filters = { label: [runId ? `${LABEL.run}=${runId}` : LABEL.run, `${LABEL.project}=${projectLabel()}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }).then((v) => v.Volumes ?? []),
  ]);
  const runs = new Map<string, RunResources>();
  const of = (labels: Record<string, string> | null | undefined) => {
    const id = labels?.[LABEL.run] ?? '?';
    let r = runs.get(id);
    if (!r) runs.set(id, (r = { runId: id, kind: 'run', containers: [], networks: [], volumes: [] }));
    r.owner ??= labels?.[LABEL.owner];
    if (labels?.[LABEL.kind] === 'cluster') r.kind = 'cluster';
    return r;
  };
  for (const c of containers) of(c.Labels).containers.push(c);
  for (const n of networks) of(n.Labels).networks.push(n);
  for (const v of volumes) of(v.Labels).volumes.push(v);
  for (const r of runs.values()) if (r.kind === 'run' && existsSync(keptMarker(r.runId))) r.kind = 'kept';
  return [...runs.values()];
}

/** The runner of a run is alive (a runner on another host sharing the engine counts as alive). */
function ownerAlive(owner: string | undefined): boolean {
  const o = parseOwner(owner);
  if (!o) return false;
  if (o.host !== hostname()) return true;
  return isAlive(o.pid, o.start || null);
}

/** Removes everything of a run: containers (killed), then its networks and volumes. */
export async function removeRun(docker: Docker, r: RunResources): Promise<ReapResult> {
  const res: ReapResult = { run_id: r.runId, kind: r.kind === 'run' ? 'run' : r.kind === 'cluster' ? 'cluster' : 'kept', killed: [], stopped: [], removed: [], problems: [] };
  await Promise.all(r.containers.map(async (c) => {
    const name = c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);
    try {
      const running = c.State === 'running' || c.State === 'paused';
      const pid = running ? (await docker.getContainer(c.Id).inspect()).State.Pid : 0;
      await docker.getContainer(c.Id).remove({ force: true, v: true });
      if (running) res.killed.push({ id: c.Labels[LABEL.node] ?? name, pid });
      res.removed.push(`container ${name}`);
    } catch (e) {
      if (statusOf(e) !== 404) res.problems.push(`could not remove container ${name}: ${apiMessage(e)}`);
    }
  }));
  for (const n of r.networks) {
    try { await docker.getNetwork(n.Id).remove(); res.removed.push(`network ${n.Name}`); } catch (e) { if (statusOf(e) !== 404) res.problems.push(`could not remove network ${n.Name}: ${apiMessage(e)}`); }
  }
  for (const v of r.volumes) {
    try { await docker.getVolume(v.Name).remove(); res.removed.push(`volume ${v.Name}`); } catch (e) { if (statusOf(e) !== 404) res.problems.push(`could not remove volume ${v.Name}: ${apiMessage(e)}`); }
  }
  rmSync(scratchLogDir(r.runId), { recursive: true, force: true });
  if (res.problems.length === 0) rmSync(keptMarker(r.runId), { force: true });
  return res;
}

export const dockerReaper: Reaper = {
  async reapOrphans(opts = {}): Promise<ReapResult[]> {
    const docker = await engineOrNone();
    if (!docker) return [];
    const runs = await listRuns(docker);
    const orphans = runs.filter((r) => (r.kind === 'run' ? !ownerAlive(r.owner) : Boolean(opts.all)));
    return Promise.all(orphans.map((r) => removeRun(docker, r)));
  },
  /** `cluster up --driver docker`'s clusters (and, with kept, `run --keep`'s), from the engine's labels. */
  async liveClusters(opts = {}): Promise<LiveCluster[]> {
    const docker = await engineOrNone();
    if (!docker) return [];
    return (await listRuns(docker)).filter((r) => r.kind === 'cluster' || (opts.kept && r.kind === 'kept')).map(liveCluster);
  },
  /** Stops `cluster up`'s clusters gracefully (SIGTERM, 10 s), then removes their containers, network and volumes. */
  async stopClusters(): Promise<ReapResult[]> {
    const docker = await engineForDown();
    if (!docker) return [];
    const out: ReapResult[] = [];
    for (const r of (await listRuns(docker)).filter((x) => x.kind === 'cluster')) {
      const stopped: ReapResult['stopped'] = [];
      const problems: string[] = [];
      await Promise.all(r.containers.filter((c) => c.State === 'running' || c.State === 'paused').map(async (c) => {
        const container = docker.getContainer(c.Id);
        try {
          const pid = (await container.inspect()).State.Pid;
          if (c.State === 'paused') await container.unpause();
          await container.stop({ t: 10 });
          if (c.Labels[LABEL.role] === 'node') stopped.push({ id: c.Labels[LABEL.node] ?? c.Id.slice(0, 12), pid });
        } catch (e) {
          if (statusOf(e) !== 304 && statusOf(e) !== 404) problems.push(`could not stop container ${c.Names[0]?.replace(/^\//, '')}: ${apiMessage(e)}`);
        }
      }));
      const removed = await removeRun(docker, r);
      out.push({ ...removed, stopped, killed: [], problems: [...problems, ...removed.problems] });
    }
    return out;
  },
};

/** A run's node containers as a LiveCluster: each reached on its port published on 127.0.0.1. */
function liveCluster(r: RunResources): LiveCluster {
  const nodes = r.containers.filter((c) => c.Labels[LABEL.role] === 'node').map((c) => {
    const port = c.Ports.find((p) => p.PrivatePort === IN_IMAGE.port && p.PublicPort)?.PublicPort;
    const container = c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);
    return { id: c.Labels[LABEL.node] ?? container, url: port ? `http://127.0.0.1:${port}` : '', container, log: `docker logs ${container}`, running: c.State === 'running' };
  }).sort((a, b) => (a.id < b.id ? -1 : 1));
  const created = Math.min(...r.containers.map((c) => c.Created));
  return { id: r.runId, kind: r.kind === 'kept' ? 'kept' : 'cluster', created: Number.isFinite(created) ? new Date(created * 1000).toISOString() : '', nodes };
}
