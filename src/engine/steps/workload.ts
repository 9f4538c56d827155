// workload: `clients` concurrent clients, each one operation at a time (Jepsen's process
// model), writing and reading one table at a bounded rate until `duration` or `ops` is
// reached. Every operation is in the history with what the checkers need; a node that is
// down, paused or cut off gives fail/info operations and the client moves on. Then, once
// the other branches of an enclosing parallel (a nemesis) are quiet, a final phase reads
// everything back from every node (src/engine/workload/final-phase.ts).

import { setMaxListeners } from 'node:events';
import { durationMs } from '../../scenario/duration.js';
import type { WorkloadSpec } from '../../scenario/types.js';
import { VerificationError } from '../errors.js';
import { enclosingGroups } from '../parallel-group.js';
import { finalPhase, type FinalPhase } from '../workload/final-phase.js';
import { OpSequence, kindChooser } from '../workload/generator.js';
import { readTable, writePoint, type Target } from '../workload/operations.js';
import { Tally } from '../workload/tally.js';
import type { StepImpl } from './step.js';

export const DEFAULT_OP_TIMEOUT_MS = 5_000;
export const DEFAULT_FINAL_TIMEOUT_MS = 30_000;
export const DEFAULT_RATE = 100;
const DEFAULT_KEYS = { set: 16, overwrite: 8 };
const PROGRESS_EVERY_MS = 1_000;

export const workload: StepImpl<WorkloadSpec> = {
  verifies: false,
  label: (s) => {
    const rate = s.rate === 'unlimited' ? 'unlimited rate' : `${s.rate ?? DEFAULT_RATE} ops/s`;
    const bound = [s.duration, s.ops !== undefined ? `${s.ops} ops` : undefined].filter(Boolean).join(' or ');
    return `workload ${s.kind} on ${s.table}: ${s.clients ?? 4} clients, ${rate}, ${bound}`;
  },
  async run(s, r) {
    const { ctx, path, signal } = r;
    const db = ctx.db(s.db);
    const table = s.table.includes('.') && !ctx.tables.has(`${db}.${s.table}`) ? s.table.slice(s.table.indexOf('.') + 1) : s.table;
    const spec = ctx.tables.get(`${db}.${table}`);
    const candidates = s.nodes ?? ctx.driver.nodes().filter((n) => n.state === 'running').map((n) => n.id).sort();
    if (candidates.length === 0) throw new VerificationError('no node is running for the workload to send to');
    const target: Target = {
      ctx, db, table, step: path, signal,
      tag: spec?.shard_keys?.[0] ?? spec?.tags?.[0] ?? 'key',
      fieldTypes: spec?.fields ?? { value: 'integer' },
      consistency: s.consistency,
      timeoutMs: durationMs(s.op_timeout, DEFAULT_OP_TIMEOUT_MS),
    };
    const start = s.start !== undefined ? ctx.time(s.start) : BigInt(Date.now()) * 1_000_000n;
    const keys = s.keys;
    const rate = s.rate === 'unlimited' ? undefined : s.rate ?? DEFAULT_RATE;
    const seq = new OpSequence({ ops: s.ops, durationMs: s.duration !== undefined ? durationMs(s.duration, 0) : undefined, rate }, signal);
    const choose = kindChooser(s.kind, s.weights);
    const tally = new Tally();
    // Every client's request listens to the step's signal: more than Node's default of 10.
    setMaxListeners(2 * (s.clients ?? 4) + 10, signal);
    let overwriteValue = 0;
    let phase = '';

    const ticker = setInterval(() => r.progress(tally.text(tally.rateSinceLast(), phase ? [phase] : [])), PROGRESS_EVERY_MS);
    ticker.unref();

    const client = async (i: number) => {
      const rng = ctx.rng.derive(`workload:${path}:${i}`);
      for (let n = await seq.next(); n !== undefined; n = await seq.next()) {
        const kind = choose(rng);
        const node = rng.pick(candidates);
        tally.started++;
        let res;
        if (kind === 'set') {
          // Unique per operation: a time no other write of this workload uses.
          res = await writePoint(target, node, `k${n % (keys ?? DEFAULT_KEYS.set)}`, start + BigInt(n) * 1_000n, n);
        } else if (kind === 'overwrite') {
          res = await writePoint(target, node, `k${rng.int(keys ?? DEFAULT_KEYS.overwrite)}`, start, ++overwriteValue);
        } else {
          res = await readTable(target, node, { local: s.local });
        }
        tally.record(kind, node, res.outcome, res.ms, kind !== 'read');
        if (res.error && tally.firstError === undefined) tally.firstError = `${kind} via ${node}: ${res.error}`;
      }
    };

    let final: FinalPhase | undefined;
    const t0 = performance.now();
    try {
      await Promise.all(Array.from({ length: s.clients ?? 4 }, (_, i) => client(i)));
      const runMs = performance.now() - t0;
      // Beside a nemesis: the final reads come after it has healed the cluster.
      const groups = enclosingGroups(ctx.parallelGroups, path);
      for (const { group, branch } of groups) group.markQuiet(branch);
      if (groups.length) {
        const aborted = new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
        aborted.catch(() => undefined);
        for (const { group, branch } of groups) {
          if (group.busy(branch).length) phase = 'waiting for the other branches to end';
          await Promise.race([group.othersQuiet(branch), aborted]);
        }
      }
      const wrote = s.kind !== 'read' && !(s.kind === 'mix' && !(s.weights?.set || s.weights?.overwrite));
      if (wrote) {
        const nodes = ctx.driver.nodes().filter((n) => n.state === 'running').map((n) => n.id).sort();
        final = await finalPhase(target, nodes, durationMs(s.final_timeout, DEFAULT_FINAL_TIMEOUT_MS), (round) => { phase = `final reads, round ${round}`; });
      }
      const out = {
        kind: s.kind, clients: s.clients ?? 4, rate: rate ?? 'unlimited',
        ops: { started: tally.started, ...tally.outcomes }, by_kind: tally.byKind, by_node: tally.byNode,
        run_ms: Math.round(runMs), ops_per_s: Math.round((tally.done / (runMs / 1000)) * 10) / 10,
        write_latency_ms: tally.latency(),
        ...(final ? { final } : {}),
      };
      if (tally.started > 0 && tally.outcomes.ok === 0) {
        throw new VerificationError(`no operation of the workload succeeded (${tally.outcomes.fail} fail, ${tally.outcomes.info} info); the first error: ${tally.firstError}`, { actual: out });
      }
      if (final && Object.values(final.rows).every((n) => n === null)) {
        throw new VerificationError(`final phase: no node answered the final read (${final.nodes.join(', ')})`, { actual: out });
      }
      return out;
    } finally {
      clearInterval(ticker);
      r.progress(tally.text(tally.rateSinceLast()));
    }
  },
};
