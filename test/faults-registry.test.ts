// The fault registry (src/faults/index.ts), the scenario schema, lint and the docs
// agree: every registered kind is accepted by the schema with its own fragment,
// linted by its own file, documented in docs/scenario-format.md's Faults table, and
// nothing is in the schema or the docs that the registry does not have.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAULTS } from '../src/faults/index.js';
import { faultDefinition } from '../src/faults/schema.js';
import { loadScenarioText } from '../src/scenario/loader.js';
import { formatDiagnostic } from '../src/scenario/diagnostics.js';
import { ROOT } from './helpers.js';

const kinds = Object.keys(FAULTS).sort();
const shipped = JSON.parse(readFileSync(join(ROOT, 'schema', 'scenario.schema.json'), 'utf8'));

t.test('the shipped schema has exactly the fault definition the fault files assemble', async (t) => {
  t.same(shipped.definitions.fault, faultDefinition(), 'regenerate with: npm run build && node scripts/write-fault-schema.mjs');
  t.same(Object.keys(shipped.definitions.fault.properties).sort(), kinds, 'the same kinds, no more, no fewer');
  for (const k of kinds) {
    t.equal(FAULTS[k]!.name, k, `${k}: registered under its own name`);
    t.ok(FAULTS[k]!.summary, `${k}: has a summary`);
  }
});

t.test('every registered fault is documented, and every documented fault is registered', async (t) => {
  const doc = readFileSync(join(ROOT, 'docs', 'scenario-format.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### Faults'), doc.indexOf('### Query expectations'));
  const rows = [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]).sort();
  t.same(rows, kinds);
});

const scenario = (fault: string) => `name: f
cluster: { nodes: [a, b, c] }
steps:
  - fault: ${fault}
`;
const problems = (text: string) => loadScenarioText('f.yaml', text).diagnostics.map(formatDiagnostic);

/** A fault's value naming `nodes`, and how far into it they start; node faults take the nodes alone. */
const VALUE: Record<string, (nodes: string) => { text: string; at: number }> = {
  clock: (nodes) => ({ text: `{ node: ${nodes}, offset: +1h }`, at: '{ node: '.length }),
};
const valueOf = (k: string, nodes: string) => VALUE[k]?.(nodes) ?? { text: nodes, at: 0 };

// Faults on whole nodes take a node reference; network faults take links (their own test below).
const nodeKinds = kinds.filter((k) => FAULTS[k]!.needs !== 'network');

t.test('each registered node fault passes validate with a declared node and random, and its lint rejects an unknown node at its place', async (t) => {
  for (const k of nodeKinds) {
    t.same(problems(scenario(`{ ${k}: ${valueOf(k, 'b').text} }`)), [], `${k}: b`);
    t.same(problems(scenario(`{ ${k}: ${valueOf(k, '[a, random]').text} }`)), [], `${k}: [a, random]`);
    const bad = valueOf(k, '[a, zz]');
    t.same(problems(scenario(`{ ${k}: ${bad.text} }`)), [`f.yaml:4:${20 + k.length + bad.at}: unknown node "zz" (declared: a, b, c)`], `${k}: unknown node`);
  }
});

t.test('a clock offset or drift libfaketime cannot express is reported where it is', async (t) => {
  t.same(problems(scenario('{ clock: { node: a, offset: +1y } }')), ["f.yaml:4:40: unknown unit 'y' in offset '+1y': use ms, s, m, h or d"]);
  t.same(problems(scenario('{ clock: { node: a, offset: 30s } }')), ["f.yaml:4:40: offset '30s' needs a sign: +30s (ahead) or -30s (behind)"]);
  t.same(problems(scenario('{ clock: { node: a, offset: 5 } }')), ['f.yaml:4:40: offset 5 needs a sign and a unit: e.g. +5s']);
  t.same(problems(scenario('{ clock: { node: a, drift: x0 } }')), ['f.yaml:4:39: rate x0 would stop the clock: use a rate between x0.001 and x100']);
  t.same(problems(scenario("{ clock: { node: a, offset: '@2024-01-01 00:00:00' } }")), ["f.yaml:4:40: absolute times ('@2024-01-01 00:00:00') are not supported: give an offset from now, e.g. +2h"]);
  t.same(problems(scenario('{ clock: { node: a } }')), ['f.yaml:4:21: give an offset (+30s, -2h, or 0 to reset) or a drift (x1.5)']);
  t.same(problems(scenario('{ clock: { node: a, offset: -2h, drift: x1.5 } }')), []);
});

t.test('a kind the registry does not have is rejected by the schema; two kinds in one step by lint', async (t) => {
  t.match(problems(scenario('{ partiton: b }')), [/^f\.yaml:4:\d+: unknown key "partiton"/]);
  t.same(problems(scenario('{ kill: a, stop: b }')), ['f.yaml:4:12: one fault per step: found kill and stop']);
});

// One valid example per network fault (its docs example), and its lint at file:line:col.
const networkExamples: Record<string, string> = {
  partition: '{ partition: { isolate: c } }',
  heal: '{ heal: all }',
  latency: '{ latency: { node: c, delay: 200ms, jitter: 10ms } }',
  bandwidth: '{ bandwidth: { from: [a], to: [b], bytes_per_second: 10000 } }',
  reset_peer: '{ reset_peer: { node: b } }',
};

t.test('every network fault has a valid example, and each rejects an unknown node at its place', async (t) => {
  t.same(Object.keys(networkExamples).sort(), kinds.filter((k) => FAULTS[k]!.needs === 'network'));
  for (const [k, example] of Object.entries(networkExamples)) t.same(problems(scenario(example)), [], example);
  t.same(problems(scenario('{ partition: [[a], [b, zz]] }')), ['f.yaml:4:25: "c" is in no group: name it, or put "others" in the group the rest joins', 'f.yaml:4:35: unknown node "zz" (declared: a, b, c)']);
  t.same(problems(scenario('{ latency: { from: [zz], to: [a], delay: 1s } }')), ['f.yaml:4:32: unknown node "zz" (declared: a, b, c)']);
  t.same(problems(scenario('{ heal: [zz] }')), ['f.yaml:4:21: unknown node "zz" (declared: a, b, c)']);
});

t.test('bad partitions and shapes are reported at file:line:col', async (t) => {
  t.same(problems(scenario('{ partition: [[a, b], [b, c]] }')), ['f.yaml:4:35: node "b" is in two groups (1 and 2): groups must not overlap']);
  t.same(problems(scenario('{ partition: [[a], [b]] }')), ['f.yaml:4:25: "c" is in no group: name it, or put "others" in the group the rest joins']);
  t.same(problems(scenario('{ partition: [[a], [others]] }')), [], 'others says where the rest goes');
  t.same(problems(scenario('{ partition: [[client], [others]] }')), [], 'client is the runner');
  t.same(problems(scenario('{ partition: halves }')), []);
  t.same(problems(scenario('{ partition: { ring: true, mode: drop } }')), []);
  t.same(problems(scenario('{ partition: { isolate: a, halves: true } }')), ['f.yaml:4:25: one partition form per step, not isolate and halves']);
  t.same(problems(scenario('{ partition: { from: [a], to: [a, b] } }')), ['f.yaml:4:25: a is in both from and to']);
  t.same(problems(scenario('{ latency: { node: c, delay: -5ms } }')), ['f.yaml:4:41: "-5ms" is not a duration (durations are not negative)']);
  t.same(problems(scenario('{ latency: { node: c, delay: 10ms, jitter: 20ms } }')), ['f.yaml:4:55: jitter 20ms is more than the delay 10ms: a delay cannot go below zero']);
  t.same(problems(scenario('{ latency: { delay: 10ms } }')), ['f.yaml:4:23: say which links: node, or from and to']);
  t.same(problems(scenario('{ bandwidth: { node: a, bytes_per_second: 0 } }')), ['f.yaml:4:54: must be at least 1']);
});
