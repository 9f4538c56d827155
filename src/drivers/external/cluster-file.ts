// The cluster file of the external driver: the nodes of a cluster someone else runs (their
// URLs), and optionally how to fault each one: a Docker container name, or shell commands.
// Read once by `run` before anything starts; every problem comes back at its place
// (file:line:col), all at once.
//
//   token: secret                 # or token_env: NAME (read from the environment); optional
//   command_timeout: 30s          # per fault command; optional
//   nodes:
//     - id: n1
//       url: http://127.0.0.1:8181
//       peer_url: http://db1:8181 # optional: where the other nodes reach it
//       container: shop-db1-1     # faults through the Docker engine, or:
//       commands: { kill: ..., start: ..., stop: ..., pause: ..., resume: ... }
//       network: { partition: ..., heal: ..., probe: ... }  # this node's own, else the file's:
//   network:                      # how to cut node-to-node links (network.ts), optional
//     partition: ...              # cuts {node}'s calls to {peer} ({peer_host}:{peer_port}, {mode})
//     heal: ...                   # undoes one partition command, given the same placeholders
//     probe: ...                  # exit 0 when {node} reaches {peer}: the cut's witness

import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { Diagnostic } from '../../scenario/diagnostics.js';
import { sortDiagnostics } from '../../scenario/diagnostics.js';
import { SourceMap, type JsonPath } from '../../scenario/positions.js';
import { isDurationError, readDuration } from '../../scenario/duration.js';

/** What a fault can ask of a node's process (a restart is a stop, then a start). */
export const NODE_ACTIONS = ['kill', 'start', 'stop', 'pause', 'resume'] as const;
export type NodeAction = (typeof NODE_ACTIONS)[number];

/** How links between nodes are cut, healed and checked: shell commands with placeholders. */
export const NETWORK_COMMANDS = ['partition', 'heal', 'probe'] as const;
export type NetworkCommand = (typeof NETWORK_COMMANDS)[number];
/** What a network command may name, as {name}: the link's source node, its peer, and the cut's mode. */
export const NETWORK_PLACEHOLDERS = ['node', 'container', 'peer', 'peer_host', 'peer_port', 'mode'] as const;

export interface ExternalNode {
  id: string;
  url: string;
  peerUrl: string;
  /** A Docker container: every action goes through the engine. */
  container?: string;
  /** Shell commands, by action (the actions without one cannot be done). */
  commands?: Partial<Record<NodeAction, string>>;
  /** Commands for the links from this node: its own, else the file's top-level ones. */
  network?: Partial<Record<NetworkCommand, string>>;
}

export interface ExternalCluster {
  file: string;
  token?: string;
  commandTimeoutMs: number;
  nodes: ExternalNode[];
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

const TOP_KEYS = ['token', 'token_env', 'command_timeout', 'network', 'nodes'];
const NODE_KEYS = ['id', 'url', 'peer_url', 'container', 'commands', 'network'];
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const CONTAINER = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export type ClusterFileRead = { cluster: ExternalCluster } | { diagnostics: Diagnostic[] };

export function readClusterFile(file: string, env: NodeJS.ProcessEnv = process.env): ClusterFileRead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { diagnostics: [{ file, line: 1, col: 1, message: `cannot read the cluster file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }] };
  }
  return parseClusterFile(file, text, env);
}

export function parseClusterFile(file: string, text: string, env: NodeJS.ProcessEnv = process.env): ClusterFileRead {
  const diagnostics: Diagnostic[] = [];
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  for (const err of doc.errors) {
    const p = lines.linePos(err.pos[0]);
    diagnostics.push({ file, line: p.line, col: p.col, message: `invalid YAML: ${err.message.split('\n')[0]}` });
  }
  if (diagnostics.length) return { diagnostics };
  const map = new SourceMap(doc, lines, text);
  const at = (path: JsonPath, message: string, key = false) => {
    const p = map.position(path, { key });
    diagnostics.push({ file, line: p.line, col: p.col, message });
  };
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (!isObject(data)) {
    at([], 'a cluster file is a map with a "nodes" list (each node: id, url)');
    return { diagnostics };
  }
  unknownKeys(data, TOP_KEYS, [], at);

  let token: string | undefined;
  if (data.token !== undefined && data.token_env !== undefined) at(['token_env'], 'give either "token" or "token_env", not both', true);
  else if (data.token !== undefined) {
    if (typeof data.token !== 'string' || data.token === '') at(['token'], 'token must be a non-empty string');
    else token = data.token;
  } else if (data.token_env !== undefined) {
    if (typeof data.token_env !== 'string' || data.token_env === '') at(['token_env'], 'token_env must name an environment variable');
    else if (!env[data.token_env]) at(['token_env'], `the environment variable ${data.token_env} is not set (or empty)`);
    else token = env[data.token_env];
  }

  let commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS;
  if (data.command_timeout !== undefined) {
    const r = readDuration(data.command_timeout, 'timeout');
    if (isDurationError(r)) at(['command_timeout'], `command_timeout: ${r.error}`);
    else commandTimeoutMs = Number(r.ns) / 1e6;
  }

  const network = readNetwork(data.network, ['network'], at);

  const nodes: ExternalNode[] = [];
  if (!Array.isArray(data.nodes) || data.nodes.length === 0) {
    at(data.nodes === undefined ? [] : ['nodes'], data.nodes === undefined ? 'missing "nodes": the list of the cluster\'s nodes (each: id, url)' : '"nodes" must be a non-empty list of nodes (each: id, url)');
  } else {
    const seen = new Map<string, number>();
    data.nodes.forEach((raw: unknown, i: number) => {
      const id = isObject(raw) && typeof raw.id === 'string' ? raw.id : undefined;
      if (id !== undefined && seen.has(id)) at(['nodes', i, 'id'], `node id "${id}" is listed twice (first as node ${seen.get(id)! + 1})`);
      if (id !== undefined && !seen.has(id)) seen.set(id, i);
      const node = readNode(raw, ['nodes', i], at, () => diagnostics.length, network);
      if (node) nodes.push(node);
    });
  }
  if (diagnostics.length) return { diagnostics: sortDiagnostics(diagnostics) };
  return { cluster: { file, ...(token !== undefined ? { token } : {}), commandTimeoutMs, nodes } };
}

function readNode(raw: unknown, path: JsonPath, at: (path: JsonPath, message: string, key?: boolean) => void, problems: () => number, shared: ExternalNode['network']): ExternalNode | undefined {
  if (!isObject(raw)) {
    at(path, 'a node is a map with at least "id" and "url"');
    return undefined;
  }
  const before = problems();
  unknownKeys(raw, NODE_KEYS, path, at);
  if (typeof raw.id !== 'string' || !ID.test(raw.id)) {
    at(raw.id === undefined ? path : [...path, 'id'], raw.id === undefined ? 'missing "id" (the node id scenarios name)' : `id must be letters, digits, _ . - (got ${JSON.stringify(raw.id)})`);
  }
  const url = readUrl(raw.url, [...path, 'url'], 'url', at, path);
  const peerUrl = raw.peer_url === undefined ? url : readUrl(raw.peer_url, [...path, 'peer_url'], 'peer_url', at, path);
  if (raw.container !== undefined && raw.commands !== undefined) at([...path, 'commands'], 'give either "container" or "commands" to fault a node, not both', true);
  // Docker's own rule for names (ids fit it too): nothing a shell command could read as code.
  if (raw.container !== undefined && (typeof raw.container !== 'string' || !CONTAINER.test(raw.container))) {
    at([...path, 'container'], `container must be a container name or id: letters, digits, _ . - not first (got ${JSON.stringify(raw.container)})`);
  }
  let commands: ExternalNode['commands'];
  if (raw.commands !== undefined) {
    if (!isObject(raw.commands)) at([...path, 'commands'], `commands must be a map of ${NODE_ACTIONS.join(', ')} to shell commands`);
    else {
      unknownKeys(raw.commands, [...NODE_ACTIONS], [...path, 'commands'], at);
      commands = {};
      for (const action of NODE_ACTIONS) {
        const c = raw.commands[action];
        if (c === undefined) continue;
        if (typeof c !== 'string' || c.trim() === '') at([...path, 'commands', action], `the ${action} command must be a non-empty string (run with sh -c)`);
        else commands[action] = c;
      }
    }
  }
  const own = raw.network === undefined ? undefined : readNetwork(raw.network, [...path, 'network'], at);
  const network = raw.network === undefined ? shared : own;
  // {container} in the file's commands stands for each node's: one without a container cannot fill it.
  if (network && raw.container === undefined && Object.values(network).some((c) => c.includes('{container}'))) {
    at(raw.network === undefined ? path : [...path, 'network'], `the network commands name {container}, and node ${JSON.stringify(raw.id)} gives no container`);
  }
  if (problems() > before) return undefined;
  return {
    id: raw.id as string, url: url!, peerUrl: peerUrl!,
    ...(typeof raw.container === 'string' ? { container: raw.container } : {}), ...(commands ? { commands } : {}),
    ...(network ? { network } : {}),
  };
}

/** A network map: partition goes with heal (teardown undoes every cut), placeholders are known ones. */
function readNetwork(raw: unknown, path: JsonPath, at: (path: JsonPath, message: string, key?: boolean) => void): ExternalNode['network'] {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) {
    at(path, `network must be a map of ${NETWORK_COMMANDS.join(', ')} to shell commands`);
    return undefined;
  }
  unknownKeys(raw, [...NETWORK_COMMANDS], path, at);
  const out: NonNullable<ExternalNode['network']> = {};
  for (const name of NETWORK_COMMANDS) {
    const c = raw[name];
    if (c === undefined) continue;
    if (typeof c !== 'string' || c.trim() === '') { at([...path, name], `the ${name} command must be a non-empty string (run with sh -c)`); continue; }
    const unknown = [...c.matchAll(/\{([A-Za-z_]+)\}/g)].map((m) => m[1]!).filter((p) => !(NETWORK_PLACEHOLDERS as readonly string[]).includes(p));
    if (unknown.length) at([...path, name], `unknown placeholder {${unknown[0]}} (known: ${NETWORK_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`);
    else out[name] = c;
  }
  if (raw.partition !== undefined && raw.heal === undefined) at(path, 'a partition command needs a heal command (teardown heals every cut it made)');
  if (raw.heal !== undefined && raw.partition === undefined) at(path, 'a heal command without a partition command is never run: give partition too');
  if (raw.probe !== undefined && raw.partition === undefined) at(path, 'a probe command without a partition command is never run: give partition and heal too');
  return out;
}

function readUrl(v: unknown, path: JsonPath, key: string, at: (path: JsonPath, message: string, key?: boolean) => void, parent: JsonPath): string | undefined {
  if (v === undefined) {
    at(parent, `missing "${key}" (where the runner reaches the node, e.g. http://127.0.0.1:8181)`);
    return undefined;
  }
  let u: URL | undefined;
  try { u = typeof v === 'string' ? new URL(v) : undefined; } catch { u = undefined; }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.pathname.length > 1 || u.search || u.hash) {
    at(path, `${key} must be an http(s) URL with no path, e.g. http://127.0.0.1:8181 (got ${JSON.stringify(v)})`);
    return undefined;
  }
  return `${u.protocol}//${u.host}`;
}

function unknownKeys(o: Record<string, unknown>, known: string[], path: JsonPath, at: (path: JsonPath, message: string, key?: boolean) => void): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) at([...path, k], `unknown key "${k}" (known here: ${known.join(', ')})`, true);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

