// Every bundled scenario passes on the process driver: what `phantom-test run scenarios/` in the
// README promises. Its own file: the suite takes a few minutes, and tap's budget is per file.

import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cli, sandbox } from './helpers.js';

t.test('every shipped scenario passes: phantom-test run scenarios/', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', 'scenarios/', '--out', sb.out, '--reporter', 'console,junit'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout);
  t.match(r.stdout, /(\d+) passed, 0 failed/);
  t.notOk(existsSync(join(sb.out, 'latest', 'journal.json')), 'only the reporters asked for');
  t.ok(existsSync(join(sb.out, 'latest', 'junit.xml')));
});
