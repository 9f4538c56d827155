// await's `migration:` and `rebalance:` conditions: one poll of a migration (by id, or the
// one of a shard that started last) or a rebalance, holding once it reached the wanted state or a
// later one. A migration that Failed or RolledBack (or a rebalance that Failed) can no
// longer get there: that ends the await at once, with the error the server gave.

import { MIGRATION_STATES, type AwaitMigrationSpec, type AwaitRebalanceSpec } from '../../scenario/types.js';
import { VerificationError } from '../errors.js';
import type { ScenarioContext } from '../context.js';
import { clusterGet, newestMigration } from '../cluster-plane.js';
import { describeMigration, historyStates } from './catalog-migrations.js';
import type { PickNode } from './step.js';

type Obj = Record<string, unknown>;

/** The normal path, in order (MIGRATION_STATES up to Cleaned); a state later in it counts as having passed the earlier ones. */
const PATH: readonly string[] = MIGRATION_STATES.slice(0, MIGRATION_STATES.indexOf('Cleaned') + 1);
/** The states after Cleaned in MIGRATION_STATES: the ends of a migration that did not complete. */
const FAILED: readonly string[] = MIGRATION_STATES.slice(MIGRATION_STATES.indexOf('Cleaned') + 1);

/** A condition that can no longer hold: await stops polling and fails with it. */
export class SettledError extends VerificationError {}

const getJson = (ctx: ScenarioContext, node: string, what: string, step: string, signal: AbortSignal) => clusterGet(ctx, what, { node, step, signal });

export async function checkMigrationState(ctx: ScenarioContext, s: AwaitMigrationSpec, step: string, signal: AbortSignal, pick: PickNode): Promise<Obj> {
  const node = pick(s.via);
  let m: Obj | undefined;
  if (s.id !== undefined) {
    const r = await getJson(ctx, node, `migrations/${encodeURIComponent(String(s.id))}`, step, signal);
    if (r.status === 404) throw new VerificationError(`migration ${String(s.id)} is not known to ${node} (404)`);
    if (r.status !== 200) throw new VerificationError(`GET migrations/${String(s.id)} via ${node}: status ${r.status}: ${r.text.slice(0, 300)}`);
    m = r.body;
  } else {
    const r = await getJson(ctx, node, 'migrations', step, signal);
    if (r.status !== 200) throw new VerificationError(`GET migrations via ${node}: status ${r.status}: ${r.text.slice(0, 300)}`);
    const ofShard = ((r.body.migrations ?? []) as Obj[]).filter((x) => String(x.shard_id) === String(s.shard_id));
    // The shard's newest migration by start time, not the list's order (docs/protocol.md).
    m = newestMigration(ofShard);
    if (!m) throw new VerificationError(`no migration of shard ${String(s.shard_id)} is known to ${node}`);
  }
  const state = String(m.state);
  const seen = `migration ${describeMigration(m)}; history: ${historyStates(m).join(' -> ')}`;
  if (state === s.state) return m;
  if (FAILED.includes(state)) throw new SettledError(`${seen}${m.error ? `; error: ${String(m.error)}` : ''}: it will not reach ${s.state}`, { expected: s.state, actual: m });
  if (PATH.includes(s.state) && PATH.indexOf(state) > PATH.indexOf(s.state)) return m;
  if (state === 'Cleaned') throw new SettledError(`${seen}: it ended without ${s.state}`, { expected: s.state, actual: m });
  throw new VerificationError(`last seen ${seen}`, { expected: s.state, actual: m });
}

export async function checkRebalanceState(ctx: ScenarioContext, s: AwaitRebalanceSpec, step: string, signal: AbortSignal, pick: PickNode): Promise<Obj> {
  const node = pick(s.via);
  const r = await getJson(ctx, node, `rebalance/${encodeURIComponent(String(s.id))}`, step, signal);
  if (r.status === 404) throw new VerificationError(`rebalance ${String(s.id)} is not known to ${node} (404)`);
  if (r.status !== 200) throw new VerificationError(`GET rebalance/${String(s.id)} via ${node}: status ${r.status}: ${r.text.slice(0, 300)}`);
  const state = String(r.body.state);
  const seen = `rebalance ${String(s.id)} (${String(r.body.strategy ?? '')}) is ${state}`;
  if (state === s.state) return r.body;
  if (state !== 'Running') throw new SettledError(`${seen}${r.body.error ? `: ${String(r.body.error)}` : ''}; it will not become ${s.state}`, { expected: s.state, actual: r.body });
  throw new VerificationError(`last seen ${seen}`, { expected: s.state, actual: r.body });
}
