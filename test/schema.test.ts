// schema/scenario.schema.json as editors and other tools see it: it compiles in ajv's
// strict mode, every key explains itself on hover, its $id is the documented one, it
// ships in the npm package, and every bundled scenario and docs example passes it.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { execa } from 'execa';
import { faultDefinition } from '../src/faults/schema.js';
import { ROOT } from './helpers.js';

const SCHEMA_FILE = join(ROOT, 'schema', 'scenario.schema.json');
const shipped = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
const SCHEMA_ID = 'https://phantom-test.dev/schema/scenario/v1.json';

t.test('compiles with ajv in strict mode, as shipped and with the fault files\' definition', async (t) => {
  t.doesNotThrow(() => new Ajv({ strict: true }).compile(shipped), 'as shipped');
  const assembled = { ...shipped, definitions: { ...shipped.definitions, fault: faultDefinition() } };
  t.doesNotThrow(() => new Ajv({ strict: true }).compile(assembled), 'with the fault kinds the runner registers');
});

type Schema = Record<string, unknown>;
const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every subschema with its JSON pointer. */
function* subschemas(s: unknown, at: string): Generator<[string, Schema]> {
  if (!isSchema(s)) return;
  yield [at, s];
  for (const key of ['properties', 'definitions', 'patternProperties']) {
    if (isSchema(s[key])) for (const [k, v] of Object.entries(s[key] as Schema)) yield* subschemas(v, `${at}/${key}/${k}`);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(s[key])) for (const [i, v] of (s[key] as unknown[]).entries()) yield* subschemas(v, `${at}/${key}/${i}`);
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames', 'not']) yield* subschemas(s[key], `${at}/${key}`);
}

/** A description here, or on the definition a $ref points at (editors show that one). */
function described(s: Schema): boolean {
  if (typeof s.description === 'string' && s.description.length > 0) return true;
  const ref = typeof s.$ref === 'string' ? /^#\/definitions\/(.+)$/.exec(s.$ref)?.[1] : undefined;
  return ref !== undefined && described(shipped.definitions[ref]);
}

t.test('every key at every depth, and every definition, has a description', async (t) => {
  const missing: string[] = [];
  for (const [at, s] of subschemas(shipped, '#')) {
    if (/\/definitions\/[^/]+$/.test(at) && !described(s)) missing.push(at);
    if (isSchema(s.properties)) for (const [k, v] of Object.entries(s.properties as Schema)) if (isSchema(v) && !described(v)) missing.push(`${at}/properties/${k}`);
  }
  t.same(missing, [], 'keys without a description');
});

t.test('durations, consistency and node names come with examples and defaults', async (t) => {
  const d = shipped.definitions;
  t.ok(Array.isArray(d.duration.examples) && d.duration.examples.includes('10s'), 'duration has examples');
  t.ok(Array.isArray(d.nodeRef.examples) && d.nodeRef.examples.includes('random'), 'nodeRef has examples');
  t.ok(Array.isArray(d.time.examples), 'time has examples');
  t.equal(shipped.properties.timeout.default, '30s', 'the default step timeout');
  t.same(d.cluster.properties.nodes.default, ['a', 'b', 'c'], 'the default nodes');
  t.equal(d.cluster.properties.ready_timeout.default, '15s');
  t.equal(d.consistency.properties.local.default, true);
  t.equal(d.rowExpect.properties.ordered.default, true);
});

t.test('a stable, versioned $id', async (t) => {
  t.equal(shipped.$id, SCHEMA_ID);
  t.equal(shipped.$schema, 'http://json-schema.org/draft-07/schema#', 'draft-07: what editors support best');
  const docs = readFileSync(join(ROOT, 'docs', 'scenario-format.md'), 'utf8');
  t.ok(docs.includes(SCHEMA_ID), 'docs/scenario-format.md names the $id');
  t.ok(docs.includes('node_modules/phantom-test/schema/scenario.schema.json'), 'and how to use it from outside the repo');
});

t.test('the npm package ships the schema', async (t) => {
  const r = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
  const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
  t.ok(files.includes('schema/scenario.schema.json'), 'schema/scenario.schema.json is in the package');
});

// Every YAML block of the docs: a whole scenario, or a list of steps (wrapped in one).
function docExamples(): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const file of ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))]) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/```yaml\n([\s\S]*?)```/g)) {
      const line = text.slice(0, m.index).split('\n').length + 1;
      const doc = parse(m[1]!);
      if (doc === null || doc === undefined) continue; // a modeline alone
      if (Array.isArray(doc)) { out.push([`${file}:${line}`, { name: 'docs example', steps: doc }]); continue; }
      const keys = Object.keys(doc as object);
      const scenarioKeys = Object.keys((shipped as { properties: object }).properties);
      // A block of top-level scenario keys alone (`cluster: {...}`) is a fragment of one; a
      // block with other keys (docs/ci.md's GitHub workflow) is not a scenario at all.
      if (!keys.every((k) => scenarioKeys.includes(k))) continue;
      out.push([`${file}:${line}`, { name: 'docs example', steps: [{ wait: '1ms' }], ...(doc as object) }]);
    }
  }
  return out;
}

t.test('every bundled scenario and docs example validates against the shipped schema', async (t) => {
  const validate = new Ajv({ strict: true, allErrors: true }).compile(shipped);
  const scenarios = readdirSync(join(ROOT, 'scenarios')).filter((f) => /\.ya?ml$/.test(f));
  t.ok(scenarios.length > 0, 'there are bundled scenarios');
  for (const f of scenarios) {
    const ok = validate(parse(readFileSync(join(ROOT, 'scenarios', f), 'utf8')));
    t.ok(ok, `scenarios/${f}`, { errors: validate.errors });
  }
  const examples = docExamples();
  t.ok(examples.length >= 3, 'the docs have examples');
  for (const [where, doc] of examples) t.ok(validate(doc), where, { errors: validate.errors });
});
