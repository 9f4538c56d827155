// Runs query stages in a small pool of executor processes (executor-process.ts), so that SQLite
// (synchronous in better-sqlite3) never blocks the node's event loop: /health, writes and other
// queries keep being answered while a heavy query runs. Each task carries the query's deadline;
// the executor checks it between rows, and a task still running at the deadline (one long SQLite
// step, a runaway regex) has its process killed and replaced: the only way to stop SQLite here.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ColumnSchema } from '../types.js';
import { QueryError } from './errors.js';
import type { ScanResult } from './execute.js';
import type { OutputFormat } from './format.js';
import { timeLimitError, type QueryLimits } from './limits.js';
import type { QueryPlan, TableScan } from './planner.js';

/** The parts of the catalog planning reads: db -> table -> schema. */
export type CatalogSnapshot = Record<string, Record<string, { columns: ColumnSchema[]; shard_keys: string[] }>>;

interface TaskBase {
  id: number;
  limits: QueryLimits;
  /** Date.now() past which the task gives up. */
  deadline: number;
}

export type ExecutorTask = TaskBase &
  (
    | { kind: 'plan'; sql: string; db: string; catalog: CatalogSnapshot; now: bigint }
    | { kind: 'scan'; file: string; source: string; scan: TableScan }
    | { kind: 'final'; plan: QueryPlan; inputs: Array<[string, ScanResult[]]>; format: OutputFormat }
  );

export type ExecutorReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; status: number; message: string };

type TaskInput = ExecutorTask extends infer T ? (T extends ExecutorTask ? Omit<T, 'id' | 'limits' | 'deadline'> : never) : never;

/** What a query has to finish by: its limits and deadline, shared by all its stages. */
export interface QueryBudget {
  limits: QueryLimits;
  deadline: number;
}

const STAGE: Record<ExecutorTask['kind'], string> = { plan: 'parsing and planning', scan: 'a shard scan', final: 'the final stage' };
/** How long past the deadline a task may take to notice it before its process is killed. */
const KILL_GRACE_MS = 200;
const ENTRY = fileURLToPath(new URL('./executor-process.js', import.meta.url));

interface Worker {
  proc: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  pending?: { id: number; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; kind: ExecutorTask['kind']; budget: QueryBudget };
}

interface Queued {
  task: TaskInput;
  budget: QueryBudget;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

export class QueryExecutor {
  private workers: Worker[] = [];
  private queue: Queued[] = [];
  private nextId = 1;
  private closed = false;
  /** Processes killed at a deadline since start (for tests and metrics). */
  killed = 0;

  constructor(
    private readonly size: number,
    private readonly onError: (msg: string) => void = () => undefined,
  ) {}

  /** Runs one stage; rejects with a QueryError (400 for limits and bad SQL). */
  run<T>(task: TaskInput, budget: QueryBudget): Promise<T> {
    if (this.closed) return Promise.reject(new QueryError(503, 'node is shutting down'));
    if (Date.now() > budget.deadline) return Promise.reject(timeLimitError(budget.limits, STAGE[task.kind]));
    return new Promise<T>((resolve, reject) => {
      const q: Queued = { task, budget, resolve: resolve as (v: unknown) => void, reject };
      // A task still queued at its deadline (every process busy) gives up there, not later.
      q.timer = setTimeout(() => {
        const i = this.queue.indexOf(q);
        if (i < 0) return;
        this.queue.splice(i, 1);
        reject(timeLimitError(budget.limits, STAGE[task.kind]));
      }, Math.max(0, budget.deadline - Date.now()));
      this.queue.push(q);
      this.dispatch();
    });
  }

  /**
   * Starts one process ahead of the first query: a cold start costs 0.3-1 s, which a query's
   * caller (a scenario's short await, a client's timeout) should not pay.
   */
  warm(): void {
    if (!this.closed && this.workers.length === 0) this.spawn();
  }

  close(): void {
    this.closed = true;
    for (const w of this.workers) w.proc.kill('SIGKILL');
    this.workers = [];
    for (const q of this.queue.splice(0)) {
      clearTimeout(q.timer);
      q.reject(new QueryError(503, 'node is shutting down'));
    }
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let w = this.workers.find((x) => !x.busy);
      if (!w && this.workers.length < this.size) w = this.spawn();
      if (!w) return;
      const q = this.queue.shift()!;
      void this.start(w, q);
    }
  }

  private async start(w: Worker, q: Queued): Promise<void> {
    w.busy = true;
    clearTimeout(q.timer);
    // Waiting for a process to start counts against the deadline: a peer's scan must answer
    // within the time its coordinator gave it.
    await w.ready.catch(() => undefined);
    if (!this.workers.includes(w)) {
      // The process died before it was ready: queue the task again.
      this.queue.unshift(q);
      this.dispatch();
      return;
    }
    if (Date.now() > q.budget.deadline) {
      w.busy = false;
      q.reject(timeLimitError(q.budget.limits, STAGE[q.task.kind]));
      this.dispatch();
      return;
    }
    const id = this.nextId++;
    const timer = setTimeout(() => this.kill(w), Math.max(0, q.budget.deadline - Date.now()) + KILL_GRACE_MS);
    w.pending = { id, resolve: q.resolve, reject: q.reject, timer, kind: q.task.kind, budget: q.budget };
    w.proc.send({ ...q.task, id, limits: q.budget.limits, deadline: q.budget.deadline } as ExecutorTask);
  }

  private spawn(): Worker {
    const proc = fork(ENTRY, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    let markReady!: () => void;
    let markFailed!: (e: Error) => void;
    const w: Worker = {
      proc,
      busy: false,
      ready: new Promise<void>((resolve, reject) => {
        markReady = resolve;
        markFailed = reject;
      }),
    };
    w.ready.catch(() => undefined); // a process that dies before ready is handled in start()
    proc.on('message', (m: ExecutorReply) => {
      if (m.id === 0) return markReady();
      const p = w.pending;
      if (!p || p.id !== m.id) return;
      clearTimeout(p.timer);
      w.pending = undefined;
      w.busy = false;
      if (m.ok) p.resolve(m.value);
      else p.reject(new QueryError(m.status, m.message));
      this.dispatch();
    });
    proc.on('exit', (code, signal) => {
      this.workers = this.workers.filter((x) => x !== w);
      markFailed(new Error('exited'));
      const p = w.pending;
      if (p) {
        clearTimeout(p.timer);
        w.pending = undefined;
        if (Date.now() > p.budget.deadline) p.reject(timeLimitError(p.budget.limits, STAGE[p.kind]));
        else {
          const why = signal ?? `code ${code}`;
          this.onError(`query executor process exited (${why}) during ${STAGE[p.kind]}`);
          p.reject(new QueryError(500, `query executor process exited (${why}) during ${STAGE[p.kind]}`));
        }
      }
      if (!this.closed) {
        this.dispatch();
        this.warm(); // a process killed at a deadline is replaced before the next query needs it
      }
    });
    proc.on('error', (err) => this.onError(`query executor process: ${err.message}`));
    this.workers.push(w);
    return w;
  }

  private kill(w: Worker): void {
    this.killed++;
    w.proc.kill('SIGKILL');
  }
}
