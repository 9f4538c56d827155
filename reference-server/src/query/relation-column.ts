// The name under which a table column appears in a scan relation: the storage's SELECT
// (ShardStore.sourceSelect) names its output columns with it and the query layer reads them by
// it, on every node alike. Two SQLite habits make a user's name unusable as is:
// - SQLite folds ASCII letters in identifiers, but tag and field names are case-sensitive
//   (InfluxDB 3 keeps `Host` and `host` apart): the two would clash in the relation
//   ("duplicate column name"). Each upper-case ASCII letter is marked (`H` → `^h`, a literal
//   `^` → `^^`), so names differing only in case stay distinct to SQLite.
// - A subquery column aliased "true" or "false" loses its name in SQLite ("no such column"):
//   every name gets a `:` prefix, so no name is ever a bare keyword.
// The result stays readable in the rare SQLite error that shows one.
export function relationColumn(name: string): string {
  return ':' + name.replace(/[A-Z^]/g, (ch) => (ch === '^' ? '^^' : '^' + ch.toLowerCase()));
}
