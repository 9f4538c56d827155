// Disk faults on real processes: a node whose data dir is a size-limited tmpfs (mounted as
// root) answers writes on a full disk with 507 and keeps serving, takes writes again once
// the filler is gone, and restarts on the same dir with every acknowledged write (no torn
// WAL); unmounting, even while busy, leaves nothing in /proc/mounts, and a leftover mount is
// found by its prefix. Needs root and mount: missing, the test fails with the reason (CI runs
// as root), it never skips.
import t from 'tap';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { diskFreeWitness, diskFullWitness, diskSupport, fill, findLeftoverMounts, free, mountDataDir, unmount } from '../src/drivers/process/disk.js';
import { startRefNode, type RefNode } from './helpers/ref-node.js';
import { ROOT } from './helpers.js';

const DISK_JS = pathToFileURL(join(ROOT, 'dist', 'drivers', 'process', 'disk.js')).href;

t.test('without root, disk faults are unsupported and the reason says so', async (t) => {
  const probe = `import('${DISK_JS}').then(async (m) => console.log(JSON.stringify(await m.diskSupport())))`;
  // (tap's process hooks in the child may complain on stderr that nobody cannot write .tap/)
  const r = await execa(process.execPath, ['-e', probe], { uid: 65534, gid: 65534, reject: false });
  t.same(JSON.parse(String(r.stdout).split('\n')[0]!), { ok: false, reason: "disk faults need root: the process driver mounts a size-limited tmpfs as the node's data dir (running as uid 65534)" });
});

const support = await diskSupport();
if (!support.ok) {
  t.fail(`${support.reason}: disk-fault tests cannot run`);
} else {
  const base = mkdtempSync(join(tmpdir(), 'phantom-disk-test-'));
  t.teardown(async () => {
    for (const m of findLeftoverMounts(base)) await unmount(m);
    rmSync(base, { recursive: true, force: true });
  });

  const lp = (tag: string, n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => `m,tag=${tag} v=${from + i}i,pad="${'x'.repeat(40)}" ${1_700_000_000_000_000_000n + BigInt(from + i)}`).join('\n');
  const write = async (node: RefNode, tag: string, n: number, from = 0) => {
    const r = await fetch(`${node.url}/api/v3/write_lp?db=disk&precision=ns`, { method: 'POST', body: lp(tag, n, from) });
    return { status: r.status, text: await r.text() };
  };
  const counts = async (node: RefNode): Promise<Record<string, number>> => {
    const r = await fetch(`${node.url}/api/v3/query_sql?db=disk&q=${encodeURIComponent('SELECT tag, count(*) AS n FROM m GROUP BY tag ORDER BY tag')}`);
    const rows = (await r.json()) as Array<{ tag: string; n: number }>;
    return Object.fromEntries(rows.map((row) => [row.tag, row.n]));
  };

  t.test('mounts refuse bad sizes and non-empty dirs', async (t) => {
    await t.rejects(mountDataDir(join(base, 'zero'), 0), /whole number of MiB >= 1, not 0/);
    const full = join(base, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep'), 'x');
    await t.rejects(mountDataDir(full, 1), /not empty/);
    t.same(findLeftoverMounts(base), [], 'nothing was mounted');
  });

  t.test('fill and free with their witnesses, leaving other files alone', async (t) => {
    const dir = join(base, 'plain');
    const m = await mountDataDir(dir, 2);
    t.same(m, { mountPoint: dir, sizeBytes: 2 * 1024 * 1024 });
    t.same(findLeftoverMounts(base), [dir], 'the mount is listed under its prefix');
    writeFileSync(join(dir, 'own'), 'the node\'s file');
    t.ok(diskFreeWitness(dir).ok, 'room before');
    t.notOk(diskFullWitness(dir).ok, 'so "full" is not confirmed');
    const filled = fill(dir);
    t.ok(filled.fillerBytes > 1.9 * 1024 * 1024, `the filler took the rest (${filled.fillerBytes} bytes)`);
    const full = diskFullWitness(dir);
    t.ok(full.ok, full.message);
    t.match(diskFreeWitness(dir).message, /disk free not confirmed: .* failed with ENOSPC/);
    t.equal(readFileSync(join(dir, 'own'), 'utf8'), 'the node\'s file', 'the node\'s own file is intact');
    t.same(free(dir), { freed: true });
    t.ok(diskFreeWitness(dir).ok, 'room again after free');
    t.same(readdirSync(dir), ['own'], 'no filler or probe left');
    t.same(await unmount(dir), { lazy: false });
    t.same(findLeftoverMounts(base), []);
    t.notMatch(readFileSync('/proc/mounts', 'utf8'), dir);
  });

  t.test('a real node on a full disk: 507, still serving, no torn WAL; free and restart', async (t) => {
    const dir = join(base, 'solo');
    await mountDataDir(dir, 16);
    const node = await startRefNode({ dataDir: dir });
    t.teardown(async () => {
      await node.stop('SIGKILL');
      await unmount(dir);
    });
    t.equal((await write(node, 'before', 200)).status, 204, 'writes land before the fault');

    const filled = fill(dir);
    t.ok(diskFullWitness(dir).ok, `disk full (filler ${filled.fillerBytes} bytes)`);
    for (const n of [1, 50, 2000]) {
      const r = await write(node, 'full', n);
      t.equal(r.status, 507, `a ${n}-line write on the full disk: 507 ${r.text}`);
      t.match(r.text, /disk full .* not acknowledged/);
    }
    t.equal((await fetch(`${node.url}/health`)).status, 200, 'the node still answers /health');
    t.same(await counts(node), { before: 200 }, 'earlier writes still readable, refused ones absent');
    t.notOk(node.exited(), 'no crash');

    free(dir);
    t.ok(diskFreeWitness(dir).ok, 'disk free');
    t.equal((await write(node, 'after', 200)).status, 204, 'writes succeed again after free');
    t.same(await counts(node), { after: 200, before: 200 });

    // Full again, then a SIGKILL: the WAL on disk must replay cleanly on restart.
    fill(dir);
    t.equal((await write(node, 'full', 100, 5000)).status, 507);
    await node.stop('SIGKILL');
    free(dir);
    await node.restart();
    t.same(await counts(node), { after: 200, before: 200 }, 'restarted on the same dir: every acknowledged write, nothing refused');
    t.notMatch(node.log.join('\n'), /quarantin/i, 'no WAL record quarantined on replay');
    t.equal((await write(node, 'restarted', 10)).status, 204, 'and it takes writes');
  });

  t.test('unmounting a busy mount falls back to a lazy unmount and leaves nothing', async (t) => {
    const dir = join(base, 'busy');
    await mountDataDir(dir, 16);
    const node = await startRefNode({ dataDir: dir });
    t.same(findLeftoverMounts(base), [dir]);
    const r = await unmount(dir); // the node holds its files open
    t.same(r, { lazy: true }, 'lazy');
    t.same(findLeftoverMounts(base), [], 'gone from /proc/mounts');
    await node.stop('SIGKILL');
  });

  t.test('a leftover mount of a killed runner is found by its prefix, deepest first', async (t) => {
    const outer = join(base, 'run-x');
    const inner = join(outer, 'n1');
    await mountDataDir(outer, 1);
    await mountDataDir(inner, 1);
    t.same(findLeftoverMounts(join(base, 'run-')), [inner, outer]);
    t.same(findLeftoverMounts(join(base, 'other-')), []);
    for (const m of findLeftoverMounts(base)) await unmount(m);
    t.same(findLeftoverMounts(base), []);
  });
}

