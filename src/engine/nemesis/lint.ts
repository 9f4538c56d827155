// What validate checks in a nemesis beyond its schema, each where it is: the menu's kinds
// (unknown ones with a "did you mean", undo-only kinds, a kind listed twice), options
// that do not belong to a kind, option values read by the fault's own lint, intervals
// and holds (durations above zero, min not above max), a schedule of sane size, and the
// tables named by move_shard and `targets: {primary: <table>}`.

import type { JsonPath } from '../../scenario/positions.js';
import { isDurationError, readDuration } from '../../scenario/duration.js';
import { suggest } from '../../scenario/schema.js';
import type { DurationRange, NemesisSpec, NemesisTargets } from '../../scenario/types.js';
import { FAULTS } from '../../faults/index.js';
import { COMMON_OPTIONS, MEMBERSHIP, MENU, UNDO_KINDS, menuEntry, menuKinds } from './menu.js';
import { MAX_ROUNDS, maxRounds } from './schedule.js';

type Report = (path: JsonPath, message: string, key?: boolean) => void;

/** The scenario's tables: `key` reads a name as written (table or db.table) into db.table. */
export interface LintTables { key(name: string): string | undefined; known: string[] }

/** `at`: the nemesis value's path; `nodeIds`: the topology's nodes. */
export function lintNemesis(spec: NemesisSpec, at: JsonPath, nodeIds: string[], report: Report, tables?: LintTables): void {
  if (!spec || typeof spec !== 'object' || !Array.isArray(spec.faults)) return; // the schema says what is wrong
  const checkTable = (path: JsonPath, name: unknown) => {
    if (!tables || typeof name !== 'string') return;
    const key = tables.key(name);
    if (!key) { report(path, `say which database: "db.${name}" (the scenario declares more than one)`); return; }
    if (tables.known.includes(key)) return;
    const hint = suggest(name, tables.known.map((k) => (name.includes('.') ? k : k.slice(k.indexOf('.') + 1))));
    report(path, `table "${key}" is not declared under databases${hint ? ` (did you mean "${hint}"?)` : tables.known.length ? ` (declared: ${tables.known.join(', ')})` : ''}`);
  };
  const checkTargets = (path: JsonPath, t: NemesisTargets | undefined) => {
    if (t && typeof t === 'object' && !Array.isArray(t)) checkTable([...path, 'primary'], t.primary);
  };
  checkTargets([...at, 'targets'], spec.targets);
  let timesOk = true;
  const duration = (path: JsonPath, v: unknown, use: 'interval' | 'timeout'): number | undefined => {
    const r = readDuration(v, use);
    if (isDurationError(r)) { report(path, r.error); timesOk = false; return undefined; }
    return Number(r.ns);
  };
  const range = (key: 'interval' | 'hold', v: DurationRange | undefined) => {
    if (v === undefined) return;
    if (typeof v === 'string') { duration([...at, key], v, 'interval'); return; }
    if (!v || typeof v !== 'object') return;
    const min = duration([...at, key, 'min'], v.min, 'interval');
    const max = duration([...at, key, 'max'], v.max, 'interval');
    if (min !== undefined && max !== undefined && min > max) { report([...at, key], `min (${v.min}) is longer than max (${v.max})`); timesOk = false; }
  };
  duration([...at, 'duration'], spec.duration, 'timeout');
  range('interval', spec.interval);
  range('hold', spec.hold);
  if (timesOk) {
    const n = maxRounds(spec);
    if (n > MAX_ROUNDS) report([...at, 'interval'], `${spec.duration} of rounds this short is up to ${n} rounds: at most ${MAX_ROUNDS} (make interval or hold longer)`);
  }

  (spec.nodes ?? []).forEach((n, i) => {
    if (typeof n !== 'string' || nodeIds.includes(n)) return;
    const hint = suggest(n, nodeIds);
    report([...at, 'nodes', i], `unknown node "${n}"${hint ? ` (did you mean "${hint}"?)` : ` (declared: ${nodeIds.join(', ')})`}`);
  });
  const seen = new Map<string, number>();
  const kinds = menuKinds();
  spec.faults.forEach((item, i) => {
    if (item === null || (typeof item !== 'string' && typeof item !== 'object')) return;
    if (typeof item === 'object' && Object.keys(item).length !== 1) return; // the schema says one kind per entry
    const { kind, options } = menuEntry(item);
    const kp: JsonPath = typeof item === 'string' ? [...at, 'faults', i] : [...at, 'faults', i, kind];
    const key = typeof item !== 'string';
    if (UNDO_KINDS[kind]) { report(kp, `"${kind}" only undoes a fault: the nemesis runs it itself after ${UNDO_KINDS[kind]}`, key); return; }
    const op: JsonPath = [...at, 'faults', i, kind];
    const member = MEMBERSHIP[kind];
    if (member) {
      if (seen.has(kind)) report(kp, `"${kind}" is on the menu twice (entry ${seen.get(kind)! + 1} too): give it a weight instead`, key);
      else seen.set(kind, i);
      for (const r of member.required) if (!options || options[r] === undefined) report(kp, `${kind} needs ${r}: write {${kind}: {${r}: <${r}>}}`, key);
      if (!options || typeof options !== 'object') return;
      for (const o of Object.keys(options)) {
        if (o === 'targets') report([...op, o], `targets does not apply to ${kind}: it draws the shard, the copy and the node to move it to from the catalog when the round starts`, true);
        else if (o !== 'weight' && !(member.options as string[]).includes(o)) report([...op, o], `${o} does not apply to ${kind} (it takes weight, ${member.options.join(', ')})`, true);
      }
      if (member.options.includes('table')) checkTable([...op, 'table'], options.table);
      if (options.timeout !== undefined) duration([...op, 'timeout'], options.timeout, 'timeout');
      return;
    }
    const m = MENU[kind];
    if (!m) {
      const hint = suggest(kind, kinds);
      report(kp, `unknown fault kind "${kind}"${hint ? ` (did you mean "${hint}"?)` : ` (a nemesis draws from: ${kinds.join(', ')})`}`, key);
      return;
    }
    if (seen.has(kind)) report(kp, `"${kind}" is on the menu twice (entry ${seen.get(kind)! + 1} too): give it a weight instead`, key);
    else seen.set(kind, i);
    if (m.minNodes && nodeIds.length < m.minNodes) report(kp, `${kind} needs at least ${m.minNodes} nodes; the cluster has ${nodeIds.length}`, key);
    if (!options || typeof options !== 'object') return;
    checkTargets([...op, 'targets'], options.targets);
    for (const o of Object.keys(options)) {
      if (!(COMMON_OPTIONS as readonly string[]).includes(o) && !(m.options as string[]).includes(o)) {
        const owners = [...Object.entries(MENU), ...Object.entries(MEMBERSHIP)].filter(([, k]) => (k.options as string[]).includes(o)).map(([n]) => n);
        report([...op, o], `${o} does not apply to ${kind}${owners.length ? ` (it is an option of ${owners.join(', ')})` : ''}`, true);
      }
    }
    const shape = options.shape ?? 'isolate';
    if (kind === 'partition' && shape !== 'isolate' && options.targets !== undefined) report([...op, 'targets'], `a ${shape} partition draws its own split: targets applies to isolate only`, true);
    // The fault's own lint reads the values, as for a fault step aimed at one node.
    const probe = m.spec([nodeIds[0] ?? 'a'], options, nodeIds);
    FAULTS[kind]!.lint(probe as never, {
      report: (p, msg) => report([...op, ...p.filter((s) => typeof s === 'string' && s in options)].slice(0, op.length + 1), msg),
      node: () => undefined,
      nodeIds,
    });
  });
}
