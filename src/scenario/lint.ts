// Cross-reference checks the schema cannot express: every node, shard, anchor,
// point, step id and template a scenario mentions must exist, durations and times
// must read (with the parsers run uses, in the ranges run can honour), files must be
// there, each step must say exactly one thing to do.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDurationError, readDuration, type DurationUse } from './duration.js';
import { TemplateError, collectTemplates, hasTemplate, parseTemplate, type Resolver } from './template.js';
import { evalTimeExpr, instantProblem, isTimeError } from './time.js';
import { renderStatic, staticResolver, templateRoots } from './static-render.js';
import { checkFieldValue } from './field-values.js';
import {
  AWAIT_CONDITIONS, STEP_KINDS, topologyNodes,
  type FieldValueSpec, type PointSpec, type ScenarioDoc, type Step, type RowExpect, type TableSpec, type ShardQuantifiers,
} from './types.js';
import { lintCatalogExtras } from './catalog-lint.js';
import type { JsonPath } from './positions.js';
import { suggest } from './schema.js';
import { HASH_SPACE, hashBound } from './hash.js';
import { FAULTS } from '../faults/index.js';
import { lintReuse } from './reuse.js';
import { CHECKER_NAMES } from '../checkers/index.js';
import { lintWorkload } from './workload-lint.js';
import { lintNemesis } from '../engine/nemesis/lint.js';

/** `needle`: text inside the value to point at (a template in a longer string). */
export type Report = (path: JsonPath, message: string, key?: boolean, needle?: string) => void;


/** Words that name no particular node where a node id can go (raft.leader: any / none, via: random). */
const RESERVED_NODE_IDS = ['any', 'none', 'random'];

export function lint(doc: ScenarioDoc, dir: string, report: Report): void {
  const nodes = topologyNodes(doc.cluster);
  const nodeIds = new Set<string>();
  nodes.forEach((n, i) => {
    if (nodeIds.has(n.id)) report(['cluster', 'nodes', i], `node "${n.id}" is declared twice`);
    // A node named like a keyword would read two ways (raft.leader: any, a nemesis' random).
    if (RESERVED_NODE_IDS.includes(n.id)) report(['cluster', 'nodes', i], `"${n.id}" cannot be a node id: it is a keyword where nodes are named (${RESERVED_NODE_IDS.join(', ')})`);
    nodeIds.add(n.id);
  });
  const lateNodes = new Set(nodes.filter((n) => n.start === false).map((n) => n.id));
  if (nodes.every((n) => n.start === false)) report(['cluster', 'nodes'], 'at least one node must start with the cluster');
  lintReuse(doc.cluster, doc.steps, report);
  (doc.check ?? []).forEach((name, i) => {
    if (!CHECKER_NAMES.includes(name)) report(['check', i], `unknown checker "${name}"${hintFrom(name, CHECKER_NAMES)}`);
    else if (doc.check!.indexOf(name) !== i) report(['check', i], `checker "${name}" is listed twice`);
  });

  // `registered`: also nodes the scenario itself registers through an admin call.
  const registered = registeredNodes(doc.steps ?? []);
  const checkNode = (path: JsonPath, ref: unknown, opts: { random?: boolean; registered?: boolean } = {}) => {
    if (typeof ref !== 'string' || hasTemplate(ref)) return;
    if (ref === 'random' && opts.random !== false) return;
    const known = opts.registered ? [...nodeIds, ...[...registered].filter((n) => !nodeIds.has(n))] : [...nodeIds];
    if (!known.includes(ref)) {
      const hint = suggest(ref, known);
      report(path, `unknown node "${ref}"` + (hint ? ` (did you mean "${hint}"?)` : ` (${opts.registered && registered.size ? 'declared or registered' : 'declared'}: ${known.join(', ')})`));
    }
  };
  // Durations are read as written (run does not render them), by the parser run uses.
  const checkDuration = (path: JsonPath, v: unknown, use: DurationUse): bigint | undefined => {
    if (typeof v === 'string' && hasTemplate(v)) { report(path, `a duration is written out (like 10s), not a template: "${v}"`); return undefined; }
    const r = readDuration(v, use);
    if (isDurationError(r)) { report(path, r.error); return undefined; }
    return r.ns;
  };
  if (doc.timeout !== undefined) checkDuration(['timeout'], doc.timeout, 'timeout');
  if (doc.cluster?.ready_timeout !== undefined) checkDuration(['cluster', 'ready_timeout'], doc.cluster.ready_timeout, 'timeout');

  // Names share one namespace in templates: ${T1}, ${db}, ${host_a}.
  const names = new Map<string, string>();
  const declare = (kind: string, section: string, name: string) => {
    const prev = names.get(name);
    if (prev) report([section, name], `"${name}" is already defined as ${prev}`, true);
    else if (['nodes', 'shards', 'steps', 'seed', 'run_id', 'scenario', 'raft'].includes(name)) report([section, name], `"${name}" is reserved in templates`, true);
    else names.set(name, kind);
  };

  // Anchors may build on earlier anchors.
  const anchors = new Map<string, bigint>();
  const brokenAnchors: string[] = [];
  // A broken anchor is reported once, not again at every use.
  const fromBroken = (message: string) => brokenAnchors.some((a) => message.includes(`"${a}"`));
  for (const [name, expr] of Object.entries(doc.anchors ?? {})) {
    declare('an anchor', 'anchors', name);
    const v = evalTimeExpr(expr, (n) => anchors.get(n));
    if (isTimeError(v)) {
      const later = doc.anchors?.[/"(.*)"/.exec(v.message)?.[1] ?? ''] !== undefined;
      if (!fromBroken(v.message)) report(['anchors', name], v.message + (later ? ' (anchors may only use anchors defined above them)' : ''));
      brokenAnchors.push(name);
    } else anchors.set(name, v);
  }
  const statics = staticResolver(doc, anchors);
  // A time made of templates is checked when they are known now (anchors, vars).
  const checkTime = (path: JsonPath, expr: unknown): bigint | undefined => {
    if (typeof expr === 'string' && hasTemplate(expr)) {
      let rendered: { value: unknown } | undefined;
      try { rendered = renderStatic(expr, statics); } catch { return undefined; } // the template check reports it
      if (!rendered) return undefined;
      expr = typeof rendered.value === 'number' ? rendered.value : String(rendered.value);
    }
    if (typeof expr !== 'string' && typeof expr !== 'number') return undefined;
    const v = evalTimeExpr(expr as string | number, (n) => anchors.get(n));
    if (isTimeError(v)) { if (!fromBroken(v.message)) report(path, v.message); return undefined; }
    return v;
  };
  for (const name of Object.keys(doc.vars ?? {})) declare('a variable', 'vars', name);
  const cycle = varCycle(doc.vars ?? {});
  if (cycle) report(['vars', cycle[0]!], `variables refer to each other in a loop: ${cycle.join(' -> ')}`);

  // Databases, tables, shards.
  const dbNames = Object.keys(doc.databases ?? {});
  const tables = new Map<string, TableSpec>();
  const shardsByName = new Map<string, { db: string; table: string; start?: bigint; end?: bigint }>();
  for (const [db, dbSpec] of Object.entries(doc.databases ?? {})) {
    for (const [table, t] of Object.entries(dbSpec.tables ?? {})) {
      tables.set(`${db}.${table}`, t);
      const tp: JsonPath = ['databases', db, 'tables', table];
      if (t.partition_duration !== undefined) checkDuration([...tp, 'partition_duration'], t.partition_duration, 'span');
      for (const [i, key] of (t.shard_keys ?? []).entries()) {
        if (t.tags && !t.tags.includes(key)) report([...tp, 'shard_keys', i], `shard key "${key}" is not one of the table's tags (${t.tags.join(', ')})`);
      }
      for (const [sname, s] of Object.entries(t.shards ?? {})) {
        const sp = [...tp, 'shards', sname];
        if (shardsByName.has(sname)) report(sp, `shard name "${sname}" is used twice`, true);
        const entry: { db: string; table: string; start?: bigint; end?: bigint } = { db, table };
        shardsByName.set(sname, entry);
        s.nodes.forEach((n, i) => checkNode([...sp, 'nodes', i], n, { random: false }));
        if (typeof t.replication_factor === 'number' && t.replication_factor >= 1 && s.nodes.length !== t.replication_factor) {
          report([...sp, 'nodes'], `shard "${sname}" has ${s.nodes.length} owner(s) but the table's replication_factor is ${t.replication_factor}`);
        }
        if (Array.isArray(s.time)) {
          const a = checkTime([...sp, 'time', 0], s.time[0]);
          const b = checkTime([...sp, 'time', 1], s.time[1]);
          if (a !== undefined && b !== undefined && a >= b) report([...sp, 'time'], 'time range is empty: start must be before end');
          entry.start = a; entry.end = b;
        }
        if (Array.isArray(s.hash)) {
          const [a, b] = s.hash.map(hashBound);
          if (a !== undefined && b !== undefined && a >= b) report([...sp, 'hash'], 'hash range is empty: start must be below end');
          s.hash.forEach((h, i) => { const v = hashBound(h); if (v === undefined || v > HASH_SPACE) report([...sp, 'hash', i], `hash bound ${JSON.stringify(h)} is outside [0, 2^32]`); });
        }
      }
    }
  }

  const defaultDb = dbNames.length === 1 ? dbNames[0] : undefined;
  const tableKey = (db: string | undefined, table: string): string | undefined => {
    if (table.includes('.')) return table;
    const d = db ?? defaultDb;
    return d ? `${d}.${table}` : undefined;
  };

  // Picks.
  const pickValues = new Set<string>();
  for (const [name, p] of Object.entries(doc.picks ?? {})) {
    declare('a pick', 'picks', name);
    pickValues.add(name);
    const pp: JsonPath = ['picks', name];
    const key = tableKey(p.db, p.table);
    const t = key ? tables.get(key) : undefined;
    if (!key) report([...pp, 'table'], `say which database: "db.${p.table}" (the scenario declares ${dbNames.length} databases)`);
    else if (!t) report([...pp, 'table'], `table "${key}" is not declared under databases`);
    const shard = shardsByName.get(p.shard);
    if (!shard) report([...pp, 'shard'], `unknown shard "${p.shard}"` + hintFrom(p.shard, [...shardsByName.keys()]));
    else if (key && `${shard.db}.${shard.table}` !== key) report([...pp, 'shard'], `shard "${p.shard}" belongs to ${shard.db}.${shard.table}, not ${key}`);
    if (t?.shard_keys && !t.shard_keys.includes(p.tag)) report([...pp, 'tag'], `tag "${p.tag}" is not a shard key of ${key} (${t.shard_keys.join(', ')})`);
    if (p.time !== undefined) {
      const v = checkTime([...pp, 'time'], p.time);
      if (v !== undefined && shard?.start !== undefined && shard.end !== undefined && (v < shard.start || v >= shard.end)) {
        report([...pp, 'time'], `time is outside shard "${p.shard}"'s time range`);
      }
    }
  }

  // Points.
  const points = new Set(Object.keys(doc.points ?? {}));
  const checkPoint = (path: JsonPath, pt: PointSpec) => {
    checkTime([...path, 'time'], pt.time);
    const key = tableKey(undefined, pt.table);
    const declared = key ? tables.get(key)?.fields : undefined;
    for (const [f, v] of Object.entries(pt.fields ?? {})) {
      const problem = checkFieldValue(v as FieldValueSpec, declared?.[f]);
      if (problem) report([...path, 'fields', f], problem);
    }
  };
  for (const [name, pt] of Object.entries(doc.points ?? {})) {
    declare('a point', 'points', name);
    checkPoint(['points', name], pt);
  }

  // Steps, in order, so templates can only use ids of earlier steps.
  const stepIds = new Set<string>();
  const needDb = (path: JsonPath, db: string | undefined) => {
    if (db === undefined && defaultDb === undefined) {
      report(path, dbNames.length === 0 ? 'missing "db" (no databases are declared to default to)' : `missing "db" (the scenario declares ${dbNames.length} databases)`);
    }
  };
  /** `unreachable` expects no HTTP answer: nothing about an answer can go with it. */
  const checkUnreachable = (path: JsonPath, e: object | undefined) => {
    if (!e || !('unreachable' in e)) return;
    const others = Object.keys(e).filter((k) => k !== 'unreachable');
    if (others.length) report([...path, 'unreachable'], `unreachable expects no answer at all: it cannot go with ${others.join(', ')}`);
  };
  const checkRows = (path: JsonPath, e: RowExpect | undefined) => {
    if (!e) return;
    checkUnreachable(path, e);
    for (const key of ['rows', 'contains', 'excludes'] as const) {
      (e[key] ?? []).forEach((r, i) => {
        if (typeof r === 'string' && !hasTemplate(r) && !points.has(r)) report([...path, key, i], `unknown point "${r}"` + hintFrom(r, [...points]));
      });
    }
    if (e.ordered !== undefined && !e.rows) report([...path, 'ordered'], '"ordered" applies to "rows", which is missing');
    if (e.golden && !existsSync(resolve(dir, e.golden))) report([...path, 'golden'], `golden file not found: ${resolve(dir, e.golden)}`);
  };
  const checkNodes = (path: JsonPath, refs: unknown) => {
    if (Array.isArray(refs)) refs.forEach((r, i) => checkNode([...path, i], r));
    else checkNode(path, refs);
  };

  // `single`: base is the step's own path (a lone parallel branch, an await condition).
  const visit = (steps: Step[], base: JsonPath, single = false) => {
    steps.forEach((step, i) => {
      const sp = single ? base : [...base, i];
      const kinds = Object.keys(step).filter((k) => (STEP_KINDS as readonly string[]).includes(k)); // in document order
      if (kinds.length === 0) report(sp, `a step needs one of: ${STEP_KINDS.join(', ')}`);
      if (kinds.length > 1) report([...sp, kinds[1]!], `a step does one thing: it has both "${kinds[0]}" and "${kinds[1]}" (split it into two steps)`, true);
      if (step.timeout !== undefined) checkDuration([...sp, 'timeout'], step.timeout, 'timeout');
      if (step.expect_duration) {
        const ep = [...sp, 'expect_duration'];
        const min = step.expect_duration.min !== undefined ? checkDuration([...ep, 'min'], step.expect_duration.min, 'bound') : undefined;
        const max = step.expect_duration.max !== undefined ? checkDuration([...ep, 'max'], step.expect_duration.max, 'bound') : undefined;
        if (min !== undefined && max !== undefined && min > max) report(ep, `min (${step.expect_duration.min}) is longer than max (${step.expect_duration.max}): no duration can meet both`);
      }
      if (step.write) {
        const w = step.write; const wp = [...sp, 'write'];
        checkNode([...wp, 'via'], w.via);
        checkUnreachable([...wp, 'expect'], w.expect);
        needDb(wp, w.db);
        const sources = (['lines', 'file', 'points', 'generate'] as const).filter((k) => w[k] !== undefined);
        if (sources.length !== 1) report(wp, sources.length ? `write from one source, not ${sources.join(' and ')}` : 'nothing to write: give lines, file, points or generate');
        if (w.file && !hasTemplate(w.file) && !existsSync(resolve(dir, w.file))) report([...wp, 'file'], `file not found: ${resolve(dir, w.file)}`);
        (w.points ?? []).forEach((p, j) => {
          if (typeof p === 'string') { if (!points.has(p)) report([...wp, 'points', j], `unknown point "${p}"` + hintFrom(p, [...points])); }
          else checkPoint([...wp, 'points', j], p);
        });
        if (w.generate) {
          const gp = [...wp, 'generate'];
          const start = checkTime([...gp, 'start'], w.generate.start);
          const every = w.generate.interval !== undefined ? checkDuration([...gp, 'interval'], w.generate.interval, 'spacing') : 1_000_000_000n;
          const count = w.generate.count;
          if (start !== undefined && every !== undefined && Number.isSafeInteger(count) && count >= 1) {
            const problem = instantProblem(start + BigInt(count - 1) * every);
            if (problem) report(gp, `the last generated point: ${problem}`);
          }
        }
      }
      if (step.query) { checkNode([...sp, 'query', 'via'], step.query.via); needDb([...sp, 'query'], step.query.db); checkRows([...sp, 'query', 'expect'], step.query.expect); }
      if (step.admin) checkNode([...sp, 'admin', 'via'], step.admin.via);
      if (step.expect_catalog) {
        const c = step.expect_catalog; const cp = [...sp, 'expect_catalog'];
        checkNode([...cp, 'via'], c.via);
        (c.absent_nodes ?? []).forEach((n, j) => checkNode([...cp, 'absent_nodes', j], n, { random: false, registered: true }));
        const quantified = c.shards !== undefined && !Array.isArray(c.shards);
        if (((c.shards && !quantified) || c.shard_count !== undefined) && !c.table) report(cp, 'checking shards needs "table" (or conditions on all shards: shards: {some, every, none})');
        if (c.table) needDb(cp, c.db);
        if (c.exact && quantified && !c.nodes) report([...cp, 'exact'], '"exact" applies to a list of shards (shards: [...]) or nodes, not to conditions (some, every, none)');
        (Array.isArray(c.shards) ? c.shards : []).forEach((s, j) => {
          if (typeof s.name === 'string' && !hasTemplate(s.name) && !shardsByName.has(s.name)) report([...cp, 'shards', j, 'name'], `unknown shard "${s.name}"` + hintFrom(s.name, [...shardsByName.keys()]));
        });
        if (quantified) lintCatalogExtras.shards(c.shards as ShardQuantifiers, [...cp, 'shards'], { report, checkNode });
        if (c.raft) lintCatalogExtras.raft(c.raft, [...cp, 'raft'], { report, checkNode });
        (c.migrations ?? []).forEach((m, j) => lintCatalogExtras.migration(m, [...cp, 'migrations', j], { report, checkNode }));
      }
      if (step.consistency) {
        const c = step.consistency; const cp = [...sp, 'consistency'];
        if (Array.isArray(c.nodes)) c.nodes.forEach((n, j) => checkNode([...cp, 'nodes', j], n, { random: false }));
        if (!c.sql && !c.shards) report(cp, 'compare something: give "sql" (results compared across nodes) or "shards" (replica checksums)');
        if (c.sql) needDb(cp, c.db);
        (c.shards ?? []).forEach((s, j) => { if (!hasTemplate(s) && !shardsByName.has(s)) report([...cp, 'shards', j], `unknown shard "${s}"` + hintFrom(s, [...shardsByName.keys()])); });
        checkRows([...cp, 'expect'], c.expect);
      }
      if (step.fault) {
        const kinds = Object.keys(step.fault).filter((k) => Object.hasOwn(FAULTS, k));
        if (kinds.length > 1) report([...sp, 'fault'], `one fault per step: found ${kinds.join(' and ')}`);
        for (const k of kinds) {
          const fp: JsonPath = [...sp, 'fault', k];
          FAULTS[k]!.lint(step.fault[k] as never, {
            report: (p, m) => report([...fp, ...p], m),
            node: (p, ref, o) => checkNode([...fp, ...p], ref, o),
            nodeIds: [...nodeIds],
          });
        }
      }
      if (step.nemesis) lintNemesis(step.nemesis, [...sp, 'nemesis'], [...nodeIds], report, { key: (t) => tableKey(undefined, t), known: [...tables.keys()] });
      if (step.wait !== undefined) checkDuration([...sp, 'wait'], step.wait, 'pause');
      if (step.await) {
        const a = step.await; const ap = [...sp, 'await'];
        const conds = AWAIT_CONDITIONS.filter((k) => a[k] !== undefined);
        if (conds.length !== 1) report(ap, conds.length ? `await one condition, not ${conds.join(' and ')}` : `await needs a condition: ${AWAIT_CONDITIONS.join(', ')}`);
        if (a.timeout !== undefined) checkDuration([...ap, 'timeout'], a.timeout, 'timeout');
        if (a.interval !== undefined) checkDuration([...ap, 'interval'], a.interval, 'interval');
        // The condition is checked as if it were a step of its own.
        const inner: Step = {};
        if (a.query) inner.query = a.query;
        if (a.admin) inner.admin = a.admin;
        if (a.expect_catalog) inner.expect_catalog = a.expect_catalog;
        if (a.consistency) inner.consistency = a.consistency;
        if (conds.length === 1 && Object.keys(inner).length === 1) visit([inner], ap, true);
        if (a.healthy !== undefined) checkNodes([...ap, 'healthy'], a.healthy);
        if (a.migration) lintCatalogExtras.awaitMigration(a.migration, [...ap, 'migration'], { report, checkNode });
        if (a.rebalance) checkNode([...ap, 'rebalance', 'via'], a.rebalance.via);
      }
      if (step.parallel) {
        step.parallel.forEach((branch, j) => {
          if (Array.isArray(branch)) visit(branch, [...sp, 'parallel', j]);
          else visit([branch], [...sp, 'parallel', j], true);
        });
      }
      if (step.add_node !== undefined) {
        const spec = typeof step.add_node === 'string' ? { id: step.add_node } : step.add_node;
        const ap: JsonPath = typeof step.add_node === 'string' ? [...sp, 'add_node'] : [...sp, 'add_node', 'id'];
        checkNode(ap, spec.id, { random: false });
        if (nodeIds.has(spec.id) && !lateNodes.has(spec.id)) report(ap, `node "${spec.id}" starts with the cluster; declare it with "start: false" to add it later`);
        if (typeof step.add_node !== 'string') checkNode([...sp, 'add_node', 'via'], step.add_node.via);
      }
      if (step.workload) lintWorkload(step.workload, [...sp, 'workload'], { report, checkNode, checkDuration, checkTime, needDb, tableKey, tables, hint: hintFrom });
      if (step.id) {
        if (stepIds.has(step.id)) report([...sp, 'id'], `step id "${step.id}" is used twice`);
        stepIds.add(step.id);
      }
    });
  };
  visit(doc.steps, ['steps']);

  // Templates: the names they use must exist; step outputs must come from earlier steps.
  const dbTables = new Map(Object.entries(doc.databases ?? {}).map(([db, spec]) => [db, new Set(Object.keys(spec.tables ?? {}))]));
  const defaultTables = defaultDb !== undefined ? dbTables.get(defaultDb) : undefined;
  checkTemplates(doc, { names, nodeIds, shards: new Set(shardsByName.keys()), dbTables, defaultTables, stepOrder: stepIdOrder(doc.steps), anchors, statics: cycle ? undefined : statics }, report);
}

/**
 * Node ids the scenario registers itself, with an admin call (a step, a branch or an
 * await) that POSTs {id} to the cluster's node list: expect_catalog may name them.
 */
function registeredNodes(steps: Step[]): Set<string> {
  const ids = new Set<string>();
  const visit = (ss: unknown) => {
    if (!Array.isArray(ss)) return;
    for (const s of ss as Array<Step | Step[]>) {
      if (Array.isArray(s)) { visit(s); continue; }
      if (!s || typeof s !== 'object') continue;
      for (const a of [s.admin, s.await?.admin]) {
        if (!a || typeof a.path !== 'string') continue;
        const method = a.method ?? (a.body !== undefined ? 'POST' : 'GET');
        const id = (a.body as { id?: unknown } | undefined)?.id;
        if (method === 'POST' && /^(\/api\/v3\/cluster\/)?nodes\/?$/.test(a.path) && typeof id === 'string' && !hasTemplate(id)) ids.add(id);
      }
      visit(s.parallel);
    }
  };
  visit(steps);
  return ids;
}

/** A loop of variables whose templates use each other (run would recurse forever), or undefined. */
function varCycle(vars: Record<string, unknown>): string[] | undefined {
  const uses = (name: string) => {
    const v = vars[name];
    return typeof v === 'string' ? templateRoots(v).filter((r) => Object.hasOwn(vars, r)) : [];
  };
  const done = new Set<string>();
  const walk = (name: string, trail: string[]): string[] | undefined => {
    if (trail.includes(name)) return [...trail.slice(trail.indexOf(name)), name];
    if (done.has(name)) return undefined;
    for (const next of uses(name)) {
      const c = walk(next, [...trail, name]);
      if (c) return c;
    }
    done.add(name);
    return undefined;
  };
  for (const name of Object.keys(vars)) {
    const c = walk(name, []);
    if (c) return c;
  }
  return undefined;
}

function hintFrom(word: string, known: string[]): string {
  const h = suggest(word, known);
  return h ? ` (did you mean "${h}"?)` : known.length ? ` (known: ${known.join(', ')})` : '';
}


/** Step ids with the document-order position at which each becomes available. */
function stepIdOrder(steps: Step[]): Map<string, string> {
  const ids = new Map<string, string>();
  const walk = (ss: Step[], base: string) => ss.forEach((s, i) => {
    const here = `${base}${String(i).padStart(4, '0')}`;
    if (s.parallel) s.parallel.forEach((b, j) => walk(Array.isArray(b) ? b : [b], `${here}.${String(j).padStart(4, '0')}.`));
    if (s.id) ids.set(s.id, here);
  });
  walk(steps, '');
  return ids;
}

function checkTemplates(
  doc: ScenarioDoc,
  known: {
    names: Map<string, string>; nodeIds: Set<string>; shards: Set<string>;
    dbTables: Map<string, Set<string>>; defaultTables: Set<string> | undefined; stepOrder: Map<string, string>; anchors: Map<string, bigint>; statics?: Resolver },
  outer: Report,
) {
  let reported = false;
  const report: Report = (...args) => { reported = true; outer(...args); };
  const found = collectTemplates({ ...doc, steps: undefined, databases: undefined, anchors: undefined });
  collectTemplates(doc.steps, ['steps'], found);
  collectTemplates(doc.databases, ['databases'], found);
  for (const { path, text } of found) {
    reported = false;
    const errors: string[] = [];
    const segs = parseTemplate(text, errors);
    for (const e of errors) report(path, e, false, /"(\$\{[^"]*)"/.exec(e)?.[1]);
    for (const seg of segs) {
      if (!('expr' in seg)) continue;
      const [root, second] = seg.expr.path;
      const where = `\${${seg.expr.source}}`;
      const report = (p: JsonPath, message: string) => { reported = true; outer(p, message, false, where); };
      if (root === 'nodes') {
        if (!second) report(path, `${where}: say which node, e.g. \${nodes.a.url}`);
        else if (!known.nodeIds.has(second)) report(path, `${where}: unknown node "${second}"`);
      } else if (root === 'shards') {
        // A declared shard by name, or the shards the cluster created for a table (live, in id order).
        const third = seg.expr.path[2];
        if (!second) report(path, `${where}: say which shard, e.g. \${shards.S1_A.id} or \${shards.<table>.0.id}`);
        else if (known.shards.has(second)) { /* declared */ }
        else if (known.dbTables.has(second)) { if (!third || !known.dbTables.get(second)!.has(third)) report(path, `${where}: say which table of database "${second}" (declared: ${[...known.dbTables.get(second)!].join(', ')})`); }
        else if (!known.defaultTables?.has(second)) report(path, `${where}: unknown shard or table "${second}"` + hintFrom(second, [...known.shards, ...(known.defaultTables ?? [])]));
      } else if (root === 'raft') {
        if (!second || !RAFT_NAMES.includes(second)) report(path, `${where}: the Raft state offers ${RAFT_NAMES.map((n) => `raft.${n}`).join(', ')}`);
      } else if (root === 'steps') {
        const at = second ? known.stepOrder.get(second) : undefined;
        if (!second) report(path, `${where}: say which step, e.g. \${steps.create.body}`);
        else if (at === undefined) report(path, `${where}: no step has id "${second}"`);
        else if (path[0] === 'steps' && stepPosition(path) <= at) report(path, `${where}: step "${second}" has not run yet at this point`);
      } else if (!['seed', 'run_id', 'scenario'].includes(root!) && !known.names.has(root!)) {
        report(path, `${where}: unknown name "${root}"` + hintFrom(root!, [...known.names.keys()]));
        continue;
      }
      // Offsets and unit filters apply to times, and only anchors are times (a filter
      // like iso turns one into text, so a unit filter must come first).
      const isTime = known.names.get(root!) === 'an anchor';
      const unitAt = seg.expr.filters.findIndex((f) => ['ns', 'us', 'ms', 's'].includes(f));
      if (isTime && second !== undefined) report(path, `${where}: "${root}" is a time; it has no "${second}"`);
      else if (!isTime && seg.expr.offsets.length) report(path, `${where}: only times (anchors) take "+"/"-" offsets, and "${root}" is not one`);
      else if (unitAt >= 0 && (!isTime || unitAt > 0)) report(path, `${where}: "| ${seg.expr.filters[unitAt]}" applies to a time (an anchor), before any other filter`);
      else if (isTime && known.anchors.has(root!)) {
        let ns = known.anchors.get(root!)!;
        for (const o of seg.expr.offsets) ns += o.sign === 1 ? o.ns : -o.ns;
        const problem = instantProblem(ns);
        if (problem) report(path, `${where}: ${problem}`);
      }
    }
    // What is known now (variables, anchors) must also render as run renders it.
    if (!reported && known.statics) {
      try { renderStatic(text, known.statics); } catch (e) { if (e instanceof TemplateError) outer(path, e.message, false, /^(\$\{[^}]*\})/.exec(e.message)?.[1]); else throw e; }
    }
  }
}

/** What `${raft.<name>}` offers (src/engine/live-names.ts). */
const RAFT_NAMES = ['leader', 'followers', 'voters', 'term'];

function stepPosition(path: Array<string | number>): string {
  // ['steps', 3, 'parallel', 1, 0, ...] -> "0003.0001.0000"
  const parts: string[] = [];
  for (let i = 1; i < path.length; i++) {
    if (typeof path[i] === 'number' && (i === 1 || path[i - 1] === 'parallel' || typeof path[i - 1] === 'number')) parts.push(String(path[i]).padStart(4, '0'));
  }
  return parts.join('.') + '~';
}
