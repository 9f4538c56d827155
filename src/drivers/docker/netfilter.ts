// Partitions on the Docker driver are real firewall rules: iptables in the calling node's own
// network namespace, set from a short-lived helper container that shares it (NetworkMode
// container:<node>, CapAdd NET_ADMIN; nothing on the host changes). Rules live in one chain
// of ours, PHANTOM, hooked into OUTPUT: each change replaces the whole chain in one
// iptables-restore commit (atomic, and nothing else's rules are touched), so a heal removes
// exactly what the partitions added.
//
// The image carries the host's iptables (the legacy backend, xtables-legacy-multi: a fresh
// namespace has no rules of either backend, and legacy needs no nftables library) with the
// libraries ldd lists and the three extensions the rules use (image.ts).

import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { CutMode } from '../../net/fault-proxy.js';
import { InfraError } from '../../engine/errors.js';
import { apiMessage, LABEL, statusOf } from './engine.js';

/** Where iptables goes inside the image (image.ts puts it there). */
export const IN_IMAGE_IPTABLES = {
  binary: '/usr/sbin/xtables-legacy-multi',
  extensions: '/usr/lib/phantom/xtables',
} as const;

/** The chain our rules live in. */
export const CHAIN = 'PHANTOM';

/** -j DROP/ACCEPT, -p tcp --dport, -j REJECT --reject-with tcp-reset. */
const EXTENSIONS = ['libxt_standard.so', 'libxt_tcp.so', 'libipt_REJECT.so'];
const BINARIES = ['/usr/sbin/xtables-legacy-multi', '/sbin/xtables-legacy-multi'];
const EXTENSION_DIRS = ['/usr/lib/x86_64-linux-gnu/xtables', '/usr/lib/aarch64-linux-gnu/xtables', '/usr/lib/xtables', '/usr/lib64/xtables', '/lib/xtables'];

export type IptablesSupport = { ok: true; binary: string; extensions: string[] } | { ok: false; reason: string };

let found: IptablesSupport | undefined;

/** The host's legacy iptables and the extensions the rules need, to copy into the image. */
export function iptablesSupport(): IptablesSupport {
  if (found) return found;
  const binary = BINARIES.find((b) => existsSync(b));
  const dir = EXTENSION_DIRS.find((d) => EXTENSIONS.every((e) => existsSync(join(d, e))));
  found = binary && dir
    ? { ok: true, binary: realpathSync(binary), extensions: EXTENSIONS.map((e) => join(dir, e)) }
    : { ok: false, reason: 'network faults on the docker driver need the host\'s iptables (legacy backend: xtables-legacy-multi and its extensions, Debian package iptables) to put in the image; none was found' };
  return found;
}

/** A directed cut as a rule needs it: where the caller's connections go, and how to cut them. */
export interface CutRule {
  /** Destinations of the cut link: the fault proxy the caller dials, and the callee's own address. */
  destinations: Array<{ ip: string; port: number }>;
  mode: CutMode;
}

/** The iptables-restore input replacing chain PHANTOM with these cuts. */
export function restoreInput(cuts: CutRule[]): string {
  const lines = ['*filter', `:${CHAIN} - [0:0]`];
  for (const c of cuts) {
    const target = c.mode === 'drop' ? 'DROP' : 'REJECT --reject-with tcp-reset';
    for (const d of c.destinations) lines.push(`-A ${CHAIN} -d ${d.ip}/32 -p tcp -m tcp --dport ${d.port} -j ${target}`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** Runs in the helper: replaces the chain, then hooks it into OUTPUT once. */
const APPLY_SCRIPT = `
const { execFileSync } = require('child_process');
const [bin, rules] = process.argv.slice(1);
const run = (args, input) => execFileSync(bin, args, { input, stdio: ['pipe', 'ignore', 'pipe'] });
try {
  run(['iptables-restore', '--noflush', '-w'], rules);
  try { run(['iptables', '-w', '-C', 'OUTPUT', '-j', '${CHAIN}']); } catch { run(['iptables', '-w', '-I', 'OUTPUT', '-j', '${CHAIN}']); }
} catch (e) { process.stderr.write(String(e.stderr || e.message)); process.exit(1); }`;

export interface HelperContext {
  docker: Docker;
  image: string;
  labels: Record<string, string>;
  /** The helper's name, unique per use. */
  name: string;
}

/**
 * Replaces chain PHANTOM in the network namespace of `container` (a running node) with `cuts`.
 * The helper container is removed again whatever happens; one left by a killed runner carries
 * the run's labels, so the reaper removes it.
 */
export async function applyCuts(h: HelperContext, container: string, node: string, cuts: CutRule[]): Promise<void> {
  let helper: Docker.Container | undefined;
  try {
    helper = await h.docker.createContainer({
      name: h.name, Image: h.image, Entrypoint: ['/usr/local/bin/node', '-e', APPLY_SCRIPT], Cmd: [IN_IMAGE_IPTABLES.binary, restoreInput(cuts)],
      Env: [`XTABLES_LIBDIR=${IN_IMAGE_IPTABLES.extensions}`],
      Labels: { ...h.labels, [LABEL.node]: node, [LABEL.role]: 'netfilter' },
      HostConfig: { NetworkMode: `container:${container}`, CapAdd: ['NET_ADMIN'] },
    });
    await helper.start();
    const { StatusCode } = (await helper.wait()) as { StatusCode: number };
    if (StatusCode !== 0) {
      const out = demux(await helper.logs({ stdout: true, stderr: true, follow: false }) as unknown as Buffer);
      throw new InfraError(`iptables in node ${node}'s network namespace failed (exit ${StatusCode}): ${out.trim().split('\n').slice(-3).join(' ') || 'no output'}`);
    }
  } catch (e) {
    if (e instanceof InfraError) throw e;
    throw new InfraError(`could not set the firewall rules of node ${node}: ${apiMessage(e)}`);
  } finally {
    await helper?.remove({ force: true }).catch((e) => { if (statusOf(e) !== 404) throw new InfraError(`could not remove the helper container ${h.name}: ${apiMessage(e)}`); });
  }
}

/** The text of a multiplexed log (8-byte frame headers: stream, 0, 0, 0, size). */
function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  for (let off = 0; off + 8 <= buf.length;) {
    const size = buf.readUInt32BE(off + 4);
    parts.push(buf.subarray(off + 8, off + 8 + size));
    off += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
