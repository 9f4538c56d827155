// Fuzzes the scenario loader with mutated copies of the shipped scenarios and the good
// fixtures. What a user relies on: loading never throws or hangs, every problem names
// file:line:col, and whatever validate accepts, run can prepare (planScenario: durations,
// anchors, times, templates, points) without error and with deadlines a timer honours.
//
// PHANTOM_FUZZ_COUNT (default 2000), PHANTOM_FUZZ_SEED (default 6), PHANTOM_FUZZ_BUDGET_MS (default: none):
//   PHANTOM_FUZZ_COUNT=10000 npx tap test/fuzz-loader.test.ts
// A failure prints the seed and the file's index; PHANTOM_FUZZ_DUMP=dir writes the failing files.
import t from 'tap';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioText } from '../src/scenario/loader.js';
import { MAX_TIMER_MS } from '../src/scenario/duration.js';
import { planScenario } from '../src/engine/plan.js';
import { Rng } from '../src/engine/rng.js';
import { mutateScenario } from './helpers/mutate-scenario.js';

const here = dirname(fileURLToPath(import.meta.url));
const count = Number(process.env.PHANTOM_FUZZ_COUNT ?? 2000);
const seed = Number(process.env.PHANTOM_FUZZ_SEED ?? 6);
const budgetMs = Number(process.env.PHANTOM_FUZZ_BUDGET_MS ?? 0) || Infinity; // none by default: the same inputs on any machine
const dump = process.env.PHANTOM_FUZZ_DUMP;

const sources = [join(here, '..', 'scenarios'), join(here, 'fixtures', 'good')].flatMap((dir) =>
  readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => ({ file: join(dir, f), text: readFileSync(join(dir, f), 'utf8') })));

t.test(`loader fuzz: ${count} mutated files, seed ${seed}`, async (t) => {
  const rng = new Rng(seed);
  const stats = { files: 0, accepted: 0, rejected: 0, crashes: 0, hangs: 0, unpositioned: 0, planFailures: 0, maxMs: 0, loadMs: 0, mutateMs: 0 };
  const failures: string[] = [];
  const fail = (i: number, what: string, text: string) => {
    if (failures.length < 20) failures.push(`seed ${seed} file #${i}: ${what}`);
    if (dump) { mkdirSync(dump, { recursive: true }); writeFileSync(join(dump, `seed${seed}-${i}.yaml`), text); }
  };
  // Warm up (the schema compiles on first use), and the sources themselves are valid.
  for (const src of sources) t.same(loadScenarioText(src.file, src.text).diagnostics, [], `${src.file} loads`);
  const t0 = performance.now();
  for (let i = 0; i < count && performance.now() - t0 < budgetMs; i++) {
    const src = sources[rng.int(sources.length)]!;
    const m0 = performance.now();
    const text = mutateScenario(rng.derive(`file${i}`), src.text);
    stats.mutateMs += performance.now() - m0;
    // Beside its source, so golden and line-protocol files resolve as they would.
    const file = join(dirname(src.file), `fuzz-${i}.yaml`);
    stats.files++;
    const l0 = performance.now();
    let r: ReturnType<typeof loadScenarioText>;
    try {
      r = loadScenarioText(file, text);
    } catch (e) {
      stats.crashes++;
      fail(i, `load threw ${(e as Error)?.stack ?? String(e)}`, text);
      continue;
    }
    const ms = performance.now() - l0;
    stats.maxMs = Math.max(stats.maxMs, ms);
    stats.loadMs += ms;
    if (process.env.PHANTOM_FUZZ_SLOW && ms > Number(process.env.PHANTOM_FUZZ_SLOW)) {
      t.comment(`#${i} ${Math.round(ms)} ms ${r.diagnostics[0]?.message.slice(0, 100) ?? 'accepted'}`);
      if (dump) { mkdirSync(dump, { recursive: true }); writeFileSync(join(dump, `slow-seed${seed}-${i}.yaml`), text); }
    }
    if (ms > 1000) { stats.hangs++; fail(i, `load took ${Math.round(ms)} ms`, text); }
    for (const d of r.diagnostics) {
      const positioned = d.file === file && Number.isInteger(d.line) && d.line >= 1 && Number.isInteger(d.col) && d.col >= 1 && !d.message.startsWith('internal error');
      if (!positioned) { stats.unpositioned++; fail(i, `unpositioned: ${JSON.stringify(d)}`, text); }
    }
    if (!r.scenario) { stats.rejected++; continue; }
    stats.accepted++;
    try {
      const plan = planScenario(r.scenario);
      const bad = [...plan.deadlines].find(([, ms]) => !(ms > 0 && ms <= MAX_TIMER_MS));
      if (bad) throw new Error(`deadline of ${bad[0]} is ${bad[1]} ms`);
      if (!(plan.stepTimeoutMs > 0 && plan.stepTimeoutMs <= MAX_TIMER_MS && plan.readyTimeoutMs > 0 && plan.readyTimeoutMs <= MAX_TIMER_MS)) throw new Error('scenario timeouts out of timer range');
    } catch (e) {
      stats.planFailures++;
      fail(i, `validate accepted it, run cannot prepare it: ${(e as Error).message}`, text);
    }
  }
  const wall = Math.round(performance.now() - t0);
  t.comment(`seed ${seed}: ${JSON.stringify({ ...stats, maxMs: Math.round(stats.maxMs * 10) / 10, loadMs: Math.round(stats.loadMs), mutateMs: Math.round(stats.mutateMs), wallMs: wall })}`);
  t.ok(stats.files >= Math.min(count, 200), `ran ${stats.files} files within ${budgetMs} ms`);
  t.ok(stats.accepted > 0 && stats.rejected > 0, 'mutations produce both valid and invalid files');
  t.same(failures, [], `no crash, hang, unpositioned error or unplannable accepted file (seed ${seed}; rerun with PHANTOM_FUZZ_SEED=${seed} PHANTOM_FUZZ_DUMP=/tmp/fuzz)`);
});
