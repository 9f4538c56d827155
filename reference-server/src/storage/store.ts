// Shard data on one node, in SQLite. Each InfluxDB table is one SQLite table keyed by
// (shard, time, series id) — time first, so in-order ingest appends instead of touching pages
// all over the B-tree; user columns are stored as c1, c2, ... (mapped in _columns) so any
// tag or field name is safe. Durability comes from our WAL, so SQLite commits skip fsync
// (synchronous=NORMAL in WAL mode) and record the last applied WAL seq in the same transaction.
// check() refuses, before they are logged, entries this store could never apply (malformed
// points, NUL in a name, a column whose kind or type differs, more columns than SQLite allows),
// so the WAL holds only records that replay can apply.
//
// New columns of one record are added together: a new table is created with all of them in one
// CREATE TABLE, and an existing table that gains many is rebuilt once (a copy of its rows on this
// node) instead of one ALTER TABLE per column, because SQLite re-parses the whole schema on each
// ALTER: hundreds of them took longer than a peer waits for a replica write.
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import type { ColumnSchema, FieldType, Point } from '../types.js';
import { seriesId, seriesKey } from '../sharding/hash.js';
import { decodePoint, decodePointChecked, type EncodedPoint } from './point-codec.js';
import { compareBytes } from '../lineprotocol/parse.js';
import { nameProblem } from '../catalog/limits.js';
import { relationColumn } from '../query/relation-column.js';
import { HttpError } from '../util/errors.js';
import type { WalEntry, WalRecord } from './wal.js';
import { bugs } from '../bugs.js';

/** Entries this store can never apply; a replica answers 400 so no sender retries them. */
export class StoreRefusal extends HttpError {
  constructor(message: string) {
    super(400, message);
    this.name = 'StoreRefusal';
  }
}

/** SQLite's compiled-in SQLITE_MAX_COLUMN (better-sqlite3 keeps the default). */
const SQLITE_MAX_COLUMN = 2000;
/** shard, sid and time. */
const KEY_COLUMNS = 3;
/** From this many new columns on, an existing table is rebuilt rather than altered per column. */
const REBUILD_AT = 8;

interface NewColumn {
  name: string;
  kind: 'tag' | 'field';
  type: FieldType | null;
}

interface LocalColumn extends NewColumn {
  col: string;
}

interface LocalTable {
  sqlname: string;
  columns: Map<string, LocalColumn>;
  upsert?: Database.Statement;
  /** The same upsert for `upsertRows` rows at once (bulk copies), prepared on first use. */
  upsertMany?: Database.Statement;
  upsertManySql?: string;
  upsertRows?: number;
  upsertOrder?: LocalColumn[];
  args?: unknown[];
}

/** A stored row as exported for repair: the point plus each field's write version. */
export interface VersionedRow {
  vers: Record<string, number>;
  point: EncodedPoint;
}

/** A page of exportRaw: see there. */
export interface RawRowsPage {
  columns: Array<{ name: string; kind: 'tag' | 'field'; type: FieldType | null }>;
  rows: unknown[][];
  next: { time: string; sid: number } | null;
}

export const REPAIR_BUCKETS = 16;

export interface ShardDigest {
  row_count: number;
  checksum: string;
  buckets: string[];
}

export class ShardStore {
  readonly db: Database.Database;
  private tables = new Map<string, LocalTable>();
  private sidCache = new Map<string, number>();
  private getMeta: Database.Statement;
  /** Per shard: a counter bumped by every write, and when it last changed (for repair). */
  private generations = new Map<number, { gen: number; at: number }>();
  private digestCache = new Map<number, { gen: number; digest: ShardDigest }>();
  private setMeta: Database.Statement;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('temp_store = MEMORY');
    this.db.pragma('cache_size = -65536');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS _tables (db TEXT NOT NULL, name TEXT NOT NULL, sqlname TEXT NOT NULL, PRIMARY KEY (db, name));
      CREATE TABLE IF NOT EXISTS _columns (sqlname TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, type TEXT, col TEXT NOT NULL, PRIMARY KEY (sqlname, name));
    `);
    this.getMeta = this.db.prepare('SELECT value FROM _meta WHERE key = ?').pluck();
    this.setMeta = this.db.prepare('INSERT INTO _meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.reloadSchema();
  }

  /** (Re)reads the local table and column maps from SQLite, e.g. after a rolled-back transaction. */
  private reloadSchema(): void {
    this.tables.clear();
    for (const t of this.db.prepare('SELECT db, name, sqlname FROM _tables').all() as Array<{ db: string; name: string; sqlname: string }>) {
      const cols = this.db.prepare('SELECT name, kind, type, col FROM _columns WHERE sqlname = ?').all(t.sqlname) as LocalColumn[];
      this.tables.set(key(t.db, t.name), { sqlname: t.sqlname, columns: new Map(cols.map((c) => [c.name, c])) });
    }
  }

  /** Runs `fn` in a transaction; if it fails, the in-memory schema is reloaded to match SQLite. */
  private inTx<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    const tx = this.db.transaction(fn);
    return (...args: A) => {
      try {
        tx(...args);
      } catch (err) {
        this.reloadSchema();
        throw err;
      }
    };
  }

  /** Highest WAL seq whose writes are in this store. */
  get appliedSeq(): number {
    return Number(this.getMeta.get('wal_applied_seq') ?? 0);
  }

  /**
   * Decodes and checks entries before they are logged: throws StoreRefusal for anything
   * applyRecord would fail on. `decoded` (points this node parsed itself) skips the decoding.
   * Returns the decoded points, entry i ↔ decoded[i].
   */
  check(entries: unknown, decoded?: Point[][]): Point[][] {
    if (!Array.isArray(entries)) throw new StoreRefusal('entries must be a list');
    const out: Point[][] = [];
    const pending = new Map<string, Map<string, NewColumn>>(); // columns earlier entries add
    entries.forEach((e, i) => {
      const where = `entry ${i}`;
      if (typeof e !== 'object' || e === null) throw new StoreRefusal(`${where}: not an object`);
      const { db, table, shard, ver, points } = e as Record<string, unknown>;
      if (typeof db !== 'string' || !db || typeof table !== 'string' || !table) throw new StoreRefusal(`${where}: db and table must be non-empty strings`);
      if (!Number.isSafeInteger(shard) || !Number.isSafeInteger(ver) || (ver as number) < 0) throw new StoreRefusal(`${where}: shard and ver must be integers`);
      if (!Array.isArray(points)) throw new StoreRefusal(`${where}: points must be a list`);
      let pts = decoded?.[i];
      if (!pts) {
        try {
          pts = points.map((p) => decodePointChecked(p));
        } catch (err) {
          throw new StoreRefusal(`${where}: ${(err as Error).message}`);
        }
      }
      const k = key(db, table);
      let overlay = pending.get(k);
      if (!overlay) pending.set(k, (overlay = new Map()));
      for (const c of this.newColumns(db, table, pts, overlay)) overlay.set(c.name, c);
      out.push(pts);
    });
    return out;
  }

  /**
   * Applies one WAL record atomically (all entries, and the applied seq marker). `decoded`, when
   * the caller still has the points, saves decoding them again (entry i ↔ decoded[i]).
   */
  applyRecord = (rec: WalRecord, decoded?: Point[][]): void => {
    this.applyTx ??= this.inTx((entries: WalEntry[], seq: number, pts?: Point[][]) => {
      entries.forEach((e, i) => this.applyEntry(e, pts?.[i]));
      if (seq > 0) this.setMeta.run('wal_applied_seq', seq);
    });
    this.applyTx(rec.entries, rec.seq, decoded);
  };

  private applyTx?: (entries: WalEntry[], seq: number, decoded?: Point[][]) => void;

  /** Records `seq` as handled without applying it (a record replay had to set aside). */
  markApplied(seq: number): void {
    if (seq > this.appliedSeq) this.setMeta.run('wal_applied_seq', seq);
  }

  /** Applies repair rows (anti-entropy, hints already go through the WAL) without a WAL seq. */
  applyRows(db: string, table: string, shard: number, rows: VersionedRow[]): void {
    let points: Point[];
    try {
      points = rows.map((r) => decodePointChecked(r.point));
    } catch (err) {
      throw new StoreRefusal(`repair rows of ${db}.${table}: ${(err as Error).message}`);
    }
    this.inTx(() => {
      this.addColumns(db, table, this.newColumns(db, table, points));
      points.forEach((p, i) => this.applyPoint(db, table, shard, p, (field) => rows[i]!.vers[field] ?? 0));
    })();
  }

  private applyEntry(e: WalEntry, decoded?: Point[]): void {
    const points = decoded ?? e.points.map((p) => decodePoint(p));
    if (points.length === 0) return;
    this.addColumns(e.db, e.table, this.newColumns(e.db, e.table, points));
    const ver = () => e.ver;
    for (let i = 0; i < points.length; i++) this.applyPoint(e.db, e.table, e.shard, points[i]!, ver);
  }

  /** Upserts one point; `versionOf(field)` gives the write version of each of its fields. */
  private applyPoint(db: string, table: string, shard: number, p: Point, versionOf: (field: string) => number): void {
    const t = this.table(db, table)!; // created by addColumns
    const g = this.generations.get(shard);
    if (g) {
      g.gen++;
      g.at = Date.now();
    } else this.generations.set(shard, { gen: 1, at: Date.now() });
    if (!t.upsert) this.prepareUpsert(t);
    const order = t.upsertOrder!;
    const args = t.args!; // reused: better-sqlite3 copies the values on run()
    args[0] = shard;
    args[1] = this.sid(p);
    args[2] = p.time;
    let a = 3;
    for (let i = 0; i < order.length; i++) {
      const c = order[i]!;
      if (c.kind === 'tag') {
        args[a++] = p.tags[c.name] ?? null;
        continue;
      }
      const f = p.fields[c.name];
      args[a++] = f === undefined ? null : toSql(f.type, f.value);
      args[a++] = f === undefined ? null : versionOf(c.name);
    }
    t.upsert!.run(args);
  }

  /**
   * A SELECT yielding the rows of one table with the given (catalog) columns, each named
   * relationColumn(name) (names differing only in case must not clash in SQLite), restricted to `shards` (all local rows when null). Columns this node has never
   * stored come out as NULL, so every node exposes the same relation shape.
   */
  sourceSelect(db: string, table: string, columns: ColumnSchema[], shards: number[] | null): string {
    const t = this.table(db, table);
    const cols = columns.map((c) => {
      const alias = quoteIdent(relationColumn(c.name));
      if (c.kind === 'time') return `${t ? 'time' : 'NULL'} AS ${alias}`;
      const local = t?.columns.get(c.name);
      return `${local ? local.col : 'NULL'} AS ${alias}`;
    });
    if (!t) return `SELECT ${cols.join(', ')} WHERE 0`;
    const where = shards === null ? '' : ` WHERE shard IN (${shards.map((s) => Number(s)).join(',') || 'NULL'})`;
    return `SELECT ${cols.join(', ')} FROM ${t.sqlname}${where}`;
  }

  /** Row count and SHA-256 over canonically ordered rows (by time, then series id), plus per-bucket digests for repair. */
  digest(db: string, table: string, shard: number): ShardDigest {
    const t = this.table(db, table);
    const hasher = new ShardHasher(t ? [...t.columns.values()] : []);
    if (t) {
      const stmt = this.db
        .prepare(`SELECT sid, time${hasher.cols.map((c) => ', ' + c.col).join('')} FROM ${t.sqlname} WHERE shard = ? ORDER BY time, sid`)
        .raw()
        .safeIntegers(true);
      for (const row of stmt.iterate(shard) as Iterable<unknown[]>) hasher.add(row);
    }
    return hasher.result();
  }

  /**
   * digest() of the rows none of whose fields was written at or after `belowVersion` (a migration
   * compares the rows live writes no longer touch, without a fence), a page at a time so that
   * writes go on meanwhile: a million rows must not hold the event loop for seconds.
   */
  async digestOlderThan(db: string, table: string, shard: number, belowVersion: number, pageRows = 5000): Promise<ShardDigest> {
    const t = this.table(db, table);
    const hasher = new ShardHasher(t ? [...t.columns.values()] : []);
    if (t) {
      const cols = hasher.cols;
      const stmt = this.db
        .prepare(`SELECT sid, time${cols.map((c) => ', ' + c.col).join('')} FROM ${t.sqlname} WHERE shard = ? AND (time, sid) > (?, ?)${olderThan(cols, belowVersion)} ORDER BY time, sid LIMIT ?`)
        .raw()
        .safeIntegers(true);
      let after: [bigint, bigint] = [-(2n ** 63n), -1n];
      for (;;) {
        const rows = stmt.all(shard, after[0], after[1], pageRows) as unknown[][];
        for (const row of rows) hasher.add(row);
        if (rows.length < pageRows) break;
        const last = rows[rows.length - 1]!;
        after = [last[1] as bigint, last[0] as bigint];
        await new Promise((r) => setImmediate(r));
      }
    }
    return hasher.result();
  }

  /** digest(), recomputed only when the shard changed since the last call. */
  cachedDigest(db: string, table: string, shard: number): ShardDigest {
    const gen = this.generations.get(shard)?.gen ?? 0;
    const hit = this.digestCache.get(shard);
    if (hit && hit.gen === gen) return hit.digest;
    const digest = this.digest(db, table, shard);
    this.digestCache.set(shard, { gen, digest });
    return digest;
  }

  /** Milliseconds since this node last wrote to the shard (Infinity if not since start). */
  quietFor(shard: number): number {
    const g = this.generations.get(shard);
    return g ? Date.now() - g.at : Infinity;
  }

  /** Rows of a shard (optionally one repair bucket), in canonical order, for repair pulls. */
  exportRows(
    db: string,
    table: string,
    shard: number,
    bucket: number | null,
    afterTime: bigint,
    afterSid: number,
    limit: number,
  ): { rows: VersionedRow[]; next: { time: bigint; sid: number } | null } {
    const t = this.table(db, table);
    if (!t) return { rows: [], next: null };
    const cols = [...t.columns.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // canonical field order
    const bucketCond = bucket === null ? '' : ` AND (sid % ${REPAIR_BUCKETS}) = ${Number(bucket)}`;
    const stmt = this.db
      .prepare(
        `SELECT sid, time${cols.map((c) => `, ${c.col}, ${c.kind === 'field' ? versionCol(c.col) : 'NULL'}`).join('')} FROM ${t.sqlname}
         WHERE shard = ? AND (time, sid) > (?, ?)${bucketCond} ORDER BY time, sid LIMIT ?`, // a row value seeks the key; the OR form rescanned from the start per page
      )
      .raw()
      .safeIntegers(true);
    const out: VersionedRow[] = [];
    const raw = stmt.all(shard, afterTime, afterSid, limit) as unknown[][];
    for (const row of raw) {
      const tags: Record<string, string> = {};
      const fields: unknown[] = [];
      const vers: Record<string, number> = {};
      cols.forEach((c, i) => {
        const v = row[2 + 2 * i];
        if (v === null) return;
        if (c.kind === 'tag') tags[c.name] = String(v);
        else {
          fields.push(c.name, FIELD_CODE[c.type!], fromSql(c.type!, v));
          vers[c.name] = Number(row[3 + 2 * i]);
        }
      });
      const sortedTags: Record<string, string> = {};
      // The parser's order (UTF-8 byte order): series keys must come out identical.
      for (const k of Object.keys(tags).sort(compareBytes)) sortedTags[k] = tags[k]!;
      out.push({ vers, point: [table, sortedTags, fields, (row[1] as bigint).toString()] });
    }
    const last = raw.at(-1);
    return { rows: out, next: raw.length === limit && last ? { time: last[1] as bigint, sid: Number(last[0]) } : null };
  }

  /**
   * A page of a shard's rows in their stored form, for bulk copies (a migration): column names
   * once, then per row [sid, time, and per column its value (and a field's write version)],
   * 64-bit integers as decimal strings. Much cheaper than exportRows, which builds a point per
   * row. `minVersion` keeps only rows with a field written at that version or later.
   */
  exportRaw(db: string, table: string, shard: number, afterTime: bigint, afterSid: number, limit: number, minVersion = 0): RawRowsPage {
    const t = this.table(db, table);
    if (!t) return { columns: [], rows: [], next: null };
    const cols = [...t.columns.values()];
    const select = cols.map((c) => {
      if (c.kind === 'tag') return c.col;
      const value = c.type === 'integer' || c.type === 'uinteger' ? `CAST(${c.col} AS TEXT)` : c.col;
      return `${value}, ${versionCol(c.col)}`;
    });
    const fields = cols.filter((c) => c.kind === 'field');
    const since = minVersion > 0 && fields.length > 0 ? ` AND (${fields.map((c) => `${versionCol(c.col)} >= ${Math.floor(minVersion)}`).join(' OR ')})` : '';
    const rows = this.db
      .prepare(
        `SELECT sid, CAST(time AS TEXT)${select.map((x) => `, ${x}`).join('')} FROM ${t.sqlname}
         WHERE shard = ? AND (time, sid) > (?, ?)${since} ORDER BY time, sid LIMIT ?`, // a row value: SQLite seeks the key instead of scanning from the start
      )
      .raw()
      .all(shard, afterTime, afterSid, limit) as unknown[][];
    const last = rows.at(-1);
    return {
      columns: cols.map((c) => ({ name: c.name, kind: c.kind, type: c.type })),
      rows,
      next: rows.length === limit && last ? { time: last[1] as string, sid: last[0] as number } : null,
    };
  }

  /** Merges a page from exportRaw (of the same shard on a peer) by write version, like applyRows. */
  applyRaw(db: string, table: string, shard: number, page: Pick<RawRowsPage, 'columns' | 'rows'>): void {
    if (page.rows.length === 0) return;
    const slots: number[] = [];
    let slot = 2;
    for (const c of page.columns) {
      slots.push(slot);
      slot += c.kind === 'field' ? 2 : 1;
    }
    this.inTx(() => {
      const have = this.table(db, table);
      const missing: NewColumn[] = [];
      for (const c of page.columns) {
        const mine = have?.columns.get(c.name);
        if (!mine) missing.push({ name: c.name, kind: c.kind, type: c.kind === 'field' ? c.type : null });
        else if (mine.kind !== c.kind || mine.type !== (c.kind === 'field' ? c.type : null)) {
          throw new StoreRefusal(`copy of ${db}.${table}: column '${c.name}' is ${mine.kind} ${mine.type ?? ''} here, ${c.kind} ${c.type ?? ''} on the peer`);
        }
      }
      this.addColumns(db, table, missing);
      const t = this.table(db, table)!;
      if (!t.upsert) this.prepareUpsert(t);
      const byName = new Map(page.columns.map((c, i) => [c.name, slots[i]!]));
      const order = t.upsertOrder!;
      const width = t.args!.length;
      const many = t.upsertRows!;
      t.upsertMany ??= this.db.prepare(t.upsertManySql!);
      const bulk = new Array<unknown>(width * many);
      /** Binds `row` into `args` from position `a` in the upsert's order. */
      const bind = (row: unknown[], args: unknown[], a: number) => {
        args[a++] = shard;
        args[a++] = row[0];
        args[a++] = BigInt(row[1] as string);
        for (const c of order) {
          const at = byName.get(c.name);
          const v = at === undefined ? null : row[at];
          if (c.kind === 'tag') {
            args[a++] = v ?? null;
            continue;
          }
          args[a++] = v === null || v === undefined ? null : c.type === 'integer' || c.type === 'uinteger' ? BigInt(v as string) : v;
          args[a++] = at === undefined ? null : row[at + 1];
        }
      };
      const rows = page.rows;
      const whole = rows.length - (rows.length % many);
      for (let i = 0; i < whole; i += many) {
        for (let j = 0; j < many; j++) bind(rows[i + j]!, bulk, j * width);
        t.upsertMany.run(bulk);
      }
      for (let i = whole; i < rows.length; i++) {
        bind(rows[i]!, t.args!, 0);
        t.upsert!.run(t.args!);
      }
    })();
    this.bump(shard);
  }

  /**
   * Deletes up to `limit` rows of the shard (the oldest first); returns how many. A caller that
   * drops a large shard does it chunk by chunk, so no single statement holds the node for long.
   */
  deleteShardChunk(db: string, table: string, shard: number, limit: number): number {
    const t = this.table(db, table);
    if (!t) return 0;
    this.bump(shard);
    return this.db
      .prepare(`DELETE FROM ${t.sqlname} WHERE shard = ? AND (time, sid) IN (SELECT time, sid FROM ${t.sqlname} WHERE shard = ? ORDER BY time, sid LIMIT ?)`)
      .run(shard, shard, limit).changes;
  }

  /** Rows of the shard on this node. */
  rowCount(db: string, table: string, shard: number): number {
    const t = this.table(db, table);
    if (!t) return 0;
    return Number(this.db.prepare(`SELECT count(*) FROM ${t.sqlname} WHERE shard = ?`).pluck().get(shard));
  }

  deleteShard(db: string, table: string, shard: number): number {
    const t = this.table(db, table);
    if (!t) return 0;
    this.bump(shard);
    return this.db.prepare(`DELETE FROM ${t.sqlname} WHERE shard = ?`).run(shard).changes;
  }

  dropTable(db: string, table: string): void {
    const t = this.table(db, table);
    if (!t) return;
    this.db.transaction(() => {
      this.db.exec(`DROP TABLE IF EXISTS ${t.sqlname}`);
      this.db.prepare('DELETE FROM _columns WHERE sqlname = ?').run(t.sqlname);
      this.db.prepare('DELETE FROM _tables WHERE sqlname = ?').run(t.sqlname);
    })();
    this.tables.delete(key(db, table));
  }

  localTables(): Array<{ db: string; table: string }> {
    return [...this.tables.keys()].map((k) => {
      const [db, table] = k.split('\u0000');
      return { db: db!, table: table! };
    });
  }

  /** Forces SQLite's own log into the main file (fsynced), so older WAL segments can go. */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private bump(shard: number): void {
    const g = this.generations.get(shard);
    if (g) g.gen++;
    else this.generations.set(shard, { gen: 1, at: Date.now() });
  }

  private table(db: string, name: string): LocalTable | undefined {
    return this.tables.get(key(db, name));
  }

  /**
   * The columns `points` need that the local table (plus `pending`) lacks, in first-seen order.
   * Throws StoreRefusal if a point could never be stored: a NUL in a name, a name used as both
   * tag and field or with another field type, or more columns than SQLite allows.
   */
  private newColumns(db: string, table: string, points: Point[], pending?: Map<string, NewColumn>): NewColumn[] {
    const have = this.table(db, table)?.columns;
    const added = new Map<string, NewColumn>();
    const known = (name: string) => have?.get(name) ?? pending?.get(name) ?? added.get(name);
    const refuse = (msg: string) => new StoreRefusal(`${db}.${table}: ${msg}`);
    for (const p of points) {
      if (p.measurement !== table) throw refuse(`a point of measurement '${p.measurement}' cannot go to table '${table}'`);
      const bad = nameProblem('measurement', p.measurement);
      if (bad) throw refuse(bad);
      for (const name in p.tags) {
        const c = known(name);
        if (c) {
          if (c.kind !== 'tag') throw refuse(`column '${name}' is a field here, not a tag`);
          continue;
        }
        const problem = name === 'time' ? `'time' cannot be a tag` : nameProblem('tag key', name);
        if (problem) throw refuse(problem);
        added.set(name, { name, kind: 'tag', type: null });
      }
      for (const name in p.fields) {
        const type = p.fields[name]!.type;
        const c = known(name);
        if (c) {
          if (c.kind !== 'field' || c.type !== type) throw refuse(`column '${name}' is a ${c.kind === 'tag' ? 'tag' : `${c.type} field`} here, not a ${type} field`);
          continue;
        }
        const problem = name === 'time' ? `'time' cannot be a field` : nameProblem('field key', name);
        if (problem) throw refuse(problem);
        added.set(name, { name, kind: 'field', type });
      }
    }
    if (added.size === 0) return [];
    let width = KEY_COLUMNS;
    for (const cols of [have?.values() ?? [], pending?.values() ?? [], added.values()]) for (const c of cols) width += c.kind === 'field' ? 2 : 1;
    if (width > SQLITE_MAX_COLUMN) throw refuse(`${width} storage columns needed, SQLite allows ${SQLITE_MAX_COLUMN}`);
    return [...added.values()];
  }

  /** Creates the table with `cols`, or adds `cols` to it: one schema change for many columns. */
  private addColumns(db: string, name: string, cols: NewColumn[]): void {
    let t = this.table(db, name);
    if (t && cols.length === 0) return;
    const numbered = (start: number) => cols.map((c, i): LocalColumn => ({ ...c, col: `c${start + i + 1}` }));
    const columnDefs = (list: LocalColumn[]) => list.flatMap((c) => (c.kind === 'field' ? [c.col, versionCol(c.col)] : [c.col])).map((c) => `, ${c}`).join('');
    const insertColumn = this.db.prepare('INSERT INTO _columns (sqlname, name, kind, type, col) VALUES (?, ?, ?, ?, ?)');
    if (!t) {
      const sqlname = this.freshSqlName();
      const list = numbered(0);
      this.db.exec(`CREATE TABLE ${sqlname} (shard INTEGER NOT NULL, sid INTEGER NOT NULL, time INTEGER NOT NULL${columnDefs(list)}, PRIMARY KEY (shard, time, sid)) WITHOUT ROWID`);
      this.db.prepare('INSERT INTO _tables (db, name, sqlname) VALUES (?, ?, ?)').run(db, name, sqlname);
      for (const c of list) insertColumn.run(sqlname, c.name, c.kind, c.type, c.col);
      this.tables.set(key(db, name), (t = { sqlname, columns: new Map(list.map((c) => [c.name, c])) }));
      return;
    }
    const list = numbered(t.columns.size);
    if (list.length < REBUILD_AT) {
      for (const c of list) {
        this.db.exec(`ALTER TABLE ${t.sqlname} ADD COLUMN ${c.col}`);
        if (c.kind === 'field') this.db.exec(`ALTER TABLE ${t.sqlname} ADD COLUMN ${versionCol(c.col)}`);
      }
    } else {
      // One new table with every column, the rows copied over, the old one dropped.
      const old = [...t.columns.values()];
      const sqlname = this.freshSqlName();
      const copied = `shard, sid, time${columnDefs(old)}`;
      this.db.exec(`CREATE TABLE ${sqlname} (shard INTEGER NOT NULL, sid INTEGER NOT NULL, time INTEGER NOT NULL${columnDefs(old)}${columnDefs(list)}, PRIMARY KEY (shard, time, sid)) WITHOUT ROWID`);
      this.db.exec(`INSERT INTO ${sqlname} (${copied}) SELECT ${copied} FROM ${t.sqlname}`);
      this.db.exec(`DROP TABLE ${t.sqlname}`);
      this.db.prepare('UPDATE _tables SET sqlname = ? WHERE sqlname = ?').run(sqlname, t.sqlname);
      this.db.prepare('UPDATE _columns SET sqlname = ? WHERE sqlname = ?').run(sqlname, t.sqlname);
      t.sqlname = sqlname;
    }
    for (const c of list) {
      insertColumn.run(t.sqlname, c.name, c.kind, c.type, c.col);
      t.columns.set(c.name, c);
    }
    t.upsert = undefined;
  }

  /** A SQLite table name not in use (t<n>_<time>, n counting up). */
  private freshSqlName(): string {
    const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck();
    for (let n = this.tables.size + 1; ; n++) {
      const name = `t${n}_${Date.now().toString(36)}`;
      if (!exists.get(name)) return name;
    }
  }

  /** Binding order: shard, sid, time, then per column its value, and for fields its version. */
  private prepareUpsert(t: LocalTable): void {
    const order = [...t.columns.values()];
    const cols = order.flatMap((c) => (c.kind === 'field' ? [c.col, versionCol(c.col)] : [c.col]));
    // A field takes the incoming value when it is newer, or as new and larger (deterministic ties).
    const sets = order
      .filter((c) => c.kind === 'field')
      .flatMap((c) => {
        const v = versionCol(c.col);
        // PLANTED BUG (bugs.ts): merge-keeps-lower-version inverts the version comparison.
        const newer = bugs.has('merge-keeps-lower-version') ? '<' : '>';
        const take = `excluded.${v} IS NOT NULL AND (${v} IS NULL OR excluded.${v} ${newer} ${v} OR (excluded.${v} = ${v} AND excluded.${c.col} > ${c.col}))`;
        return [`${c.col} = CASE WHEN ${take} THEN excluded.${c.col} ELSE ${c.col} END`, `${v} = CASE WHEN ${take} THEN excluded.${v} ELSE ${v} END`];
      });
    const values = `(?, ?, ?${cols.map(() => ', ?').join('')})`;
    const sql = (rows: number) =>
      `INSERT INTO ${t.sqlname} (shard, sid, time${cols.map((c) => ', ' + c).join('')})
       VALUES ${Array.from({ length: rows }, () => values).join(', ')}
       ON CONFLICT (shard, time, sid) DO ${sets.length ? `UPDATE SET ${sets.join(', ')}` : 'NOTHING'}`;
    t.upsert = this.db.prepare(sql(1));
    // Bulk copies bind many rows per statement (SQLite allows 32766 parameters in one).
    t.upsertRows = Math.max(1, Math.min(64, Math.floor(32_000 / (3 + cols.length))));
    t.upsertMany = undefined;
    t.upsertManySql = sql(t.upsertRows);
    t.upsertOrder = order;
    t.args = new Array(3 + cols.length);
  }

  private sid(p: Point): number {
    const sk = seriesKey(p.measurement, p.tags);
    let id = this.sidCache.get(sk);
    if (id === undefined) {
      id = seriesId(sk);
      if (this.sidCache.size > 200_000) this.sidCache.clear();
      this.sidCache.set(sk, id);
    }
    return id;
  }
}

const FIELD_CODE: Record<FieldType, number> = { float: 0, integer: 1, uinteger: 2, string: 3, boolean: 4 };

function key(db: string, table: string): string {
  return `${db}\u0000${table}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The version column beside a field's value column (c3 → v3). */
function versionCol(col: string): string {
  return `v${col.slice(1)}`;
}

function toSql(type: FieldType, v: unknown): unknown {
  switch (type) {
    case 'boolean':
      return v ? 1 : 0;
    case 'uinteger':
      return BigInt.asIntN(64, v as bigint);
    default:
      return v;
  }
}

function fromSql(type: FieldType, v: unknown): unknown {
  switch (type) {
    case 'boolean':
      return v === 1n || v === 1;
    case 'float':
      return Number(v);
    case 'integer':
      return String(v);
    case 'uinteger':
      return BigInt.asUintN(64, BigInt(v as bigint)).toString();
    default:
      return v;
  }
}

/** SQL condition: every field of the row was written before `belowVersion` (none when undefined). */
function olderThan(cols: Array<{ col: string; kind: string }>, belowVersion: number | undefined): string {
  if (belowVersion === undefined) return '';
  const fields = cols.filter((c) => c.kind === 'field');
  return fields.map((c) => ` AND COALESCE(${versionCol(c.col)}, 0) < ${Math.floor(belowVersion)}`).join('');
}

/**
 * A shard digest being built: rows (sid, time, then `cols` in name order) are fed in in
 * (time, sid) order. digest() and digestOlderThan() both use it, so they hash rows alike: a
 * migration compares one with the other.
 */
class ShardHasher<C extends { name: string }> {
  /** The columns in canonical (name) order: select them in this order. */
  readonly cols: C[];
  private readonly whole = crypto.createHash('sha256');
  private readonly buckets = Array.from({ length: REPAIR_BUCKETS }, () => crypto.createHash('sha256'));
  private count = 0;

  constructor(cols: C[]) {
    this.cols = [...cols].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  add(row: unknown[]): void {
    let line = `${row[1]}|${row[0]}`;
    for (let i = 0; i < this.cols.length; i++) {
      const v = row[2 + i];
      if (v !== null) line += `|${this.cols[i]!.name}=${typeof v === 'bigint' ? v.toString() : JSON.stringify(v)}`;
    }
    line += '\n';
    this.whole.update(line);
    this.buckets[Number((row[0] as bigint) % BigInt(REPAIR_BUCKETS))]!.update(line);
    this.count++;
  }

  result(): ShardDigest {
    return { row_count: this.count, checksum: this.whole.digest('hex'), buckets: this.buckets.map((h) => h.digest('hex').slice(0, 16)) };
  }
}
