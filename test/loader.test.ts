// The loader against good and bad fixtures: every problem, at its exact line and
// column, and nothing reported for the good ones or for the shipped scenarios.
import t from 'tap';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile, loadScenarios, loadScenarioText } from '../src/scenario/loader.js';
import { MAX_TIMER_MS } from '../src/scenario/duration.js';
import { planScenario } from '../src/engine/plan.js';
import { cli } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures');
const root = join(here, '..');

const expected: Record<string, string[]> = {
  "alias-bomb": [
      "9:18: aliases expand this file by 192520 values (at most 10000): an alias bomb? This is the largest alias"
  ],
  "alias-cycle": [
      "3:15: alias *s is inside its own anchor &s: the value would contain itself"
  ],
  "alias-unresolved": [
      "1:7: alias *nope has no anchor: define &nope above it"
  ],
  "catalog-keywords": [
      "2:23: \"any\" cannot be a node id: it is a keyword where nodes are named (any, none, random)",
      "2:28: \"none\" cannot be a node id: it is a keyword where nodes are named (any, none, random)",
      "5:40: \"exact\" applies to a list of shards (shards: [...]) or nodes, not to conditions (some, every, none)"
  ],
  "cluster-plane": [
      "5:39: unknown node \"e\" (declared: a, b, c, d)",
      "5:54: unknown node \"bb\" (did you mean \"b\"?)",
      "5:65: must be one of: leader, follower, candidate, learner (got \"boss\")",
      "6:33: unknown key \"som\" (did you mean \"some\"?)",
      "7:60: unknown node \"x\" (declared: a, b, c, d)",
      "8:25: name the migration by \"id\" or by \"shard_id\" (its latest migration), one of the two",
      "9:41: must be one of: MigratingSnapshot, MigratingWAL, AwaitingCutover, Stable, Cleaned, Failed, RolledBack (got \"Clean\")",
      "10:21: ${raft.leeder}: the Raft state offers raft.leader, raft.followers, raft.voters, raft.term",
      "11:20: ${shards.t2.0.node_ids.0}: unknown shard or table \"t2\" (did you mean \"t1\"?)",
      "12:46: unknown node \"z\" (declared: a, b, c, d)",
      "12:58: must be one of: MigratingSnapshot, MigratingWAL, AwaitingCutover, Stable, Cleaned, Failed, RolledBack (got \"Stabel\")",
      "13:25: missing required key \"state\"",
      "14:43: term_above is an integer, or a ${template} giving one (like \"${steps.before.raft.term}\"), not \"abc\""
  ],
  "deep": [
      "3:89: nested more than 64 levels deep"
  ],
  "durations": [
      "2:10: \"banana\" is not a duration (try 500ms, 10s, 1m30s, 1h, 1d)",
      "4:18: \"-5s\" is not a duration (durations are not negative)",
      "8:46: \"0s\" is zero: this duration must be longer than 0",
      "10:11: \"30d\" is too long: the runner waits at most 24d",
      "12:14: \"50d\" is too long: the runner waits at most 24d",
      "14:14: \"0s\" is zero: a timeout must be longer than 0",
      "15:23: \"0ms\" is zero: a timeout must be longer than 0",
      "15:38: \"0\" is zero: an interval must be longer than 0",
      "16:11: a duration is written out (like 10s), not a template: \"${d}\"",
      "17:24: the last generated point: time 12814642800000000000 ns is outside what int64 nanoseconds hold (1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z)"
  ],
  "times": [
      "6:7: \"2024-13-45T00:00:00Z\" is not a valid timestamp: month 13 is not 01-12",
      "7:7: \"2023-02-29\" is not a valid timestamp: day 29 is not in 2023-02 (01-28)",
      "8:7: \"2300-01-01T00:00:00Z\" is outside what int64 nanoseconds hold (1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z)",
      "9:7: \"T1 + 100000d\": time 10344067200000000000 ns is outside what int64 nanoseconds hold (1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z)",
      "10:7: time 100000000000000000000 is beyond 2^53, where numbers lose digits: quote it to keep every digit",
      "11:7: time -9223372036854776000 is beyond 2^53, where numbers lose digits: quote it to keep every digit",
      "13:44: \"2024-01-01T25:00:00Z\" is not a valid timestamp: hour 25 is not 00-23",
      "15:27: ${T1 + 200000d | ns}: time 18984067200000000000 ns is outside what int64 nanoseconds hold (1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z)",
      "15:48: ${T1 | iso | ns}: \"| ns\" applies to a time (an anchor), before any other filter",
      "15:65: ${host | ns}: \"| ns\" applies to a time (an anchor), before any other filter",
      "15:78: ${host + 1h}: only times (anchors) take \"+\"/\"-\" offsets, and \"host\" is not one",
      "15:91: ${T1.x}: \"T1\" is a time; it has no \"x\"",
      "16:19: ${host.x}: no \"x\" in \"h1\""
  ],
  "values": [
      "3:6: variables refer to each other in a loop: a -> b -> c -> a",
      "9:33: Infinity is not a finite number",
      "9:42: the field is declared integer: 9007199254740992 is beyond 2^53, where numbers lose digits: write it as a string, like { int: \"12345678901234567890\" }",
      "9:63: the field is declared uinteger: -1 is outside 0 to 2^64-1",
      "10:33: 9223372036854775808 is outside -2^63 to 2^63-1",
      "10:68: \"-1\" is not an unsigned integer",
      "10:94: must be an integer or a string, not number 1.5",
      "12:41: unknown node \"ee\" (did you mean \"e\"?)"
  ],
  "mixed": [
      "5:19: unknown node \"c\" (declared: a, b)",
      "6:58: unknown key \"cuont\" (did you mean \"count\"?)",
      "7:11: \"2x\" is not a duration (try 500ms, 10s, 1m30s, 1h, 1d)"
  ],
  "yaml-syntax": [
      "4:3: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }"
  ],
  "empty": [
      "1:1: file is empty: a scenario needs at least \"name\" and \"steps\""
  ],
  "comment-only": [
      "1:1: file is empty: a scenario needs at least \"name\" and \"steps\""
  ],
  "duplicate-key": [
      "2:1: invalid YAML: Map keys must be unique"
  ],
  "schema": [
      "3:14: \"2b\" is not a valid identifier (letters, digits and _, not starting with a digit)",
      "4:3: unknown key \"tokn\" (did you mean \"token\"?)",
      "9:29: must be at least 1",
      "10:22: must be one of: one, quorum, all (got \"most\")",
      "12:23: needs at least 2 item(s)",
      "14:5: unknown key \"qurey\" (did you mean \"query\"?)",
      "15:12: missing required key \"sql\"",
      "16:21: must be a string or an array, not number 5",
      "17:20: needs at least 1 item(s)",
      "18:11: must be a string, not number 5",
      "19:5: must not be empty"
  ],
  "references": [
      "6:7: unknown anchor \"T3\" (anchors may only use anchors defined above them)",
      "7:7: \"1x\" is not a duration (try 500ms, 10s, 1h30m, 1d)",
      "13:22: shard key \"hots\" is not one of the table's tags (host)",
      "16:23: time range is empty: start must be before end",
      "16:39: hash range is empty: start must be below end",
      "16:58: shard \"S1\" has 2 owner(s) but the table's replication_factor is 1",
      "16:62: unknown node \"d\" (declared: a, b, c)",
      "18:15: table \"db1.t2\" is not declared under databases",
      "18:26: unknown shard \"S9\" (did you mean \"S1\"?)",
      "20:19: unknown node \"e\" (declared: a, b, c)",
      "20:31: unknown point \"P1\"",
      "21:48: unknown point \"P2\"",
      "21:77: golden file not found: <dir>/missing.json",
      "22:20: unknown node \"f\" (declared: a, b, c)",
      "23:11: \"soon\" is not a duration (try 500ms, 10s, 1m30s, 1h, 1d)",
      "24:28: unknown node \"z\" (declared: a, b, c)",
      "25:12: await needs a condition: query, admin, expect_catalog, consistency, healthy, migration, rebalance",
      "26:29: unknown shard \"S7\" (did you mean \"S1\"?)",
      "27:15: node \"a\" starts with the cluster; declare it with \"start: false\" to add it later",
      "28:20: file not found: <dir>/nope.lp",
      "29:20: ${nope}: unknown name \"nope\" (known: T1, T2, T3, h)",
      "29:28: ${steps.later.rows}: step \"later\" has not run yet at this point",
      "29:48: \"1q\" in \"${T1 + 1q}\" is not a duration (try 500ms, 10s, 1h30m, 1d)",
      "31:14: \"2 days\" is not a duration (try 500ms, 10s, 1m30s, 1h, 1d)",
      "33:9: step id \"later\" is used twice",
      "36:5: a step does one thing: it has both \"write\" and \"query\" (split it into two steps)"
  ],
};

for (const [name, want] of Object.entries(expected)) {
  t.test(`bad fixture ${name}`, async (t) => {
    const dir = join(fixtures, 'bad');
    const r = await loadScenarioFile(join(dir, `${name}.yaml`));
    t.equal(r.scenario, undefined, 'no scenario comes back');
    const got = r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`.replace(`${dir}/`, '<dir>/'));
    t.same(got, want);
    t.ok(r.diagnostics.every((d) => d.file === join(dir, `${name}.yaml`)), 'each names its file');
  });
}

t.test('good fixtures load without problems', async (t) => {
  const r = await loadScenarios([join(fixtures, 'good')]);
  t.same(r.diagnostics, []);
  t.same(r.scenarios.map((s) => s.doc.name).sort(), ['a long licence header', 'cluster-plane checks', 'everything', 'minimal', 'registers a node through the API']);
  const everything = r.scenarios.find((s) => s.doc.name === 'everything')!;
  t.match(everything.where(['steps', 4, 'query']), /everything\.yaml:\d+:\d+$/);
});

t.test('every shipped scenario is valid', async (t) => {
  const r = await loadScenarios([join(root, 'scenarios')]);
  t.same(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`), []);
  t.ok(r.scenarios.length >= 5, `${r.scenarios.length} scenarios`);
  for (const s of r.scenarios) {
    t.match((await import('node:fs')).readFileSync(s.file, 'utf8').split('\n')[0], /^# yaml-language-server: \$schema=/, `${s.file} names the schema`);
  }
});

t.test('a missing file and a folder without scenarios', async (t) => {
  const empty = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'phantom-empty-'));
  t.teardown(async () => (await import('node:fs')).rmSync(empty, { recursive: true, force: true }));
  const r = await loadScenarios([join(fixtures, 'nope.yaml'), empty]);
  t.same(r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`), ['1:1: no such file or directory', '1:1: no scenario files (*.yaml, *.yml) in this folder']);
});

t.test('errors in text come with positions', async (t) => {
  const r = loadScenarioText('inline.yaml', 'name: x\nsteps:\n  - wait: 1s\n    fault: { kill: q }\n');
  t.same(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`), [
    'inline.yaml:4:5: a step does one thing: it has both "wait" and "fault" (split it into two steps)',
    'inline.yaml:4:20: unknown node "q" (declared: a, b, c)',
  ]);
});

t.test('a long comment header loads at once (the empty-file check used to backtrack for minutes)', async (t) => {
  const header = Array.from({ length: 400 }, (_, i) => (i % 3 ? `# licence line ${i}` : '')).join('\n');
  const t0 = performance.now();
  const r = loadScenarioText('header.yaml', `${header}\nname: x\nsteps: [{ wait: 1s }]\n`);
  t.same(r.diagnostics, []);
  const only = loadScenarioText('only.yaml', `${header}\n\n   \n`);
  t.same(only.diagnostics.map((d) => d.message), ['file is empty: a scenario needs at least "name" and "steps"']);
  t.ok(performance.now() - t0 < 1000, `${Math.round(performance.now() - t0)} ms`);
});

t.test('what validate accepts, run prepares: timeouts as given, deadlines a timer honours', async (t) => {
  const r = loadScenarioText(join(fixtures, 'good', 'x.yaml'), [
    'name: longest waits', 'timeout: 24d', 'cluster: { ready_timeout: 24d }',
    'steps:', '  - wait: 24d', '  - await: { timeout: 24d, interval: 24d, healthy: a }', '  - { wait: 1s, timeout: 24d }', '',
  ].join('\n'));
  t.same(r.diagnostics, []);
  const plan = planScenario(r.scenario!);
  t.equal(plan.stepTimeoutMs, 24 * 86_400_000);
  t.equal(plan.readyTimeoutMs, 24 * 86_400_000);
  t.same([...plan.deadlines.values()], [MAX_TIMER_MS, 24 * 86_400_000 + 10_000, 24 * 86_400_000], 'wait + default is capped, not clamped to 1 ms by setTimeout');
  t.same(planScenario((await loadScenarioFile(join(fixtures, 'good', 'registers-node.yaml'))).scenario!).deadlines.size, 5);
});

t.test('run rejects what validate rejects: exit 2, positioned, nothing started', async (t) => {
  for (const name of ['durations', 'alias-cycle', 'alias-bomb']) {
    const file = join(fixtures, 'bad', `${name}.yaml`);
    const v = await cli(['validate', file]);
    const r = await cli(['run', file, '--out', join(root, 'reports-never-written')]);
    t.equal(v.exitCode, 2, `validate ${name}`);
    t.equal(r.exitCode, 2, `run ${name}`);
    t.match(r.stderr, new RegExp(`${name}\\.yaml:\\d+:\\d+: `), 'positioned');
    t.match(r.stderr, /nothing was started/);
    t.notMatch(r.stderr, /    at /, 'no stack trace');
  }
});
