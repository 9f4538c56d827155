// The reference-server image. No registry is reachable, so it is built FROM scratch
// (reference-server/Dockerfile) with a root filesystem put together here: the host's node
// binary and the shared libraries `ldd` lists for it, for better-sqlite3's native addon, for
// libfaketime (clock faults) and for iptables (partitions, netfilter.ts), the server's dist/
// and the node_modules it loads at run time. The image is tagged with a hash of all of that, so it is rebuilt only when an input
// changes; the build context goes to the engine as a tar stream (tar.ts).

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type Docker from 'dockerode';
import { InfraError } from '../../engine/errors.js';
import { PACKAGE_ROOT, stateDir } from '../../util/paths.js';
import { clockSupport } from '../process/clock.js';
import { committedLayers } from './build-layers.js';
import { apiMessage, LABEL, statusOf } from './engine.js';
import { IN_IMAGE_IPTABLES, iptablesSupport } from './netfilter.js';
import { tarStream, type TarEntry } from './tar.js';

export const IMAGE_REPO = 'phantom-test/reference-server';
/** Where things are inside the image (reference-server/Dockerfile names the same). */
export const IN_IMAGE = {
  node: '/usr/local/bin/node',
  libfaketime: '/usr/lib/phantom/libfaketime.so.1',
  clockFile: '/phantom/clock/faketime',
  dataDir: '/data',
  port: 8181,
} as const;

/** Packages the server imports (reference-server/src), and what of the heavy ones it loads. */
const ROOTS = ['better-sqlite3', 'undici', 'pino', 'node-sql-parser'];
const ONLY: Record<string, (rel: string) => boolean> = {
  // 89 MB of dialects; the server loads the PostgreSQL one.
  'node-sql-parser': (rel) => rel === 'package.json' || rel === 'build/postgresql.js',
  // Sources and build intermediates of the addon are not loaded.
  'better-sqlite3': (rel) => rel === 'package.json' || rel.startsWith('lib/') || rel === 'build/Release/better_sqlite3.node',
};
/** Dependencies used only when installing. */
const SKIP = new Set(['prebuild-install', '@types/pegjs']);

/** An entry of the context whose data is read from `file` when the context is sent. */
export type ContextEntry = TarEntry & { file?: string };

export interface ImageInputs {
  hash: string;
  tag: string;
  entries: ContextEntry[];
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * File digests by (path, inode, size, mtime), kept in the state folder: hashing the 100 MB
 * of inputs on every run would cost a second of each cluster start.
 */
class DigestCache {
  private readonly path = join(stateDir(), 'docker-image-digests.json');
  private readonly known: Record<string, string>;
  private readonly used: Record<string, string> = {};
  constructor() {
    try { this.known = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string>; } catch { this.known = {}; }
  }
  of(file: string): string {
    const st = statSync(file);
    const key = `${file}\0${st.ino}\0${st.size}\0${st.mtimeMs}`;
    this.used[key] = this.known[key] ?? sha256(readFileSync(file));
    return this.used[key]!;
  }
  save(): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.used));
      renameSync(tmp, this.path);
    } catch { /* a cache: the next run hashes again */ }
  }
}

let memo: ImageInputs | undefined;

/** Everything the image is built from, and its hash (computed once per process). */
export function imageInputs(root = PACKAGE_ROOT): ImageInputs {
  if (memo) return memo;
  const entries: ContextEntry[] = [];
  // PHANTOM_DOCKERFILE: another Dockerfile over the same context (trying a change to the image; the build-failure test).
  const dockerfile = process.env.PHANTOM_DOCKERFILE || join(root, 'reference-server', 'Dockerfile');
  const dist = join(root, 'reference-server', 'dist');
  if (!existsSync(join(dist, 'main.js'))) throw new InfraError(`reference server not built (${dist}/main.js is missing): run \`npm run build\` first`);
  entries.push({ path: 'Dockerfile', data: readFileSync(dockerfile) });
  // Files are read only if the image must be built; the hash uses digests cached by stat.
  const add = (inImage: string, file: string, mode?: number) => {
    entries.push({ path: `rootfs${inImage}`, file, mode: mode ?? (statSync(file).mode & 0o777) });
  };
  const nodeBinary = realpathSync(process.execPath);
  add(IN_IMAGE.node, nodeBinary, 0o755);
  const addon = resolvePackage('better-sqlite3', root);
  const libraries = new Set<string>([...ldd(nodeBinary), ...(addon ? ldd(join(addon, 'build/Release/better_sqlite3.node')) : [])]);
  const faketime = clockSupport();
  if (faketime.ok) {
    add(IN_IMAGE.libfaketime, faketime.library, 0o755);
    for (const l of ldd(faketime.library)) libraries.add(l);
  }
  // iptables for partitions (netfilter.ts): the binary, its libraries, the extensions it loads.
  const iptables = iptablesSupport();
  if (iptables.ok) {
    add(IN_IMAGE_IPTABLES.binary, iptables.binary, 0o755);
    for (const ext of iptables.extensions) add(`${IN_IMAGE_IPTABLES.extensions}/${basename(ext)}`, ext, 0o755);
    for (const l of ldd(iptables.binary)) libraries.add(l);
    entries.push({ path: 'rootfs/run/', mode: 0o755 }); // iptables -w takes its lock in /run
  }
  // Each library at the path ldd named (symlinks resolved: the image gets the file itself).
  for (const lib of [...libraries].sort()) add(lib, realpathSync(lib), 0o755);
  // The clock starts at real time: a timestamp file at offset 0 that setClock replaces.
  entries.push({ path: `rootfs${IN_IMAGE.clockFile}`, data: Buffer.from('+0.000000 x1\n') });
  entries.push({ path: 'rootfs/tmp/', mode: 0o1777 }, { path: `rootfs${IN_IMAGE.dataDir}/`, mode: 0o755 });
  entries.push({ path: 'rootfs/app/package.json', data: Buffer.from('{"type":"module","private":true}\n') });
  for (const f of walk(dist)) if (!/\.(map|d\.ts)$/.test(f)) add(`/app/reference-server/dist/${relative(dist, f)}`, f);
  for (const [name, dir] of runtimePackages(root)) {
    const only = ONLY[name];
    for (const f of walk(dir, (d) => d === join(dir, 'node_modules'))) {
      const rel = relative(dir, f);
      if (only ? only(rel) : !/(\.(map|md|d\.ts|markdown)$)|(^(test|tests|docs|benchmarks?|example)\/)/i.test(rel)) add(`/app/node_modules/${name}/${rel}`, f);
    }
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const digests = new DigestCache();
  const h = createHash('sha256');
  for (const e of entries) h.update(`${e.path}\0${e.mode ?? ''}\0${e.file ? digests.of(e.file) : e.data ? sha256(e.data) : 'dir'}\n`);
  digests.save();
  const hash = h.digest('hex');
  memo = { hash, tag: `${IMAGE_REPO}:${hash.slice(0, 16)}`, entries };
  return memo;
}

/** Libraries a binary loads, as ldd lists them (the loader included; the vDSO has no file). */
export function ldd(file: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new InfraError(`cannot list the libraries of ${file} with ldd: ${(e as Error).message}`);
  }
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]!);
    else if (/not found/.test(line)) throw new InfraError(`ldd ${file}: ${line.trim()}`);
  }
  return libs;
}

/** A package's folder as node would resolve it from `from` (walking up node_modules folders). */
function resolvePackage(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The server's runtime packages and their dependencies, flattened to one node_modules
 * (name -> folder). A version conflict would need nesting; it is refused, not guessed.
 */
function runtimePackages(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (name: string, from: string) => {
    if (SKIP.has(name)) return;
    const dir = resolvePackage(name, from);
    if (!dir) throw new InfraError(`the reference server needs the package ${name}, which is not installed (run npm install)`);
    const seen = found.get(name);
    if (seen) {
      if (seen !== dir) throw new InfraError(`two versions of ${name} (${seen}, ${dir}) would go into the image; only one is supported`);
      return;
    }
    found.set(name, dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir);
  };
  for (const r of ROOTS) visit(r, join(root, 'reference-server'));
  return found;
}

function walk(dir: string, skip: (d: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { if (!skip(p)) out.push(...walk(p, skip)); } else if (e.isFile() || e.isSymbolicLink()) out.push(p);
  }
  return out;
}

/** Builds the image unless one with this inputs' tag exists. Returns the tag and whether it built. */
export async function ensureImage(docker: Docker, inputs = imageInputs()): Promise<{ tag: string; built: boolean }> {
  try {
    await docker.getImage(inputs.tag).inspect();
    return { tag: inputs.tag, built: false };
  } catch (e) {
    if (statusOf(e) !== 404) throw new InfraError(`could not look up image ${inputs.tag}: ${apiMessage(e)}`);
  }
  await buildImage(docker, inputs.entries, inputs.tag, { [LABEL.inputs]: inputs.hash });
  return { tag: inputs.tag, built: true };
}

/**
 * Builds from a context and scans the output: the engine reports a failed step inside the
 * stream (dockerode resolves anyway), so an `error` there is a failure, with the last lines.
 * A failed build leaves no tag, and (rm, forcerm) no container; the layers its successful steps
 * committed would stay as untagged images, so they are removed (by the ids the stream names).
 */
export async function buildImage(docker: Docker, context: ContextEntry[], tag: string, labels: Record<string, string> = {}): Promise<void> {
  const lines: string[] = [];
  let failure: string | undefined;
  try {
    const stream = await docker.buildImage(tarStream(readLazily(context)), { t: tag, labels, rm: true, forcerm: true });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve()), (ev: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
        lines.push(...(ev.stream?.split('\n').filter((l) => l.trim()) ?? []));
        if (ev.error || ev.errorDetail) failure = ev.errorDetail?.message ?? ev.error;
      });
    });
  } catch (e) {
    failure = apiMessage(e);
  }
  if (failure !== undefined) {
    const problems = await removeLayers(docker, committedLayers(lines));
    throw new InfraError(`building image ${tag} failed: ${failure}`, {
      tried: `docker build (through the engine API) of ${process.env.PHANTOM_DOCKERFILE || 'reference-server/Dockerfile'}`,
      logTail: [...lines.slice(-15), failure, ...problems].join('\n'),
    });
  }
}

/** Removes a failed build's layers, newest first (a parent goes once its child is gone); returns what could not be. */
async function removeLayers(docker: Docker, layers: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const id of [...layers].reverse()) {
    try {
      await docker.getImage(id).remove({ noprune: true }); // only the layers this build made
    } catch (e) {
      // 404: gone already; 409: another image is built on it now (a concurrent build's cache).
      if (statusOf(e) !== 404 && statusOf(e) !== 409) problems.push(`could not remove layer ${id} of the failed build: ${apiMessage(e)}`);
    }
  }
  return problems;
}

/** The entries with their files' data, read one at a time as the stream is consumed. */
function* readLazily(context: ContextEntry[]): Generator<TarEntry> {
  for (const e of context) yield e.file ? { path: e.path, mode: e.mode, data: readFileSync(e.file) } : e;
}

/** For tests: forget the hashed inputs (they changed on disk). */
export function forgetImageInputs(): void {
  memo = undefined;
}
