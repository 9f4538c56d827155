// report.html: one self-contained file (inline CSS and JS, no network) that opens from disk.
// The page's code and style live in report-ui/ at the package root; the run's data is
// embedded as JSON, and each scenario's operations as gzip-compressed columns in base64,
// decompressed by the browser (DecompressionStream) so a million operations stay small.

import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../../util/paths.js';
import type { Journal } from '../journal.js';
import type { ScenarioColumns } from './op-columns.js';

const UI_DIR = join(PACKAGE_ROOT, 'report-ui');

/** JSON safe inside <script>: no "</script>", no HTML comment openers. */
const scriptJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
  .replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/**
 * A node log as a link from report.html: relative inside the run folder (so the folder can be
 * moved or archived), else a file URL. The journal may hold the path relative to the run's
 * working directory, or through reports/latest: the part after "<run-id>/" is what counts.
 */
function logHref(runDir: string, runId: string, log: string | undefined): string | null {
  if (!log) return null;
  const parts = log.split(/[\\/]/);
  const at = parts.lastIndexOf(runId);
  const rel = at >= 0 ? parts.slice(at + 1).join('/') : relative(runDir, resolve(log)).split(sep).join('/');
  if (!rel.startsWith('..') && !isAbsolute(rel)) return rel.split('/').map(encodeURIComponent).join('/');
  return pathToFileURL(resolve(log)).href;
}

/**
 * Pairs the journal's scenarios with their histories: each takes the first unused history
 * of its name (with --jobs, histories may begin in another order); a scenario may have none.
 */
function pair(journal: Journal, columns: ScenarioColumns[]): Array<ScenarioColumns | null> {
  const used = new Set<number>();
  return journal.scenarios.map((s) => {
    const j = columns.findIndex((c, k) => !used.has(k) && c.scenario === s.name);
    if (j < 0) return null;
    used.add(j);
    return columns[j]!;
  });
}

export function renderReport(journal: Journal, columns: ScenarioColumns[], runDir: string): string {
  const css = readFileSync(join(UI_DIR, 'report.css'), 'utf8');
  const js = readFileSync(join(UI_DIR, 'report.js'), 'utf8');
  const paired = pair(journal, columns);
  const data = {
    journal,
    scenarios: journal.scenarios.map((s, i) => {
      const c = paired[i];
      return {
        logs: s.nodes.map((n) => ({ node: n.id, href: logHref(runDir, journal.run_id, n.log) })),
        ops: c ? { count: c.count, wall0_ms: c.wall0_ms, end_ms: c.end_ms, f: c.f, lanes: c.lanes, steps: c.steps, errors: c.errors, values: c.values, nemesis: c.nemesis, latency: c.latency } : null,
      };
    }),
  };
  const blobs = paired.map((c, i) => (c && c.count
    // Level 1: most of the gain for a fraction of the time on a million rows.
    ? `<script type="application/octet-stream" id="ops-${i}">${gzipSync(c.bytes, { level: 1 }).toString('base64')}</script>\n`
    : '')).join('');
  const title = `phantom-test ${journal.verdict}: ${journal.scenarios.map((s) => s.name).join(', ') || 'no scenario'}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${title.replace(/[<>&]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[ch]!)}</title>
<style>${css}</style>
</head>
<body>
<main id="app"><p class="loading">Loading report…</p></main>
<div id="tooltip" hidden></div>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
${blobs}<script>${js}</script>
</body>
</html>
`;
}
