// The Docker engine as the driver sees it: a dockerode client for DOCKER_HOST (or the default
// socket), the labels every resource of a run carries, and what to say when no engine answers.
// Everything goes through the engine's API: the docker CLI is never run.

import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import Docker from 'dockerode';
import { InfraError } from '../../engine/errors.js';
import { stateDir } from '../../util/paths.js';
import { processStart } from '../process/registry.js';

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** phantom-test's label namespace. */
export const LABEL = {
  /** The run (one scenario's cluster) a resource belongs to. */
  run: 'io.phantom-test.run',
  /** The project (state folder) whose runs these are: `clean` in another checkout leaves them alone. */
  project: 'io.phantom-test.project',
  /** host:pid:start of the runner: gone means orphaned. */
  owner: 'io.phantom-test.owner',
  /** run, or cluster (`cluster up`). */
  kind: 'io.phantom-test.kind',
  node: 'io.phantom-test.node',
  /** node, or keeper (holds the tmpfs data volumes mounted across restarts). */
  role: 'io.phantom-test.role',
  /** On images: the hash of the inputs the image was built from. */
  inputs: 'io.phantom-test.inputs',
} as const;

/** Where the engine is, as the user would name it. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST ? `DOCKER_HOST=${process.env.DOCKER_HOST}` : `the socket unix://${DEFAULT_SOCKET} (DOCKER_HOST is not set)`;
}

/** A client for DOCKER_HOST, or the default socket (docker-modem reads the variable). */
export function dockerClient(): Docker {
  return new Docker();
}

/** A client that has answered a ping, or an InfraError saying where no engine answered. */
export async function connectEngine(timeoutMs = 5000): Promise<Docker> {
  const docker = dockerClient();
  try {
    await withTimeout(docker.ping(), timeoutMs, `no answer within ${timeoutMs} ms`);
  } catch (e) {
    throw new InfraError(
      `no Docker engine answers at ${engineAddress()}: ${(e as Error).message}. ` +
        'Start one (e.g. `sudo dockerd >/tmp/dockerd.log 2>&1 &`, or `sudo systemctl start docker`), or point DOCKER_HOST at a running engine.',
      { tried: `GET /_ping on ${engineAddress()}` },
    );
  }
  return docker;
}

export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The label value naming this project: a hash of its state folder. */
export function projectLabel(): string {
  return createHash('sha256').update(stateDir()).digest('hex').slice(0, 16);
}

/** host:pid:start of this process, what the reaper checks to tell a live runner. */
export function ownerLabel(pid = process.pid): string {
  return `${hostname()}:${pid}:${processStart(pid) ?? ''}`;
}

export function parseOwner(label: string | undefined): { host: string; pid: number; start: string } | undefined {
  const m = /^(.*):(\d+):(\d*)$/.exec(label ?? '');
  return m ? { host: m[1]!, pid: Number(m[2]), start: m[3]! } : undefined;
}

/** Labels of every container, network and volume of a run. */
export function runLabels(runId: string, kind: 'run' | 'cluster'): Record<string, string> {
  return { [LABEL.run]: runId, [LABEL.project]: projectLabel(), [LABEL.owner]: ownerLabel(), [LABEL.kind]: kind };
}

/** The engine's message of a failed API call (dockerode puts the JSON body's message in `json`). */
export function apiMessage(e: unknown): string {
  const err = e as { json?: { message?: string }; message?: string; statusCode?: number };
  return err.json?.message ?? err.message ?? String(e);
}

export function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number }).statusCode;
}
