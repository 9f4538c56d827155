// Command-line flags, each mirrored by an environment variable (flags win).
import { parseArgs } from 'node:util';
import type { LogFormat } from './util/log.js';
import { parseDuration } from './util/time.js';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './query/limits.js';
import { BUGS, isBugName, type BugName } from './bugs.js';

export interface NodeConfig {
  nodeId: string;
  host: string;
  port: number;
  dataDir: string;
  peers: Array<{ id: string; url: string }>;
  /**
   * Node-local routes: the URL this node dials to reach a peer, instead of the peer's own
   * (catalog) URL. Never stored in or sent to the catalog (a fault proxy sits on these).
   */
  peerUrls: Map<string, string>;
  token?: string;
  logFormat: LogFormat;
  maxBodyBytes: number;
  antiEntropyIntervalMs: number;
  queryLimits: QueryLimits;
  /** Planted bugs (--bug, command line only; bugs.ts): main.ts turns them on. */
  bugs?: readonly BugName[];
}

export class ConfigError extends Error {}

export const FLAGS = {
  'node-id': { env: 'PHANTOM_NODE_ID', help: 'Unique id of this node (letters, digits, - and _).', required: true },
  http: { env: 'PHANTOM_HTTP', help: 'Address to serve HTTP on, host:port (port 0 picks a free one).', default: '127.0.0.1:8181' },
  'data-dir': { env: 'PHANTOM_DATA_DIR', help: 'Directory for the WAL, shard data, catalog and hints. Created if missing.', required: true },
  peers: {
    env: 'PHANTOM_PEERS',
    help: 'Initial cluster members as id=url,... including this node; they are the first Raft voters of the catalog. Default: this node alone.',
  },
  'peer-url': {
    env: 'PHANTOM_PEER_URLS',
    help: 'id=url: reach peer id at url instead of its own URL (node-local, never put in the catalog). Repeatable; env: id=url,...',
    multiple: true,
  },
  token: { env: 'PHANTOM_TOKEN', help: 'Require "Authorization: Bearer <token>" (or "Token <token>") on every endpoint but /health and /ping.' },
  'log-format': { env: 'PHANTOM_LOG_FORMAT', help: 'json (default) or pretty.', default: 'json' },
  'max-body-bytes': { env: 'PHANTOM_MAX_BODY_BYTES', help: 'Largest accepted request body; larger gets 413.', default: String(10 * 1024 * 1024) },
  'anti-entropy-interval': { env: 'PHANTOM_ANTI_ENTROPY_INTERVAL', help: 'How often replicas compare shard digests, e.g. 2s; 0 disables.', default: '2s' },
  'query-timeout': { env: 'PHANTOM_QUERY_TIMEOUT', help: 'Longest a SQL query may run (parse, scans, final stage), e.g. 10s; longer gets 400.', default: '10s' },
  'query-max-rows': {
    env: 'PHANTOM_QUERY_MAX_ROWS',
    help: 'Most rows a query stage (one shard scan, all scans gathered, the result) may produce; more gets 400.',
    default: String(DEFAULT_QUERY_LIMITS.maxRows),
  },
  'query-max-bytes': {
    env: 'PHANTOM_QUERY_MAX_BYTES',
    help: 'Most bytes (approximate) a query stage may produce; more gets 400.',
    default: String(DEFAULT_QUERY_LIMITS.maxBytes),
  },
  'query-max-string-length': {
    env: 'PHANTOM_QUERY_MAX_STRING_LENGTH',
    help: 'Longest string a SQL string function (lpad, repeat, replace, ||, ...) may build, in characters; longer gets 400.',
    default: String(DEFAULT_QUERY_LIMITS.maxStringLength),
  },
} as const satisfies Record<string, { env: string; help: string; required?: boolean; default?: string; multiple?: boolean }>;

/** Flags given at most once (the others, like --peer-url, repeat). */
type SingleFlag = Exclude<keyof typeof FLAGS, 'peer-url'>;

export function helpText(): string {
  const lines = [
    'phantom-reference: one node of the phantom-test reference cluster (InfluxDB 3 HTTP API, sharded and replicated).',
    '',
    'Usage: phantom-reference --node-id ID --data-dir DIR [--http HOST:PORT] [--peers id=url,...] [options]',
    '',
    'Options:',
  ];
  for (const [name, f] of Object.entries(FLAGS)) {
    const def = 'default' in f ? ` [default: ${f.default}]` : '';
    const req = 'required' in f && f.required ? ' (required)' : '';
    lines.push(`  --${name.padEnd(24)} ${f.help}${req}${def}`, `  ${''.padEnd(26)} env: ${f.env}`);
  }
  lines.push(
    `  --${'bug NAME'.padEnd(24)} Plant a known bug, to check that a test suite catches it. Repeatable; command line only (no env).`,
    ...Object.entries(BUGS).map(([name, what]) => `  ${''.padEnd(28)}${name}: ${what}`),
  );
  lines.push('  --help                     Show this help.', '');
  return lines.join('\n');
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): NodeConfig | 'help' {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(Object.entries(FLAGS).map(([k, f]) => [k, { type: 'string' as const, multiple: 'multiple' in f && f.multiple }])),
        bug: { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}. Run with --help for the list of flags.`);
  }
  if (values.help) return 'help';
  const get = (name: SingleFlag): string | undefined => {
    const f = FLAGS[name];
    const v = (values[name] as string | undefined) ?? env[f.env] ?? ('default' in f ? f.default : undefined);
    if (v === undefined && 'required' in f && f.required) throw new ConfigError(`--${name} is required (or set ${f.env})`);
    return v;
  };
  const nodeId = get('node-id')!;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(nodeId)) throw new ConfigError(`--node-id '${nodeId}' must be 1-64 letters, digits, '-' or '_'`);
  const http = get('http')!;
  const m = /^(.*):(\d+)$/.exec(http);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`--http '${http}' must be host:port`);
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = Number(m[2]);
  const logFormat = get('log-format');
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new ConfigError(`--log-format must be json or pretty, not '${logFormat}'`);
  const maxBodyBytes = Number(get('max-body-bytes'));
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) throw new ConfigError(`--max-body-bytes must be a positive integer`);
  const ae = get('anti-entropy-interval')!;
  const aeNs = ae === '0' ? 0n : parseDuration(ae);
  const aeMs = aeNs === undefined ? undefined : Number(aeNs / 1_000_000n);
  if (aeMs === undefined) throw new ConfigError(`--anti-entropy-interval '${ae}' is not a duration like 500ms or 2s`);
  const queryLimits = parseQueryLimits(get);
  const peers: Array<{ id: string; url: string }> = [];
  const rawPeers = get('peers');
  if (rawPeers) {
    for (const part of rawPeers.split(',').map((s) => s.trim()).filter(Boolean)) {
      const eq = part.indexOf('=');
      const id = part.slice(0, eq);
      const url = part.slice(eq + 1).replace(/\/+$/, '');
      if (eq <= 0 || !/^https?:\/\/[^/]+$/.test(url)) throw new ConfigError(`--peers entry '${part}' must look like id=http://host:port`);
      if (peers.some((p) => p.id === id)) throw new ConfigError(`--peers lists node '${id}' twice`);
      peers.push({ id, url });
    }
  }
  const peerUrls = parsePeerUrls(nodeId, (values['peer-url'] as string[] | undefined) ?? env[FLAGS['peer-url'].env]?.split(',') ?? []);
  const token = get('token');
  const bugs = parseBugs((values.bug as string[] | undefined) ?? []);
  return {
    nodeId, host, port, dataDir: get('data-dir')!, peers, peerUrls, token: token || undefined, logFormat, maxBodyBytes, antiEntropyIntervalMs: aeMs, queryLimits,
    ...(bugs.length > 0 ? { bugs } : {}),
  };
}

/** `--bug NAME` entries: each must name a planted bug (bugs.ts). */
function parseBugs(names: string[]): BugName[] {
  const out: BugName[] = [];
  for (const name of names) {
    if (!isBugName(name)) throw new ConfigError(`--bug '${name}' is not a known bug; valid: ${Object.keys(BUGS).join(', ')}`);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** `--peer-url id=url` entries (flags replace the environment's list, like every flag). */
function parsePeerUrls(selfId: string, entries: string[]): Map<string, string> {
  const routes = new Map<string, string>();
  for (const part of entries.map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const id = part.slice(0, eq);
    const url = part.slice(eq + 1).replace(/\/+$/, '');
    if (eq <= 0 || !/^https?:\/\/[^/]+$/.test(url)) throw new ConfigError(`--peer-url '${part}' must look like id=http://host:port`);
    if (id === selfId) throw new ConfigError(`--peer-url '${part}' names this node; it only routes calls to other nodes`);
    if (routes.has(id)) throw new ConfigError(`--peer-url gives node '${id}' two URLs`);
    routes.set(id, url);
  }
  return routes;
}

function parseQueryLimits(get: (name: SingleFlag) => string | undefined): QueryLimits {
  const qt = get('query-timeout')!;
  const qtNs = parseDuration(qt);
  if (qtNs === undefined || qtNs < 1_000_000n) throw new ConfigError(`--query-timeout '${qt}' is not a duration of at least 1ms like 500ms or 10s`);
  const positive = (name: 'query-max-rows' | 'query-max-bytes' | 'query-max-string-length'): number => {
    const v = Number(get(name));
    if (!Number.isSafeInteger(v) || v <= 0) throw new ConfigError(`--${name} must be a positive integer`);
    return v;
  };
  return {
    // Beyond 2^31-1 ms a timer would fire at once: cap at ~24 days.
    timeoutMs: Math.min(Number(qtNs / 1_000_000n), 2 ** 31 - 1),
    maxRows: positive('query-max-rows'),
    maxBytes: positive('query-max-bytes'),
    maxStringLength: Math.min(positive('query-max-string-length'), 1 << 29),
  };
}
