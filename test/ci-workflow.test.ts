// The nightly chaos workflow of docs/ci.md is one people copy: it must be valid YAML with the
// jobs and steps GitHub expects, every phantom-test command and flag in it must exist (checked
// against the built oclif command classes), its shard values must be valid and cover 1..N,
// and the copy in docs/ci.md must be the file.

import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { parseShard } from '../src/engine/shard.js';
import { REPORTERS } from '../src/reporters/names.js';
import { ROOT } from './helpers.js';

const FILE = join(ROOT, 'docs', 'examples', 'nightly-chaos.yml');
const text = readFileSync(FILE, 'utf8');

interface Step { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown> }
interface Job { name?: string; 'runs-on': string; needs?: string | string[]; if?: string; strategy?: { 'fail-fast'?: boolean; matrix: Record<string, unknown[]> }; steps: Step[] }
interface Workflow { name: string; on: { schedule?: Array<{ cron: string }> }; jobs: Record<string, Job> }

function load(): Workflow {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) throw new Error(`not valid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS() as Workflow;
}

t.test('valid YAML in the shape GitHub expects: a nightly schedule, jobs with runs-on and steps', async (t) => {
  const wf = load();
  t.type(wf.name, 'string');
  t.match(wf.on.schedule?.[0]?.cron, /^(\S+\s+){4}\S+$/, 'a cron schedule (five fields)');
  t.ok(Object.keys(wf.jobs).length >= 2, 'a chaos job and a merge job');
  for (const [id, job] of Object.entries(wf.jobs)) {
    t.type(job['runs-on'], 'string', `${id}: runs-on`);
    t.ok(Array.isArray(job.steps) && job.steps.length > 0, `${id}: steps`);
    for (const [i, s] of job.steps.entries()) t.ok((s.uses === undefined) !== (s.run === undefined), `${id}.steps[${i}]: exactly one of uses or run`);
  }
});

t.test('the chaos job: a matrix of seeds x shards, npm ci, phantom-test run, the run folders uploaded always', async (t) => {
  const { chaos } = load().jobs;
  t.ok(chaos, 'a job named chaos');
  t.equal(chaos!.strategy?.['fail-fast'], false, 'one failing shard does not cancel the others');
  const { seed, shard } = chaos!.strategy!.matrix as { seed: number[]; shard: number[] };
  t.ok(seed.length > 1 && seed.every(Number.isInteger), 'several seeds');
  t.same(shard, shard.map((_, i) => i + 1), 'shards 1..N');
  const runs = chaos!.steps.filter((s) => s.run);
  t.ok(runs.some((s) => s.run!.trim() === 'npm ci'));
  const run = runs.find((s) => /phantom-test run /.test(s.run!));
  t.match(run?.run, '--seed ${{ matrix.seed }}');
  const total = /--shard \$\{\{ matrix\.shard \}\}\/(\d+)/.exec(run?.run ?? '')?.[1];
  t.equal(Number(total), shard.length, 'the N of --shard i/N is the number of shards in the matrix');
  for (const i of shard) t.same(parseShard(`${i}/${total}`), { index: i, total: shard.length }, `--shard ${i}/${total} is valid`);
  const upload = chaos!.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
  t.equal(upload?.if, 'always()', 'failed runs are uploaded too');
  t.match(upload?.with?.name, /\$\{\{ matrix\.seed \}\}.*\$\{\{ matrix\.shard \}\}/, 'one artifact per seed and shard');
});

t.test('the merge job: after chaos, always, downloads the shards, merges them, publishes JUnit', async (t) => {
  const { merge, chaos } = load().jobs;
  t.ok(merge, 'a job named merge');
  t.same([merge!.needs].flat(), ['chaos']);
  t.equal(merge!.if, 'always()');
  t.same((merge!.strategy?.matrix as { seed: number[] }).seed, (chaos!.strategy!.matrix as { seed: number[] }).seed, 'one merge per seed of the chaos job');
  const names = merge!.steps.map((s) => s.uses?.split('@')[0] ?? s.run);
  const at = (what: string | RegExp) => names.findIndex((n) => (typeof what === 'string' ? n === what : what.test(n ?? '')));
  t.ok(at('actions/download-artifact') >= 0 && at('actions/download-artifact') < at(/phantom-test merge-reports /), 'download, then merge');
  t.ok(at(/phantom-test merge-reports /) < at('mikepenz/action-junit-report'), 'merge, then publish');
  const publish = merge!.steps[at('mikepenz/action-junit-report')]!;
  t.equal(publish.if, 'always()', 'published when the suite failed too');
  const mergeLine = merge!.steps[at(/phantom-test merge-reports /)]!.run!;
  const out = /--out (\S+)/.exec(mergeLine)![1];
  t.equal(publish.with?.report_paths, `${out}/latest/junit.xml`, "the merged run's junit.xml");
  const download = merge!.steps[at('actions/download-artifact')]!;
  t.match(mergeLine, `${String(download.with?.path)}/*`, 'merges what was downloaded');
});

t.test('every phantom-test command line uses commands and flags that exist', async (t) => {
  const lines = Object.values(load().jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ?? '').split('\n'))).filter((l) => /\bphantom-test\b/.test(l));
  t.ok(lines.length >= 2);
  for (const line of lines) {
    // Expressions stand for one word; what they expand to is checked above.
    const words = line.replace(/\$\{\{[^}]*\}\}/g, 'X').trim().split(/\s+/);
    const at = words.indexOf('phantom-test');
    const command = words[at + 1]!;
    const file = join(ROOT, 'dist', 'commands', `${command}.js`);
    if (!existsSync(file)) { t.fail(`${line}: no command "${command}" (${file})`); continue; }
    const cls = (await import(pathToFileURL(file).href)).default as { flags: Record<string, { type: string; options?: string[] }> };
    const args = words.slice(at + 2);
    for (const [i, w] of args.entries()) {
      if (!w.startsWith('--')) continue;
      const name = w.slice(2).split('=')[0]!;
      const flag = cls.flags[name];
      t.ok(flag, `${command} --${name} exists`);
      if (flag?.type === 'option' && !w.includes('=')) t.ok(args[i + 1] && !args[i + 1]!.startsWith('--'), `--${name} has its value`);
      if (name === 'reporter') for (const r of args[i + 1]!.split(',')) t.ok((REPORTERS as readonly string[]).includes(r), `reporter ${r} exists`);
    }
  }
});

t.test('docs/ci.md shows the workflow file as it is', async (t) => {
  const md = readFileSync(join(ROOT, 'docs', 'ci.md'), 'utf8');
  const blocks = [...md.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  const workflows = blocks.filter((b) => /^jobs:/m.test(b!));
  t.equal(workflows.length, 1, 'one workflow in docs/ci.md');
  t.equal(workflows[0], text, 'the fenced block equals docs/examples/nightly-chaos.yml');
  t.match(md, '(examples/nightly-chaos.yml)', 'and links to the file');
});
