// Clusters shared by the reusing scenarios of one run (cluster.reuse), one pool per
// compatibility key (src/scenario/reuse.ts), each cluster started lazily by the first
// scenario that gets it. A scenario has its cluster to itself: with --jobs, a compatible
// scenario running at the same time gets a second shared cluster (so at most one per
// job). When a scenario gives its cluster back, either more compatible scenarios may
// follow (the cluster is reset: its databases dropped, its health checked, and it waits
// for the next) or none will (it is stopped now). A cluster that cannot be reset is
// stopped and the next scenario starts a fresh one. Each shared driver stays in the
// run's `live` set until stopped, so an abrupt exit kills its nodes too.

import type { Driver, TeardownReport } from '../drivers/driver.js';
import { resetSharedCluster } from './cluster-reset.js';
import { errorMessage } from './errors.js';

interface Shared {
  driver: Driver;
  key: string;
  token?: string;
  /** "shared cluster 1". */
  name: string;
  /** Scenarios that have had it, this one included. */
  uses: number;
}

export interface ClusterLease {
  readonly driver: Driver;
  /** Started by an earlier scenario: this one skips the start. */
  readonly reused: boolean;
  readonly name: string;
  /** Which scenario of the cluster this is (1 for the one that starts it). */
  readonly use: number;
  /**
   * Gives the cluster back. more: compatible scenarios may still start (reset it for
   * them); otherwise it is stopped (left running with keep).
   */
  release(o: { more: boolean; keep: boolean; signal: AbortSignal }): Promise<TeardownReport & { retired?: string }>;
}

export class SharedClusters {
  private readonly idle = new Map<string, Shared[]>();
  /** Started and not yet stopped, idle or in use. */
  private readonly open = new Set<Shared>();
  private made = 0;

  constructor(private readonly create: (name: string) => Driver, private readonly live: Set<Driver>) {}

  /** Clusters started so far (a figure for tests and benchmarks). */
  get started(): number { return this.made; }

  acquire(key: string, token?: string): ClusterLease {
    const waiting = this.idle.get(key)?.pop();
    const shared = waiting ?? this.make(key, token);
    shared.uses++;
    return {
      driver: shared.driver, reused: waiting !== undefined, name: shared.name, use: shared.uses,
      release: (o) => this.release(shared, o),
    };
  }

  private make(key: string, token: string | undefined): Shared {
    const name = `shared cluster ${++this.made}`;
    const shared: Shared = { driver: this.create(`shared-${this.made}`), key, token, name, uses: 0 };
    this.open.add(shared);
    this.live.add(shared.driver);
    return shared;
  }

  private async release(shared: Shared, o: { more: boolean; keep: boolean; signal: AbortSignal }): Promise<TeardownReport & { retired?: string }> {
    if (o.more && !o.signal.aborted) {
      const unfit = await resetSharedCluster(shared.driver, shared.token, o.signal);
      if (unfit === undefined) {
        (this.idle.get(shared.key) ?? this.idle.set(shared.key, []).get(shared.key)!).push(shared);
        return { problems: [], kept: false };
      }
      // Not trusted with the next scenario: stopped, and the next one starts a fresh cluster.
      return { ...(await this.stop(shared, false)), retired: `${shared.name} stopped: ${unfit}; the next reusing scenario starts a fresh one` };
    }
    return this.stop(shared, o.keep);
  }

  private async stop(shared: Shared, keep: boolean): Promise<TeardownReport> {
    this.open.delete(shared);
    try {
      return await shared.driver.teardown({ keep });
    } catch (e) {
      return { problems: [`teardown of ${shared.name}: ${errorMessage(e)}`], kept: false };
    } finally {
      this.live.delete(shared.driver);
    }
  }

  /** Stops the clusters still waiting for scenarios that never started (--bail, Ctrl-C). */
  async closeAll(keep: boolean): Promise<string[]> {
    const waiting = [...this.open];
    this.idle.clear();
    const reports = await Promise.all(waiting.map((s) => this.stop(s, keep)));
    return reports.flatMap((r) => r.problems);
  }
}
