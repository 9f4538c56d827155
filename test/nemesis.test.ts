// The nemesis step on real reference-server clusters: every round's fault is witnessed and
// undone, its operations are in the history, the cluster ends healthy, the same seed draws
// the same schedule, replay runs the recorded one, an interrupted round leaves nothing
// behind, and bad input is pointed at (exit 2) before anything starts.
import t from 'tap';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadScenarios } from '../src/scenario/loader.js';
import { unsupportedReason } from '../src/engine/capabilities.js';
import { BIN, FIXTURES, ROOT, cli, pidsWith, readJson, sandbox, until } from './helpers.js';

const writes = join(FIXTURES, 'nemesis', 'writes.yaml');
const MENU_UNDO: Record<string, string> = { kill: 'start', pause: 'resume', partition: 'heal' };

interface Round { round: number; at_ms: number; hold_ms: number; interval_ms: number; fault: string; nodes: string[]; targets: string; outcome: string; detail: string; undo?: { fault: string; outcome: string } }

function nemesisStep(journal: any): { output: { rounds: Round[]; replayed: boolean; healed: boolean }; status: string } {
  return journal.scenarios[0].steps[0].children.find((s: { kind: string }) => s.kind === 'nemesis');
}
const schedule = (rounds: Round[]) => rounds.map((r) => ({ round: r.round, at_ms: r.at_ms, hold_ms: r.hold_ms, interval_ms: r.interval_ms, fault: r.fault, nodes: r.nodes, targets: r.targets }));
const history = (dir: string) => readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

t.test('kill, pause and partition beside writes: witnessed, undone, in the history; same seed, same schedule; replay', async (t) => {
  const sb = sandbox(t);
  const first = await cli(['run', writes, '--seed', '7', '--out', sb.out], { env: sb.env });
  t.equal(first.exitCode, 0, first.stdout);
  const dir1 = join(sb.out, readdirSync(sb.out).find((d) => d !== 'latest')!);
  const j1 = readJson(join(dir1, 'journal.json'));
  const step = nemesisStep(j1);
  const rounds = step.output.rounds;
  t.equal(step.status, 'passed');
  t.ok(rounds.length >= 3, `${rounds.length} rounds in 3s`);
  for (const r of rounds) {
    t.equal(r.outcome, 'ok', `round ${r.round} ${r.fault} ${r.targets} witnessed: ${r.detail}`);
    t.match(r.undo, { fault: MENU_UNDO[r.fault], outcome: 'ok' }, `round ${r.round} undone`);
    t.ok(r.nodes.every((n) => n === 'b' || n === 'c'), 'only the nodes it may hit');
  }
  t.equal(step.output.healed, true);
  // One console line per round.
  t.equal(first.stdout.match(/nemesis 0\.0\.0 round \d+\/\d+ at /g)?.length, rounds.length, first.stdout);

  // The history: each round's fault and its undo, as nemesis operations (node null) that completed ok.
  const ops = history(dir1).filter((o) => o.step === '0.0.0' && o.type === 'ok');
  const expected = rounds.flatMap((r) => [r.fault, r.undo!.fault]);
  t.same(ops.map((o) => o.f), expected, 'inject and undo of every round, in order');
  t.ok(ops.every((o) => o.node === null));

  // Healthy at the end: every node running (a killed one started again), partitions healed.
  t.same(j1.scenarios[0].nodes.map((n: { id: string; state: string }) => `${n.id} ${n.state}`), ['a running', 'b running', 'c running']);

  // The same seed draws the same schedule.
  const second = await cli(['run', writes, '--seed', '7', '--out', join(sb.out, 'second')], { env: sb.env });
  t.equal(second.exitCode, 0, second.stdout);
  const j2 = readJson(join(sb.out, 'second', 'latest', 'journal.json'));
  t.same(schedule(nemesisStep(j2).output.rounds).map(({ at_ms: _, ...r }) => r), schedule(rounds).map(({ at_ms: _, ...r }) => r), 'same faults, targets, holds and pauses');
  t.same(schedule(nemesisStep(j2).output.rounds), schedule(rounds), 'at the same planned times');

  // Replay runs the recorded rounds (not drawn) with the run's seed.
  const replay = await cli(['replay', dir1, '--out', join(sb.out, 'replay')], { env: sb.env });
  t.equal(replay.exitCode, 0, replay.stdout + replay.stderr);
  const j3 = readJson(join(sb.out, 'replay', 'latest', 'journal.json'));
  t.equal(j3.seed, 7);
  t.equal(j3.scenarios[0].seed, j1.scenarios[0].seed);
  t.equal(nemesisStep(j3).output.replayed, true);
  t.same(schedule(nemesisStep(j3).output.rounds), schedule(rounds), 'replay ran the recorded schedule');
});

t.test('a run interrupted mid-round tears down: the paused node is resumed and stopped, nothing is left', async (t) => {
  const sb = sandbox(t);
  const child = execa(process.execPath, [BIN, 'run', join(FIXTURES, 'nemesis', 'long-pause.yaml'), '--out', sb.out], { cwd: ROOT, reject: false, env: { ...sb.env, CI: '1', NO_COLOR: '1' } });
  sb.track(child);
  const runs = join(sb.state, 'runs');
  const record = () => {
    try {
      const f = readdirSync(runs).find((x) => x.endsWith('.json'));
      return f ? readJson(join(runs, f)) as { temp_dir: string; children: Array<{ pid: number }> } : undefined;
    } catch { return undefined; }
  };
  const stopped = (pid: number) => { try { const s = readFileSync(`/proc/${pid}/stat`, 'utf8'); return s.slice(s.lastIndexOf(')') + 2).startsWith('T'); } catch { return false; } };
  t.ok(await until(() => record()?.children.some((c) => stopped(c.pid)) ?? false, 30_000), 'a node is paused by the nemesis');
  const rec = record()!;
  const t0 = Date.now();
  child.kill('SIGINT');
  const r = await child;
  t.equal(r.exitCode, 130, String(r.stdout));
  t.ok(Date.now() - t0 < 20_000, 'it stopped without waiting out the 30 s hold');
  t.same(pidsWith(rec.temp_dir), [], 'no node process is left');
  const step = nemesisStep(readJson(join(sb.out, 'latest', 'journal.json')));
  t.match(step, { status: 'error', error: { type: 'interrupted' }, output: { rounds: [{ round: 1, fault: 'pause' }] } }, 'the journal keeps the round that was running');
});

t.test('bad nemesis input is pointed at, exit 2, nothing started', async (t) => {
  const r = await cli(['validate', join(FIXTURES, 'nemesis', 'bad.yaml')]);
  t.equal(r.exitCode, 2);
  const out = r.stdout + r.stderr;
  for (const m of [
    /bad\.yaml:8:11: unknown fault kind "kil" \(did you mean "kill"\?\)/,
    /bad\.yaml:9:11: "start" only undoes a fault/,
    /bad\.yaml:10:19: delay does not apply to kill \(it is an option of latency\)/,
    /bad\.yaml:11:29: "2m" is too long for a link delay/,
    /bad\.yaml:13:11: "pause" is on the menu twice/,
    /bad\.yaml:14:18: unknown node "d"/,
    /bad\.yaml:16:17: min \(5s\) is longer than max \(2s\)/,
  ]) t.match(out, m);
});

t.test('a driver without the capability a menu fault needs skips the scenario, saying which and where', async (t) => {
  const { scenarios, diagnostics } = await loadScenarios([writes]);
  t.same(diagnostics, []);
  const why = unsupportedReason(scenarios[0]!, { name: 'fake', capabilities: new Set(['processes']) as never });
  t.match(why, /the fake driver cannot do nemesis fault "partition" \(at .*writes\.yaml:20:\d+\): it needs the "network" capability/);
});

t.test('replay of a bad run folder: exit 2 naming what is missing', async (t) => {
  const sb = sandbox(t);
  const none = await cli(['replay', join(sb.out, 'nope')]);
  t.equal(none.exitCode, 2);
  t.match(none.stderr, /nope: no such run folder/);
  const empty = join(sb.out, 'empty');
  mkdirSync(empty, { recursive: true });
  const noJournal = await cli(['replay', empty]);
  t.equal(noJournal.exitCode, 2);
  t.match(noJournal.stderr, /empty\/journal\.json is missing/);
  writeFileSync(join(empty, 'journal.json'), '{"seed": 1, "driver": "process", "files": ["gone.yaml"]');
  t.match((await cli(['replay', empty])).stderr, /journal\.json is not valid JSON/);
  writeFileSync(join(empty, 'journal.json'), JSON.stringify({ seed: 1, driver: 'process', files: ['scenarios/gone.yaml'], scenarios: [] }));
  const gone = await cli(['replay', empty]);
  t.equal(gone.exitCode, 2);
  t.match(gone.stderr, /scenario file\(s\) of run .* not found from .*: scenarios\/gone\.yaml/);
  writeFileSync(join(empty, 'journal.json'), JSON.stringify({ driver: 'process', files: ['x.yaml'] }));
  t.match((await cli(['replay', empty])).stderr, /"seed" is missing or not an integer/);
});
