// The loader against good and bad fixtures: every problem, at its exact line and
// column, and nothing reported for the good ones or for the shipped scenarios.
import t from 'tap';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile, loadScenarios, loadScenarioText } from '../src/scenario/loader.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures');
const root = join(here, '..');

const expected: Record<string, string[]> = {
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
      "25:12: await needs a condition: query, admin, expect_catalog, consistency, healthy",
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
  t.same(r.scenarios.map((s) => s.doc.name).sort(), ['everything', 'minimal']);
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
