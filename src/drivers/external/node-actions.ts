// How the external driver acts on a node it did not start: through the Docker engine on
// the node's container (dockerode, never the docker CLI), or by running the user's shell
// command for the action, with a timeout, its output appended to the node's log.

import { appendFileSync, closeSync, openSync } from 'node:fs';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { InfraError } from '../../engine/errors.js';
import { apiMessage, connectEngine, statusOf } from '../docker/engine.js';
import type { ExternalNode, NodeAction } from './cluster-file.js';

export interface ActionContext {
  /** The node's log file: each action is noted there, with a command's output. */
  log: string;
  timeoutMs: number;
  /** A timeout is the command's answer (returned as timedOut), not an error: a probe's. */
  timeoutAnswers?: boolean;
}

/** Whether the node's entry says how to do the action. */
export function canDo(node: ExternalNode, action: NodeAction): boolean {
  return node.container !== undefined || node.commands?.[action] !== undefined;
}

let engine: Promise<Docker> | undefined;
/** One engine connection per runner, made when a container is first needed. */
export function dockerEngine(): Promise<Docker> {
  engine ??= connectEngine().catch((e) => { engine = undefined; throw e; });
  return engine;
}

export async function perform(node: ExternalNode, action: NodeAction, c: ActionContext): Promise<void> {
  if (node.container !== undefined) return containerAction(node, node.container, action, c);
  const command = node.commands?.[action];
  if (command === undefined) throw new InfraError(`cannot ${action} node ${node.id}: the cluster file gives no ${action} command for it`);
  return runCommand(node, action, command, c);
}

async function containerAction(node: ExternalNode, name: string, action: NodeAction, c: ActionContext): Promise<void> {
  const container = (await dockerEngine()).getContainer(name);
  note(c.log, `${action} container ${name}`);
  try {
    if (action === 'kill') await container.kill({ signal: 'SIGKILL' });
    else if (action === 'stop') await container.stop({ t: 10 });
    else if (action === 'start') await container.start();
    else if (action === 'pause') await container.pause();
    else await container.unpause();
  } catch (e) {
    // 304: already in the asked state (stopped, started).
    if (statusOf(e) === 304) return;
    throw new InfraError(`could not ${action} node ${node.id} (container ${name}): ${apiMessage(e)}`);
  }
}

/** Runs `sh -c command` with the node's id and URL in its environment; a non-zero exit or a timeout is an error. */
async function runCommand(node: ExternalNode, action: NodeAction, command: string, c: ActionContext): Promise<void> {
  const r = await runShell(node, action, command, c);
  if (r.exitCode !== 0) {
    throw new InfraError(`the ${action} command of node ${node.id} failed (${r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode ?? '-'}`}; its output is in ${c.log})`, { tried: command });
  }
}

/**
 * Runs `sh -c command` with PHANTOM_NODE_ID, PHANTOM_NODE_URL and `env` set, its output
 * appended to the node's log; a timeout is an error, the exit code is the caller's to judge.
 */
export async function runShell(node: ExternalNode, what: string, command: string, c: ActionContext, env: Record<string, string> = {}): Promise<{ exitCode?: number; signal?: string; timedOut?: boolean }> {
  note(c.log, `${what}: ${command}`);
  // Straight into the log file, not through a pipe: a command that leaves a server running in
  // the background (a start command) would otherwise hold the pipe open and never "end".
  const fd = openSync(c.log, 'a') as unknown as 'ignore';
  let r;
  try {
    r = await execa(command, {
      shell: true, reject: false, timeout: c.timeoutMs, stdin: 'ignore', stdout: fd, stderr: fd,
      env: { PHANTOM_NODE_ID: node.id, PHANTOM_NODE_URL: node.url, ...env }, extendEnv: true,
    });
  } finally {
    closeSync(fd as unknown as number);
  }
  if (r.timedOut && c.timeoutAnswers) {
    note(c.log, `${what}: did not finish within ${c.timeoutMs} ms`);
    return { timedOut: true };
  }
  if (r.timedOut) throw new InfraError(`the ${what} command of node ${node.id} did not finish within ${c.timeoutMs} ms`, { tried: command });
  return { exitCode: r.exitCode, signal: r.signal };
}

function note(log: string, what: string): void {
  try { appendFileSync(log, `[phantom-test ${new Date().toISOString()}] ${what}\n`); } catch { /* the log is a courtesy */ }
}
