// Disk faults on the process driver: as root, a node's data dir is a size-limited tmpfs
// mounted before the node starts; disk_full fills it with one filler file until the kernel
// says ENOSPC (the node's own files are left alone), disk_free deletes the filler. Mounts
// carry the source name `phantom-tmpfs` and sit under the run's temp dir, so a reaper finds
// what a killed runner left in /proc/mounts and never touches a mount it did not make.
//
// A full tmpfs still accepts a new empty file (an inode, no block) and small appends into the
// last, partly used page of a file: the witnesses write a whole page into a new file.

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';

/** The mount's source name: what marks a tmpfs in /proc/mounts as ours. */
export const MOUNT_SOURCE = 'phantom-tmpfs';
/** The file disk_full grows, in the root of the data dir. */
export const FILLER = '.phantom-disk-filler';
const PROBE = '.phantom-disk-probe';
const PAGE = 4096;

export type DiskSupport = { ok: true } | { ok: false; reason: string };

let support: DiskSupport | undefined;

/**
 * Whether this process can run disk faults: it must be root with CAP_SYS_ADMIN, which
 * mount(2) needs (a container without it cannot mount a tmpfs). Read from /proc, never tried:
 * every driver asks when it is made, and a trial mount would cost every run two commands and
 * leave a mount and a temp dir behind when the runner is killed in the middle of it.
 */
export function diskSupportSync(): DiskSupport {
  support ??= probe();
  return support;
}

/** diskSupportSync, as a promise. */
export async function diskSupport(): Promise<DiskSupport> {
  return diskSupportSync();
}

/** CAP_SYS_ADMIN's bit in the capability sets of /proc/<pid>/status. */
const CAP_SYS_ADMIN = 21n;

function probe(): DiskSupport {
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `disk faults need root: the process driver mounts a size-limited tmpfs as the node's data dir (running as uid ${uid ?? 'unknown'})` };
  let effective: bigint | undefined;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) effective = BigInt(`0x${m[1]}`);
  } catch {
    /* no /proc: assume root can mount; a failing mount is then an infrastructure error */
  }
  if (effective !== undefined && (effective & (1n << CAP_SYS_ADMIN)) === 0n) {
    return { ok: false, reason: 'disk faults need to mount a tmpfs, which needs CAP_SYS_ADMIN, and this process lacks it (a container started without it cannot mount)' };
  }
  return { ok: true };
}

/** Detaches our mounts under `prefix` at once (umount -l), for a runner about to exit. */
export function unmountLazilySync(prefix: string): void {
  for (const m of findLeftoverMounts(prefix)) {
    try { execFileSync('umount', ['-l', m], { stdio: 'ignore' }); } catch { /* the next run's reaper finds it */ }
  }
}

/** A tmpfs this module mounted: all a reaper or teardown needs to undo it. */
export interface DiskMount {
  mountPoint: string;
  sizeBytes: number;
}

/** Mounts an empty `sizeMb` MiB tmpfs at `dir` (created if missing; must be empty). */
export async function mountDataDir(dir: string, sizeMb: number): Promise<DiskMount> {
  if (!Number.isInteger(sizeMb) || sizeMb < 1) throw new Error(`tmpfs size must be a whole number of MiB >= 1, not ${sizeMb}`);
  const mountPoint = resolve(dir);
  mkdirSync(mountPoint, { recursive: true });
  // Mounting over files would hide them from the node that expects them.
  if (readdirSync(mountPoint).length > 0) throw new Error(`cannot mount a tmpfs at ${mountPoint}: the directory is not empty`);
  const r = await execa('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, MOUNT_SOURCE, mountPoint], { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`mount -t tmpfs at ${mountPoint} failed: ${failure(r)}`);
  return { mountPoint, sizeBytes: sizeMb * 1024 * 1024 };
}

/**
 * Unmounts a tmpfs mounted here; if it is busy (a node still has files open), detaches it
 * lazily (`umount -l`): it disappears from the tree now and is freed when the files close.
 */
export async function unmount(dir: string): Promise<{ lazy: boolean }> {
  const mountPoint = resolve(dir);
  if (!isMounted(mountPoint)) return { lazy: false };
  let lazy = false;
  const r = await execa('umount', [mountPoint], { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    lazy = true;
    const l = await execa('umount', ['-l', mountPoint], { reject: false, stdin: 'ignore' });
    if (l.exitCode !== 0) throw new Error(`umount ${mountPoint} failed (${failure(r)}), and so did umount -l (${failure(l)})`);
  }
  if (isMounted(mountPoint)) throw new Error(`${mountPoint} is still mounted after umount${lazy ? ' -l' : ''}`);
  return { lazy };
}

/**
 * Our tmpfs mounts whose path starts with `prefix` (a temp dir, or a name prefix such as
 * `/tmp/phantom-`), deepest first: the order to unmount them in.
 */
export function findLeftoverMounts(prefix: string): string[] {
  return mounts()
    .filter((m) => m.source === MOUNT_SOURCE && m.type === 'tmpfs' && m.point.startsWith(prefix))
    .map((m) => m.point)
    .sort((a, b) => b.length - a.length);
}

function failure(r: { stderr?: unknown; exitCode?: number; shortMessage?: string }): string {
  return String(r.stderr ?? '').trim() || r.shortMessage || `exit ${r.exitCode}`;
}

function isMounted(mountPoint: string): boolean {
  return mounts().some((m) => m.point === mountPoint);
}

function mounts(): Array<{ source: string; point: string; type: string }> {
  // /proc/mounts escapes space, tab, newline and backslash as \ooo.
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [source = '', point = '', type = ''] = line.split(' ');
      return { source: unescape(source), point: unescape(point), type };
    });
}

/**
 * Fills the filesystem of `dir` with a filler file until the kernel refuses (ENOSPC),
 * in smaller and smaller writes so that no whole page is left. Returns its size.
 */
export function fill(dir: string): { fillerBytes: number } {
  const file = join(dir, FILLER);
  const fd = openSync(file, 'a');
  let fillerBytes = 0;
  try {
    const zeros = Buffer.alloc(1024 * 1024);
    for (let chunk = zeros.length; chunk >= 1;) {
      try {
        const n = writeSync(fd, zeros, 0, chunk);
        fillerBytes += n;
        if (n === 0) chunk = Math.floor(chunk / 8);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        chunk = Math.floor(chunk / 8);
      }
    }
  } finally {
    closeSync(fd);
  }
  return { fillerBytes };
}

/** Deletes the filler (disk_free); the space is back at once. */
export function free(dir: string): { freed: boolean } {
  const file = join(dir, FILLER);
  const freed = existsSync(file);
  rmSync(file, { force: true });
  return { freed };
}

export interface DiskWitness {
  ok: boolean;
  message: string;
}

/** Proves the disk is full: a page written to a new file in `dir` fails with ENOSPC. */
export function diskFullWitness(dir: string): DiskWitness {
  return judgeProbe(probeWrite(dir), dir, 'full');
}

/** Proves the disk has room again: a page written to a new file in `dir` succeeds. */
export function diskFreeWitness(dir: string): DiskWitness {
  return judgeProbe(probeWrite(dir), dir, 'free');
}

/** What a probe write's outcome ('ok' or an error code) in `where` says about the disk. */
export function judgeProbe(r: string, where: string, expect: 'full' | 'free'): DiskWitness {
  if (expect === 'full') {
    if (r === 'ENOSPC') return { ok: true, message: `a ${PAGE}-byte write in ${where} failed with ENOSPC` };
    return { ok: false, message: `disk full not confirmed: a ${PAGE}-byte write in ${where} ${r === 'ok' ? 'succeeded' : `failed with ${r}, not ENOSPC`}` };
  }
  if (r === 'ok') return { ok: true, message: `a ${PAGE}-byte write in ${where} succeeded` };
  return { ok: false, message: `disk free not confirmed: a ${PAGE}-byte write in ${where} failed with ${r}` };
}

function probeWrite(dir: string): 'ok' | string {
  const file = join(dir, PROBE);
  let fd = -1;
  try {
    fd = openSync(file, 'w');
    if (writeSync(fd, Buffer.alloc(PAGE)) < PAGE) return 'ENOSPC'; // a short write: the disk ran out
    return 'ok';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  } finally {
    if (fd >= 0) closeSync(fd);
    rmSync(file, { force: true });
  }
}
