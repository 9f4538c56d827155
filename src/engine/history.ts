// The history of a run: every operation against the cluster as an invocation and
// its completion, Jepsen style. ok: it happened; fail: it certainly did not;
// info: unknown (a timeout or a dropped connection on a write may have applied).

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

export interface HistoryEntry {
  /** Position in the scenario's history. */
  index: number;
  type: OpType;
  /** Which invocation this completes (its index); same as index for invokes. */
  invoke_index: number;
  /** Operation: write, query, admin, route, health, checksum, kill, start, ... */
  f: string;
  node: string | null;
  /** Step path ("3", "5.1.0"), or "setup" / "teardown". */
  step: string;
  scenario: string;
  /** Milliseconds since the scenario started (monotonic clock). */
  time_ms: number;
  wall: string;
  value?: unknown;
  error?: string;
}

export type HistoryListener = (entry: HistoryEntry) => void;

export class History {
  private readonly entries: HistoryEntry[] = [];
  private readonly t0 = performance.now();
  /** Milliseconds spent waiting on the cluster, for the per-step overhead figure. */
  ioMs = 0;

  constructor(readonly scenario: string, private readonly listener?: HistoryListener) {}

  private push(e: Omit<HistoryEntry, 'index' | 'time_ms' | 'wall' | 'scenario' | 'invoke_index'> & { invoke_index?: number }): HistoryEntry {
    const index = this.entries.length;
    const entry: HistoryEntry = {
      index, scenario: this.scenario, invoke_index: e.invoke_index ?? index,
      time_ms: Math.round((performance.now() - this.t0) * 1000) / 1000, wall: new Date().toISOString(),
      type: e.type, f: e.f, node: e.node, step: e.step,
      ...(e.value !== undefined ? { value: e.value } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
    };
    this.entries.push(entry);
    this.listener?.(entry);
    return entry;
  }

  /**
   * Records an operation around `run`: the invoke, then ok with the value it returns,
   * or fail/info from `classify` when it throws. Time inside counts as cluster time.
   */
  async op<T>(
    meta: { f: string; node: string | null; step: string; value?: unknown },
    run: () => Promise<T>,
    opts: { okValue?: (r: T) => unknown; classify?: (r: T) => 'ok' | 'fail' | 'info'; onError?: (e: unknown) => 'fail' | 'info' } = {},
  ): Promise<T> {
    const inv = this.push({ type: 'invoke', ...meta });
    const start = performance.now();
    try {
      const r = await run();
      this.push({ type: opts.classify?.(r) ?? 'ok', f: meta.f, node: meta.node, step: meta.step, value: opts.okValue ? opts.okValue(r) : undefined, invoke_index: inv.index });
      return r;
    } catch (e) {
      this.push({ type: opts.onError?.(e) ?? 'info', f: meta.f, node: meta.node, step: meta.step, error: e instanceof Error ? e.message : String(e), invoke_index: inv.index });
      throw e;
    } finally {
      this.ioMs += performance.now() - start;
    }
  }

  all(): readonly HistoryEntry[] {
    return this.entries;
  }
}
