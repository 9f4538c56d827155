// A problem found in a scenario file, pointing at the exact place.

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.message}`;
}

export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((x, y) => x.file.localeCompare(y.file) || x.line - y.line || x.col - y.col);
}
