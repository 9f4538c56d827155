// Values pasted into the cluster file's shell commands: a peer's host comes from a URL (which
// accepts `$(...)`, backquotes and globs like `[::1]`), so every value is one POSIX
// single-quoted word, whatever it holds.

/** `v` as one shell word that sh reads back verbatim: 'a'\''b' for a'b. */
export function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}
