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

t.test('each registered fault passes validate with a declared node and random, and its lint rejects an unknown node at its place', async (t) => {
  for (const k of kinds) {
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
