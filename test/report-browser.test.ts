// report.html in a real browser: Debian's Chromium, driven by playwright-core, loading the
// file from disk. No console error, no request but the file itself, the timeline draws one
// mark per operation of a known history, fault periods become bands, and clicking a failed
// step shows its diff. Chromium missing is a failure (CI installs it), not a skip.

import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FIXTURES, cli, sandbox } from './helpers.js';
import { DIFF, writeSyntheticRun } from './helpers/synthetic-run.js';

const CHROMIUM = '/usr/bin/chromium';

let browser: Browser | null = null;
t.before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (the report's browser tests need it)`);
  // --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});
t.teardown(async () => { await browser?.close(); });

interface Opened { page: Page; consoleErrors: string[]; requests: string[] }

/** Opens a report from disk and waits until its timelines are drawn. */
async function open(file: string): Promise<Opened> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => (window as any).__phantomReport?.ready || (window as any).__phantomReport?.errors.length, null, { timeout: 30_000 });
  return { page, consoleErrors, requests };
}

const hook = (page: Page) => page.evaluate(() => (window as any).__phantomReport);

t.test('a known history: one mark per operation, faults as bands on their nodes, no error, no request', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'phantom-report-browser-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { invokes } = writeSyntheticRun(dir, 40);
  const r = await cli(['report', dir]);
  t.equal(r.exitCode, 0, r.stderr);
  const file = join(dir, 'report.html');
  const { page, consoleErrors, requests } = await open(file);
  const h = await hook(page);
  t.same(h.errors, [], 'the page drew without errors');
  t.equal(invokes, 40);
  t.equal(h.marksDrawn, 40, 'every operation drawn once, the unfinished one too');
  t.match(h.timelines[0], { mode: 'each', ops: 40, bands: 3 }, 'kill b .. start b is one band; the partition one on a and one on b');
  t.same(h.timelines[0].bandLanes, ['b:down', 'a:cut', 'b:cut'], 'each band on the lane of the node the fault acted on');
  t.same(consoleErrors, [], 'no console errors');
  t.same(requests, [pathToFileURL(file).href], 'no request but the file itself');

  // Zoomed into the second half of the workload, only the operations there are drawn.
  const inView = await page.evaluate(() => {
    const c = document.querySelector('canvas.timeline') as HTMLCanvasElement;
    const r = c.getBoundingClientRect();
    c.dispatchEvent(new WheelEvent('wheel', { deltaY: -800, clientX: r.left + r.width * 0.6, clientY: r.top + 30, bubbles: true, cancelable: true }));
    return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve((window as any).__phantomReport.marksDrawn))));
  });
  t.ok((inView as number) > 0 && (inView as number) < 40, `zoomed in: ${inView} of 40 drawn`);

  // Hovering an operation shows it.
  await page.dblclick('canvas.timeline'); // back to the full view
  const box = (await page.locator('canvas.timeline').boundingBox())!;
  // Lane rows: axis 22 px, "steps" row, then a, b, client (20 px each); the start_cluster op spans the client lane's start.
  await page.mouse.move(box.x + 97, box.y + 22 + 3 * 20 + 10);
  const tip = await page.locator('#tooltip').textContent();
  t.match(tip, /#0 start_cluster on client/, 'the tooltip names the operation');
  await page.close();
});

t.test('a real failing run: its report has no errors, draws its history, and a click shows the diff', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', join(FIXTURES, 'engine', 'fails-rows.yaml'), '--out', sb.out, '--seed', '4'], { env: sb.env });
  t.equal(r.exitCode, 1, r.stdout + r.stderr);
  const dir = join(sb.out, readlinkSync(join(sb.out, 'latest')));
  const invokes = readFileSync(join(dir, 'history.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"invoke"')).length;
  const { page, consoleErrors, requests } = await open(join(dir, 'report.html'));
  const h = await hook(page);
  t.equal(h.marksDrawn, invokes, `one mark per operation of history.jsonl (${invokes})`);
  t.same(consoleErrors, []);
  t.equal(requests.length, 1, 'only the page itself was requested');

  const failed = page.locator('.step.failed[data-path="1"]');
  t.equal(await failed.locator('.diff').count(), 0, 'the diff is not shown before the click');
  await failed.locator('.row').click();
  const diff = failed.locator('pre.diff');
  t.ok(await diff.isVisible(), 'clicking the failed step shows its diff');
  t.match(await diff.textContent(), /--- expected[\s\S]*\+\+\+ actual[\s\S]*host: "y"/);
  t.match(await failed.locator('.where').textContent(), /fails-rows\.yaml:7:5/, "the step's file:line:col");
  const logHref = await page.locator('a.log').first().getAttribute('href');
  t.match(logHref, /^logs\/a\.log$/, 'node log linked relative to the run folder');
  await page.close();
});

t.test('the synthetic failed step shows its diff too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'phantom-report-browser-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeSyntheticRun(dir, 10);
  t.equal((await cli(['report', dir])).exitCode, 0);
  const { page } = await open(join(dir, 'report.html'));
  await page.locator('.step.failed[data-path="2"] .row').click();
  t.equal(await page.locator('.step.failed[data-path="2"] pre.diff').textContent(), DIFF);
  t.match(await page.locator('.replay').textContent(), /^phantom-test run known\.yaml --seed 7$/, 'the replay command uses the run seed');
  await page.close();
});

t.test('many operations switch to a density drawing and still count every one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'phantom-report-browser-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeSyntheticRun(dir, 50_000);
  t.equal((await cli(['report', dir])).exitCode, 0);
  const { page, consoleErrors } = await open(join(dir, 'report.html'));
  const h = await hook(page);
  t.match(h.timelines[0], { mode: 'density', ops: 50_000 });
  t.equal(h.marksDrawn, 50_000);
  t.same(consoleErrors, []);
  await page.close();
});
