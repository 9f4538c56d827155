// run --repeat / --seeds: every scenario under several run seeds, each repetition its own
// test case in every report, the failure rate per scenario, and a replay command that
// reproduces a failing seed. Real two-node clusters, one per repetition.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FIXTURES, cli, sandbox } from './helpers.js';
import { parseSeeds, repeatSeeds } from '../src/engine/seeds.js';

const FLAKY = 'test/fixtures/repeat/random-kill-checks-a.yaml';
const journalOf = (out: string, stdout: string) => {
  const dir = /reports: (\S+)/.exec(stdout)?.[1] ?? join(out, 'latest');
  return { dir, journal: JSON.parse(readFileSync(join(dir, 'journal.json'), 'utf8')) };
};

t.test('seed lists: ranges, lists, and what is refused', async (t) => {
  t.same(parseSeeds('1..4'), [1, 2, 3, 4]);
  t.same(parseSeeds('3,7,11'), [3, 7, 11]);
  t.same(parseSeeds('0..1,9'), [0, 1, 9]);
  t.same(repeatSeeds('3', 10), [10, 11, 12]);
  for (const bad of ['5..1', 'abc', '-1', '', '1,1', '1..2000', '4294967296']) t.throws(() => parseSeeds(bad), { message: /^--seeds / }, bad);
  for (const bad of ['0', '-1', 'abc', '1.5', '100000']) t.throws(() => repeatSeeds(bad, 1), { message: /^--repeat / }, bad);
});

t.test('bad --repeat / --seeds values exit 2 and start nothing', async (t) => {
  const s = sandbox(t);
  for (const args of [['--repeat', '0'], ['--repeat', '-1'], ['--repeat', 'abc'], ['--seeds', '5..1'], ['--seeds', 'abc'], ['--seeds', '1', '--seed', '2'], ['--seeds', '1', '--repeat', '2']]) {
    const r = await cli(['run', FLAKY, '--out', s.out, ...args], { env: s.env });
    t.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    t.notMatch(r.stdout, /start 2 nodes/, 'no cluster started');
  }
});

t.test('--repeat 3 runs three repetitions with distinct recorded seeds and the failure rate', async (t) => {
  const s = sandbox(t);
  const r = await cli(['run', join(FIXTURES, 'engine', 'pass-one-node.yaml'), '--repeat', '3', '--seed', '40', '--out', s.out, '--reporter', 'console,json,junit'], { env: s.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  const { dir, journal } = journalOf(s.out, r.stdout);
  t.same(journal.seeds, [40, 41, 42]);
  t.same(journal.scenarios.map((x: { run_seed: number }) => x.run_seed), [40, 41, 42]);
  t.equal(new Set(journal.scenarios.map((x: { seed: number }) => x.seed)).size, 3, 'each repetition its own scenario seed');
  t.same(journal.scenarios.map((x: { name: string }) => x.name), ['one node passes [seed=40]', 'one node passes [seed=41]', 'one node passes [seed=42]']);
  t.match(journal.repetitions, [{ name: 'one node passes', runs: 3, failed: 0, failure_rate: 0, failed_seeds: [] }]);
  t.match(r.stdout, /0\/3 failed \(0%\) one node passes/);
  // JUnit: each repetition its own scenario case, and step names that do not collide.
  const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
  for (const seed of [40, 41, 42]) t.match(junit, `name="scenario: one node passes [seed=${seed}]"`);
  const names = [...junit.matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => m[1]);
  t.equal(new Set(names).size, names.length, 'no two JUnit cases share a name');
  t.match(readFileSync(join(dir, 'report.html'), 'utf8'), 'one node passes [seed=41]');
});

t.test('a scenario failing for some seeds: the failing seeds, and the replay command reproduces one', async (t) => {
  const s = sandbox(t);
  const r = await cli(['run', FLAKY, '--seeds', '1..4', '--out', s.out], { env: s.env });
  t.equal(r.exitCode, 1, r.stdout + r.stderr);
  const { journal } = journalOf(s.out, r.stdout);
  const [sum] = journal.repetitions;
  // Which seeds fail is a property of the seeded generator: what matters is that some do and some do not.
  t.ok(sum.failed > 0 && sum.failed < 4, `some seeds fail, some pass (${sum.failed_seeds})`);
  t.equal(sum.failure_rate, sum.failed / 4);
  const failing = journal.scenarios.filter((x: { verdict: string }) => x.verdict === 'failed').map((x: { run_seed: number }) => x.run_seed);
  t.same(sum.failed_seeds, failing);
  t.match(r.stdout, new RegExp(`${sum.failed}/4 failed .* kill random then ask a`));
  t.match(r.stdout, `failing seeds: ${failing.join(', ')}`);
  const cmd = `phantom-test run ${FLAKY} --seed ${failing[0]}`;
  t.match(r.stdout, `replay: ${cmd}`);
  t.same(sum.replay[0], cmd);

  // The printed command, run as printed: the same node is killed, the same check fails.
  const replay = await cli([...cmd.split(' ').slice(1), '--out', s.out], { env: s.env });
  t.equal(replay.exitCode, 1, replay.stdout);
  const again = journalOf(s.out, replay.stdout).journal;
  const first = journal.scenarios.find((x: { run_seed: number }) => x.run_seed === failing[0]);
  t.equal(again.scenarios[0].seed, first.seed, 'same scenario seed');
  t.same(again.scenarios[0].steps[0].picked, first.steps[0].picked, 'same node killed');
  t.equal(again.scenarios[0].verdict, 'failed');
  // And a passing seed replays as a pass.
  const passing = journal.scenarios.find((x: { verdict: string }) => x.verdict === 'passed').run_seed;
  t.equal((await cli(['run', FLAKY, '--seed', String(passing), '--out', s.out], { env: s.env })).exitCode, 0);
});
