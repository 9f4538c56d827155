// The state folder is per project: two checkouts do not see each other's clusters or
// runs, while every directory inside one checkout shares its folder.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, pidsWith } from './helpers.js';

t.test('two projects each run a cluster; clean --all touches only its own', async (t) => {
  // TMPDIR inside the test's folder keeps the per-project state folders out of /tmp.
  const base = mkdtempSync(join(tmpdir(), 'phantom-test-projects-'));
  const env = { TMPDIR: base, PHANTOM_TEST_STATE_DIR: '' };
  const one = join(base, 'one');
  const two = join(base, 'two');
  for (const p of [one, two]) {
    mkdirSync(join(p, 'deep', 'er'), { recursive: true });
    writeFileSync(join(p, 'package.json'), '{}');
  }
  t.teardown(async () => {
    for (const p of [one, two]) await cli(['cluster', 'down'], { cwd: p, env });
    rmSync(base, { recursive: true, force: true });
  });

  const up1 = await cli(['cluster', 'up', '--nodes', '1', '--json'], { cwd: one, env });
  t.equal(up1.exitCode, 0, up1.stderr);
  const up2 = await cli(['cluster', 'up', '--nodes', '1', '--json'], { cwd: two, env });
  t.equal(up2.exitCode, 0, `a second project's cluster up is not refused: ${up2.stderr}`);
  const [node1, node2] = [JSON.parse(up1.stdout).nodes[0], JSON.parse(up2.stdout).nodes[0]];

  const status = await cli(['cluster', 'status', '--json'], { cwd: join(one, 'deep', 'er'), env });
  t.match(JSON.parse(status.stdout), { clusters: [{ id: JSON.parse(up1.stdout).id }] }, 'a subdirectory sees its project\'s cluster');
  t.equal(JSON.parse(status.stdout).clusters.length, 1, 'and only that one');
  const again = await cli(['cluster', 'up', '--nodes', '1'], { cwd: join(one, 'deep'), env });
  t.equal(again.exitCode, 2, 'a second cluster in the same project is refused');
  t.match(again.stderr, /a cluster of this project is already up/);

  const clean = await cli(['clean', '--all', '--json'], { cwd: two, env });
  t.equal(clean.exitCode, 0, clean.stderr);
  t.equal(JSON.parse(clean.stdout).reaped.length, 1, 'clean --all reaped one cluster');
  t.same(pidsWith(node2.data_dir), [], "project two's node is gone");
  t.equal(pidsWith(node1.data_dir).length, 1, "project one's node still runs");
});

t.test('PHANTOM_TEST_STATE_DIR overrides the folder, and clean --help says where it is', async (t) => {
  const help = await cli(['clean', '--help']);
  t.match(help.stdout, /state folder per project/);
  t.match(help.stdout, /PHANTOM_TEST_STATE_DIR/);
  const dir = mkdtempSync(join(tmpdir(), 'phantom-test-override-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await cli(['clean'], { env: { PHANTOM_TEST_STATE_DIR: dir } });
  t.match(r.stdout, new RegExp(`nothing to clean \\(state folder: ${dir}\\)`));
});
