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

t.test('each registered fault passes validate with a declared node and random, and its lint rejects an unknown node at its place', async (t) => {
  for (const k of kinds) {
    t.same(problems(scenario(`{ ${k}: b }`)), [], `${k}: b`);
    t.same(problems(scenario(`{ ${k}: [a, random] }`)), [], `${k}: [a, random]`);
    t.same(problems(scenario(`{ ${k}: [a, zz] }`)), [`f.yaml:4:${20 + k.length}: unknown node "zz" (declared: a, b, c)`], `${k}: unknown node`);
  }
});

t.test('a kind the registry does not have is rejected by the schema; two kinds in one step by lint', async (t) => {
  t.match(problems(scenario('{ partiton: b }')), [/^f\.yaml:4:\d+: unknown key "partiton"/]);
  t.same(problems(scenario('{ kill: a, stop: b }')), ['f.yaml:4:12: one fault per step: found kill and stop']);
});
