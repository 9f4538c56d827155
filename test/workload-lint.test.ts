// Bad workload steps are refused before any cluster starts (exit 2), each problem at
// its file:line:col: an unknown kind, a table not declared, zero clients, a rate below
// zero, no end, weights without mix.
import t from 'tap';
import { join } from 'node:path';
import { cli } from './helpers.js';

const head = `name: bad workload
databases:
  db1:
    tables:
      events: { tags: [key], fields: { value: integer } }
steps:
`;

const cases: Array<[string, string, RegExp]> = [
  ['unknown kind', '  - workload: { table: events, kind: sets, duration: 1s }\n', /s\.yaml:7:\d+: .*must be one of: set, overwrite, read, mix \(got "sets"\)/],
  ['unknown table', '  - workload: { table: event, kind: set, duration: 1s }\n', /s\.yaml:7:\d+: table "db1\.event" is not declared under databases \(did you mean "events"\?\)/],
  ['zero clients', '  - workload: { table: events, kind: set, clients: 0, duration: 1s }\n', /s\.yaml:7:\d+: .*must be at least 1/],
  ['negative rate', '  - workload: { table: events, kind: set, rate: -5, duration: 1s }\n', /s\.yaml:7:\d+: .*must be above 0/],
  ['no end', '  - workload: { table: events, kind: set }\n', /s\.yaml:7:\d+: a workload needs an end: give "duration", "ops" or both/],
  ['weights without mix', '  - workload: { table: events, kind: set, duration: 1s, weights: { read: 1 } }\n', /s\.yaml:7:\d+: weights apply to kind mix, not set/],
  ['mix without weights', '  - workload: { table: events, kind: mix, duration: 1s }\n', /s\.yaml:7:\d+: kind mix needs "weights"/],
  ['string value field', '  - workload: { table: events, kind: set, duration: 1s }\n', /declares it string/],
];

for (const [name, step, want] of cases) {
  t.test(name, async (t) => {
    const doc = name === 'string value field' ? head.replace('value: integer', 'value: string') + step : head + step;
    const d = t.testdir({ 's.yaml': doc });
    const v = await cli(['validate', join(d, 's.yaml')]);
    t.equal(v.exitCode, 2, v.stdout + v.stderr);
    t.match(v.stderr, want);
    // run refuses it the same way, before starting anything.
    const r = await cli(['run', join(d, 's.yaml'), '--out', join(d, 'out')]);
    t.equal(r.exitCode, 2);
    t.match(r.stderr + r.stdout, want);
  });
}

t.test('a valid workload passes validate', async (t) => {
  const d = t.testdir({ 's.yaml': `${head}  - workload: { table: events, kind: mix, weights: { set: 3, read: 1 }, local: true, rate: unlimited, ops: 10, nodes: [a, b] }\n` });
  const v = await cli(['validate', join(d, 's.yaml')]);
  t.equal(v.exitCode, 0, v.stderr);
});
