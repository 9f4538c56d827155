// Double-quoted identifiers with an escaped quote in them ("q""x", as quoteIdent writes the
// measurement q"x). node-sql-parser does not know the "" escape: it reads "q""x" as the table
// "q" with the alias "x", a silently wrong query. Before parsing, each such identifier is
// replaced by a placeholder the parser reads as a plain quoted identifier; after parsing, the
// placeholders in the tree are turned back into the names they stand for.

/** Marks a placeholder; never in SQL we substitute in (we do nothing if the text has one). */
const MARK = '\u0001';
const PLACEHOLDER = /\u0001(\d+)\u0001/g;

export interface HiddenQuotes {
  /** The SQL to parse. */
  sql: string;
  /** Puts the names back into a parsed tree (in place); returns it. */
  restore<T>(ast: T): T;
}

export function hideEscapedQuotes(sql: string): HiddenQuotes {
  const names: string[] = [];
  if (!sql.includes('""') || sql.includes(MARK)) return { sql, restore: (ast) => ast };
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      // A literal or identifier up to its closing quote ('' and "" escape one).
      let j = i + 1;
      while (j < n && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      const token = sql.slice(i, j + 1);
      if (c === '"' && j < n && token.includes('""', 1)) {
        out += `"${MARK}${names.length}${MARK}"`;
        names.push(token.slice(1, -1).replace(/""/g, '"'));
      } else out += token;
      i = j + 1;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      out += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += sql.slice(i, stop);
      i = stop;
      continue;
    }
    out += c;
    i++;
  }
  if (names.length === 0) return { sql, restore: (ast) => ast };
  const put = (s: string) => s.replace(PLACEHOLDER, (_, k: string) => names[Number(k)] ?? _);
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return node.includes(MARK) ? put(node) : node;
    if (Array.isArray(node)) {
      for (let k = 0; k < node.length; k++) node[k] = walk(node[k]);
    } else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      for (const k of Object.keys(o)) o[k] = walk(o[k]);
    }
    return node;
  };
  return { sql: out, restore: (ast) => walk(ast) as typeof ast };
}
