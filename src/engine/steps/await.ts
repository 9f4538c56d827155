// await: poll a condition (a query, an admin call, the catalog, a consistency
// check, or node health) until it holds, or fail with the last reason when the
// timeout passes. The way to wait for replication, catch-up or recovery.

import type { AwaitSpec } from '../../scenario/types.js';
import { durationMs } from '../../scenario/duration.js';
import { DEFAULT_AWAIT_INTERVAL_MS, DEFAULT_AWAIT_TIMEOUT_MS } from '../plan.js';
import { healthOk } from '../../drivers/health.js';
import { VerificationError, errorMessage } from '../errors.js';
import type { ScenarioContext } from '../context.js';
import { PollTimeout, pollUntil } from '../../util/poll.js';
import { runAdmin } from './admin.js';
import { checkConsistency } from './consistency.js';
import { checkCatalog } from './expect-catalog.js';
import { refreshLiveNames } from '../live-names.js';
import { SettledError, checkMigrationState, checkRebalanceState } from './await-migration.js';
import { query } from './query.js';
import type { StepImpl, StepRun } from './step.js';

export { DEFAULT_AWAIT_TIMEOUT_MS };

async function attempt(ctx: ScenarioContext, s: AwaitSpec, r: StepRun, signal: AbortSignal): Promise<unknown> {
  const cond = { ...s, timeout: undefined, interval: undefined };
  await refreshLiveNames(ctx, cond, r.path, signal);
  const spec = ctx.render(cond);
  if (spec.query) return query.run(spec.query, { ...r, signal });
  if (spec.admin) return runAdmin(ctx, spec.admin, r.path, signal, r.node);
  if (spec.expect_catalog) return checkCatalog(ctx, spec.expect_catalog, r.path, signal, r.node);
  if (spec.consistency) return checkConsistency(ctx, spec.consistency, r.path, signal, r.node);
  if (spec.migration) return checkMigrationState(ctx, spec.migration, r.path, signal, r.node);
  if (spec.rebalance) return checkRebalanceState(ctx, spec.rebalance, r.path, signal, r.node);
  const refs = Array.isArray(spec.healthy) ? spec.healthy : [spec.healthy!];
  for (const ref of refs) {
    const node = r.node(ref, ['running', 'paused', 'stopped']);
    const ok = await ctx.history.op({ f: 'health', node, step: r.path }, () => healthOk(ctx.url(node)), { okValue: (v) => ({ healthy: v }) });
    if (!ok) throw new VerificationError(`node ${node} is not healthy`);
  }
  return { healthy: refs };
}

export const awaitStep: StepImpl<AwaitSpec> = {
  verifies: true,
  render: false,
  label(s) {
    const what = s.query ? `query${s.query.via ? ` via ${s.query.via}` : ''}${s.query.local ? ' (local)' : ''}: ${s.query.sql.slice(0, 50)}`
      : s.admin ? `${s.admin.method ?? 'GET'} ${s.admin.path}`
      : s.expect_catalog ? 'catalog'
      : s.consistency ? 'consistency'
      : s.migration ? `migration ${s.migration.id ?? `of shard ${s.migration.shard_id}`} ${s.migration.state}`
      : s.rebalance ? `rebalance ${s.rebalance.id} ${s.rebalance.state}`
      : `healthy ${Array.isArray(s.healthy) ? s.healthy.join(', ') : s.healthy}`;
    return `await ${what} (up to ${s.timeout ?? `${DEFAULT_AWAIT_TIMEOUT_MS / 1000}s`})`;
  },
  async run(s, r) {
    const timeoutMs = durationMs(s.timeout, DEFAULT_AWAIT_TIMEOUT_MS);
    const intervalMs = durationMs(s.interval, DEFAULT_AWAIT_INTERVAL_MS, 'interval');
    let last: unknown;
    let attempts = 0;
    try {
      return await pollUntil(async ({ n, remainingMs }) => {
        attempts = r.attempts = n;
        // An attempt may not outlive the await's deadline (a paused node would hang it).
        const signal = AbortSignal.any([r.signal, AbortSignal.timeout(Math.ceil(remainingMs))]);
        try {
          return { attempts: n, output: await attempt(r.ctx, s, r, signal) };
        } catch (e) {
          if (r.signal.aborted) throw e;
          if (e instanceof SettledError) throw e; // it can no longer hold: no point waiting
          // An attempt cut short by the deadline says nothing about the condition: report the
          // last attempt that actually answered, if there was one.
          if (!(signal.aborted && last !== undefined)) last = e;
          return undefined;
        }
      }, { timeoutMs, intervalMs, signal: r.signal, describe: 'the await condition' });
    } catch (e) {
      if (!(e instanceof PollTimeout)) throw e;
    }
    const reason = errorMessage(last);
    const detail = last instanceof VerificationError ? last.detail : {};
    throw new VerificationError(`still not true after ${s.timeout ?? `${timeoutMs / 1000}s`} (${attempts} attempts): ${reason}`, detail);
  },
};
