// Entry point of a query executor process (forked by QueryExecutor): runs the CPU-bound stages of
// queries (parse and plan, shard scans, the final stage and formatting) so that the node's event
// loop stays free, and so that a query past its time limit can be stopped by killing this process:
// better-sqlite3 is built without SQLite's progress handler and has no interrupt.
import Database from 'better-sqlite3';
import type { CatalogView } from './binder.js';
import { QueryError } from './errors.js';
import { executeFinal, runScan } from './execute.js';
import { formatResult } from './format.js';
import { planQuery } from './planner.js';
import type { ExecutorReply, ExecutorTask, CatalogSnapshot } from './executor.js';

/** Read-only connections to shard stores, by file: kept open across tasks. */
const stores = new Map<string, Database.Database>();

function store(file: string): Database.Database {
  let db = stores.get(file);
  if (!db) {
    db = new Database(file, { readonly: true, fileMustExist: true });
    // Same page cache as the node's own connection (storage/store.ts): scans re-read hot pages.
    db.pragma('cache_size = -65536');
    stores.set(file, db);
  }
  return db;
}

function catalogView(c: CatalogSnapshot): CatalogView {
  return {
    databaseExists: (db) => !!c[db],
    tableColumns: (db, table) => c[db]?.[table]?.columns,
    tableNames: (db) => Object.keys(c[db] ?? {}).sort(),
    shardKeys: (db, table) => c[db]?.[table]?.shard_keys ?? [],
  };
}

function run(task: ExecutorTask): unknown {
  const bounds = { limits: task.limits, deadline: task.deadline };
  switch (task.kind) {
    case 'plan':
      return planQuery(task.sql, task.db, catalogView(task.catalog), task.now, { deadline: task.deadline, limits: task.limits });
    case 'scan':
      return runScan(store(task.file), task.source, task.scan, bounds);
    case 'final':
      return formatResult(executeFinal(task.plan, new Map(task.inputs), bounds), task.format);
  }
}

process.on('message', (task: ExecutorTask) => {
  let reply: ExecutorReply;
  try {
    reply = { id: task.id, ok: true, value: run(task) };
  } catch (e) {
    const status = e instanceof QueryError ? e.status : 500;
    reply = { id: task.id, ok: false, status, message: e instanceof Error ? e.message : String(e) };
  }
  send(reply);
});
// The node is gone (even by SIGKILL): so is this process.
process.on('disconnect', () => process.exit(0));
send({ id: 0, ok: true, value: 'ready' });

/** A reply to the node; if the node died meanwhile (EPIPE, channel closed), this process ends quietly. */
function send(reply: ExecutorReply): void {
  if (!process.connected) process.exit(0);
  process.send!(reply, undefined, undefined, (err) => {
    if (err) process.exit(0);
  });
}
