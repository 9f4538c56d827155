// Everything one scenario's steps share while it runs: the cluster (driver and
// client), the history, the seeded generator, and the names a template can use
// (anchors, vars, picks, shards, node URLs, earlier step outputs).

import { resolve } from 'node:path';
import type { Driver, NodeState } from '../drivers/driver.js';
import { Instant, render, type Resolver } from '../scenario/template.js';
import { evalTimeExpr, isTimeError } from '../scenario/time.js';
import type { PointSpec, Scenario, TableSpec } from '../scenario/types.js';
import { loadGolden } from '../verifiers/golden.js';
import type { Row } from '../verifiers/rows.js';
import type { ClusterClient } from './client.js';
import { InfraError, VerificationError } from './errors.js';
import type { TestInfo } from './events.js';
import type { History } from './history.js';
import type { ParallelGroup } from './parallel-group.js';
import type { Rng } from './rng.js';
import type { PlannedRound } from './nemesis/schedule.js';
import type { RaftView } from './live-names.js';

export interface ActiveFault {
  action: string;
  /** Its targets, as reports show them. */
  target: string;
  /** Undo at teardown (a paused node must be resumed before it can be stopped). */
  undo?: () => Promise<void>;
}

export class ScenarioContext {
  readonly anchors = new Map<string, bigint>();
  readonly picks = new Map<string, string>();
  readonly shards = new Map<string, Record<string, unknown>>();
  readonly outputs = new Map<string, unknown>();
  readonly activeFaults: ActiveFault[] = [];
  /** Nemesis schedules of the run being replayed, by step path: run as recorded, not drawn. */
  readonly recordedSchedules = new Map<string, PlannedRound[]>();
  readonly tables = new Map<string, TableSpec>();
  /** Parallel steps running now, by step path: how their branches wait for each other. */
  readonly parallelGroups = new Map<string, ParallelGroup>();
  /** Golden files, read once per scenario (an await may check them hundreds of times). */
  private readonly goldens = new Map<string, Promise<Row[]>>();
  /** Live names (src/engine/live-names.ts), fetched just before the step that uses them. */
  raftView: RaftView | undefined;
  readonly tableShards = new Map<string, Array<Record<string, unknown>>>();
  readonly defaultDb: string | undefined;
  readonly stepTimeoutMs: number;

  constructor(
    readonly scenario: Scenario,
    readonly info: TestInfo,
    readonly runId: string,
    readonly driver: Driver,
    readonly client: ClusterClient,
    readonly history: History,
    readonly rng: Rng,
    /** Aborted on Ctrl-C. */
    readonly signal: AbortSignal,
    stepTimeoutMs: number,
  ) {
    const doc = scenario.doc;
    const dbs = Object.keys(doc.databases ?? {});
    this.defaultDb = dbs.length === 1 ? dbs[0] : undefined;
    for (const [db, spec] of Object.entries(doc.databases ?? {})) {
      for (const [t, ts] of Object.entries(spec.tables ?? {})) this.tables.set(`${db}.${t}`, ts);
    }
    for (const [name, expr] of Object.entries(doc.anchors ?? {})) {
      const v = evalTimeExpr(expr, (n) => this.anchors.get(n));
      if (isTimeError(v)) throw new Error(`anchor ${name}: ${v.message}`); // the lint has already rejected this
      this.anchors.set(name, v);
    }
    this.stepTimeoutMs = stepTimeoutMs;
  }

  get doc() { return this.scenario.doc; }

  readonly resolve: Resolver = (path) => {
    const [root, ...rest] = path;
    let value: unknown;
    if (root === 'nodes') {
      const id = rest.shift()!;
      try { value = this.driver.node(id); } catch { return { found: false, message: `unknown node "${id}"` }; }
    } else if (root === 'shards') {
      const t = this.tableOfShardsPath(rest);
      if (t) {
        rest.splice(0, t.segments);
        value = this.tableShards.get(`${t.db}.${t.table}`);
        if (!value) return { found: false, message: `the shards of ${t.db}.${t.table} were not fetched` };
      } else {
        const name = rest.shift()!;
        if (!this.shards.has(name)) return { found: false, message: `shard "${name}" was not created` };
        value = this.shards.get(name);
      }
    } else if (root === 'raft') {
      if (!this.raftView) return { found: false, message: 'the Raft state was not fetched' };
      value = this.raftView;
    } else if (root === 'steps') {
      const id = rest.shift()!;
      if (!this.outputs.has(id)) return { found: false, message: `step "${id}" has not produced output (did it run?)` };
      value = this.outputs.get(id);
    } else if (root === 'seed') value = this.info.seed;
    else if (root === 'run_id') value = this.runId;
    else if (root === 'scenario') value = this.info.name;
    else if (this.anchors.has(root!)) value = new Instant(this.anchors.get(root!)!);
    else if (this.picks.has(root!)) value = this.picks.get(root!);
    else if (this.doc.vars && root! in this.doc.vars) value = this.render(this.doc.vars[root!]);
    else return { found: false, message: `unknown name "${root}"` };
    for (const seg of rest) {
      if (value === null || typeof value !== 'object') return { found: false, message: `no "${seg}" in ${JSON.stringify(value)}` };
      const next = (value as Record<string, unknown>)[seg];
      if (next === undefined) return { found: false, message: `no "${seg}" in ${JSON.stringify(value).slice(0, 200)}` };
      value = next;
    }
    return { found: true, value };
  };

  /**
   * `${shards.<table>...}` or `${shards.<db>.<table>...}` (a table's live shards) rather than
   * `${shards.<name>...}` (a declared shard): the table, and how many path segments name it.
   */
  tableOfShardsPath(rest: string[]): { db: string; table: string; segments: number } | undefined {
    const [first, second] = rest;
    if (first === undefined || this.shards.has(first)) return undefined;
    if (this.doc.databases && Object.hasOwn(this.doc.databases, first) && second !== undefined) return { db: first, table: second, segments: 2 };
    if (this.defaultDb !== undefined && this.tables.has(`${this.defaultDb}.${first}`)) return { db: this.defaultDb, table: first, segments: 1 };
    return undefined;
  }

  render<T>(v: T): T {
    return render(v, this.resolve);
  }

  time(expr: string | number): bigint {
    const rendered = typeof expr === 'string' ? String(this.render(expr)) : expr;
    const v = evalTimeExpr(rendered, (n) => this.anchors.get(n));
    if (isTimeError(v)) throw new VerificationError(v.message);
    return v;
  }

  /** The rows of a golden file beside the scenario. */
  golden(file: string): Promise<Row[]> {
    const path = resolve(this.scenario.dir, file);
    let rows = this.goldens.get(path);
    if (!rows) this.goldens.set(path, (rows = loadGolden(path)));
    return rows;
  }

  /**
   * Resolves a node reference; `random` picks (seeded) among nodes in one of `states`, other
   * than `exclude`, in id order so a seed picks the same node however the driver lists them.
   */
  node(ref: string | undefined, states: NodeState[] = ['running'], exclude: string[] = []): string {
    if (ref === undefined) {
      const first = this.driver.nodes().find((n) => n.state === 'running');
      if (!first) throw new VerificationError('no node is running to send this to');
      return first.id;
    }
    if (ref === 'random') {
      const candidates = this.driver.nodes().filter((n) => states.includes(n.state) && !exclude.includes(n.id)).map((n) => n.id).sort();
      if (candidates.length === 0) throw new VerificationError(`no node is ${states.join(' or ')} to pick from`);
      return this.rng.pick(candidates);
    }
    this.driver.node(ref); // throws on unknown ids
    return ref;
  }

  url(id: string): string {
    const n = this.driver.node(id);
    return n.clientUrl ?? n.url;
  }

  db(db: string | undefined): string {
    const d = db ?? this.defaultDb;
    if (!d) throw new InfraError('no database given and none to default to');
    return d;
  }

  point(ref: string | PointSpec): PointSpec {
    if (typeof ref !== 'string') return this.render(ref);
    const p = this.doc.points?.[ref];
    if (!p) throw new VerificationError(`unknown point "${ref}"`);
    return this.render(p);
  }
}
