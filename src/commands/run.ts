import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { PhantomCommand } from '../cli/command.js';
import { invalidScenarios } from '../cli/failure.js';
import { loadScenarios } from '../scenario/loader.js';
import { DRIVERS } from '../drivers/names.js';
import { InterruptedError } from '../engine/errors.js';
import { DEFAULT_REPORTERS, REPORTERS } from '../reporters/names.js';
import { ShardError, parseShard, selectShard } from '../engine/shard.js';
import { SeedsError, parseSeeds, repeatSeeds } from '../engine/seeds.js';
import { summarizeRepetitions } from '../engine/repetitions.js';
import { randomSeed } from '../engine/rng.js';

export default class Run extends PhantomCommand {
  static override summary = 'Run scenarios, each on a fresh cluster.';
  static override description = `Validates every scenario first (any problem: exit 2, nothing started), then for each one starts a cluster, runs the steps, checks the expectations and tears down.

Reports go to <out>/<run-id>/ (report.html, journal.json, history.jsonl, junit.xml, logs/) and <out>/latest points at the newest run.

Exit codes: 0 all passed; 1 a verification failed; 2 invalid scenario or usage; 3 infrastructure error (cluster could not start or be reached); 4 cleanup failed; 70 phantom-test itself crashed (a bug: please report it); 130 interrupted (teardown ran).

With --json, a run that could not start or finish prints {"error": {code, message, exit_code, diagnostics?}} on stdout instead of the summary (see README, "--json output").`;
  static override examples = [
    '<%= config.bin %> run scenarios/sharded-write-and-query.yaml',
    '<%= config.bin %> run scenarios/ --seed 7',
    '<%= config.bin %> run scenarios/replication.yaml --keep            # leave the cluster up to poke at',
    '<%= config.bin %> run scenarios/ --reporter console,junit --bail',
    '<%= config.bin %> run scenarios/ --json > result.json',
    '<%= config.bin %> run scenarios/ --shard 2/3 --reporter console,json,junit,github   # one of 3 CI machines',
    '<%= config.bin %> run scenarios/ --jobs 2                     # two scenarios at once, each on its own cluster',
    '<%= config.bin %> run scenarios/ --server-arg=--bug=quorum-ack-after-one   # does the suite catch a planted bug?',
    '<%= config.bin %> run scenarios/ --driver external --cluster-file cluster.yaml   # a cluster you run yourself',
    '<%= config.bin %> run scenarios/chaos-set.yaml --repeat 20     # 20 seeds: failure rate and the failing seeds',
    '<%= config.bin %> run scenarios/chaos-set.yaml --seeds 3,7,11  # exactly these run seeds',
  ];
  static override strict = false;
  static override args = { paths: Args.string({ description: 'scenario files or folders (searched for *.yaml, *.yml)', required: true }) };
  static override flags = {
    driver: Flags.string({ description: 'how the cluster is run', options: [...DRIVERS], default: 'process' }),
    seed: Flags.integer({ description: 'seed of every random choice (default: random, recorded in the journal)', min: 0, max: 2 ** 32 - 1 }),
    out: Flags.string({ description: 'folder for run reports', default: 'reports' }),
    reporter: Flags.string({ description: `comma-separated reporters: ${REPORTERS.join(', ')}`, default: DEFAULT_REPORTERS.join(',') }),
    keep: Flags.boolean({ description: 'leave the cluster running after the run (remove it later with `clean --all`)' }),
    bail: Flags.boolean({ description: 'stop after the first scenario that does not pass' }),
    jobs: Flags.string({ char: 'j', description: 'scenarios run at once, each on its own cluster: a number, or auto (one per CPU core)', default: '1' }),
    server: Flags.string({ description: 'server entry for the process driver (default: reference-server/dist/main.js, or $PHANTOM_SERVER)' }),
    'server-arg': Flags.string({ description: 'an argument added to every node\'s command line, after the scenario\'s own (repeatable), e.g. --server-arg=--bug=quorum-ack-after-one', multiple: true }),
    json: Flags.boolean({ description: 'print the run summary as JSON on stdout (console output goes to stderr)' }),
    replay: Flags.string({ hidden: true, description: 'a recorded run folder whose scenario seeds and nemesis schedules to reuse (phantom-test replay sets it)' }),
    'cluster-file': Flags.string({ description: 'with --driver external: the YAML file listing the running cluster\'s nodes and how to fault them (README, "External clusters")' }),
    repeat: Flags.string({ description: 'run each scenario under N run seeds (--seed and the N-1 after it), each its own test case; reports the failure rate and the failing seeds', exclusive: ['seeds'] }),
    seeds: Flags.string({ description: 'run each scenario under these run seeds: 1..20, 3,7,11 (each its own test case; replay one with --seed)', exclusive: ['seed', 'repeat'] }),
    shard: Flags.string({ description: 'run only shard i of n (e.g. 2/3): the files sorted by path, cut into n contiguous parts; combine the shards with merge-reports' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Run);
    const reporters = flags.reporter.split(',').map((r) => r.trim()).filter(Boolean);
    const unknown = reporters.filter((r) => !(REPORTERS as readonly string[]).includes(r));
    if (unknown.length) this.error(`unknown reporter(s): ${unknown.join(', ')} (available: ${REPORTERS.join(', ')})`, { exit: 2 });

    let shard;
    try { shard = flags.shard === undefined ? undefined : parseShard(flags.shard); } catch (e) {
      if (e instanceof ShardError) this.error(e.message, { exit: 2 });
      throw e;
    }
    const jobs = parseJobs(flags.jobs);
    if (jobs === undefined) this.error(`--jobs must be a whole number of at least 1, or auto (got ${JSON.stringify(flags.jobs)})`, { exit: 2 });

    const external = await readExternalCluster(flags.driver, flags['cluster-file'], jobs, (m) => this.error(m, { exit: 2 }));
    let seeds: number[] | undefined;
    try {
      if (flags.seeds !== undefined) seeds = parseSeeds(flags.seeds);
      else if (flags.repeat !== undefined) seeds = repeatSeeds(flags.repeat, flags.seed ?? randomSeed());
    } catch (e) {
      if (e instanceof SeedsError) this.error(e.message, { exit: 2 });
      throw e;
    }

    let replay;
    if (flags.replay !== undefined) {
      const { ReplayInputError, readRecordedRun } = await import('../engine/nemesis/replay.js');
      try { replay = readRecordedRun(resolve(flags.replay)).scenarios; } catch (e) {
        if (e instanceof ReplayInputError) this.error(e.message, { exit: 2 });
        throw e;
      }
    }

    const loaded = await loadScenarios(argv as string[]);
    const { diagnostics } = loaded;
    if (diagnostics.length) throw invalidScenarios(diagnostics, 'nothing was started');
    // Every shard validates the whole suite (above), then runs its own part of it.
    const sharded = shard ? selectShard(loaded.scenarios, (s) => s.file, shard) : undefined;
    const scenarios = sharded ? sharded.selected : loaded.scenarios;
    if (sharded && scenarios.length === 0) {
      const n = sharded.record.suite.files.length;
      (flags.json ? process.stderr : process.stdout).write(`shard ${shard!.index}/${shard!.total} has no scenarios (${n} file(s) over ${shard!.total} shards): nothing to run\n`);
      if (flags.json) process.stdout.write(JSON.stringify({ run_id: null, verdict: 'passed', exit_code: 0, shard: `${shard!.index}/${shard!.total}`, scenarios: [] }, null, 2) + '\n');
      return;
    }

    // First Ctrl-C: stop after tearing down. Second: kill the nodes now.
    const ac = new AbortController();
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        process.stderr.write(`\n${sig}: stopping and tearing down (again to kill immediately)\n`);
        ac.abort(new InterruptedError());
      } else {
        process.exit(130); // the exit hook SIGKILLs every node
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    // Loaded here: oclif loads every command's module, and validate or clean need no engine.
    // What this throws is not a verdict on the system under test (exit 1 would say so):
    // PhantomCommand reports it as infra (3: the machine refused, e.g. an unwritable --out) or
    // as a crash (70: a bug of ours).
    const { runScenarios } = await import('../engine/run.js');
    const result = await runScenarios(scenarios, {
      seed: flags.seed, driver: flags.driver, out: flags.out, reporters, keep: flags.keep, bail: flags.bail, jobs,
      server: flags.server, serverArgs: flags['server-arg'], argv: process.argv.slice(2), signal: ac.signal, ...(external ? { external } : {}),
      consoleStream: flags.json ? process.stderr : process.stdout, shard: sharded?.record, ...(replay ? { replay } : {}), ...(seeds ? { seeds } : {}),
    });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);

    if (flags.json) {
      process.stdout.write(JSON.stringify({
        run_id: result.run.run_id, seed: result.run.seed, verdict: result.verdict, exit_code: result.exit_code,
        report_dir: result.run.report_dir, duration_ms: result.duration_ms,
        ...(result.run.seeds ? { seeds: result.run.seeds, repetitions: summarizeRepetitions(result.tests, result.run.driver) } : {}),
        scenarios: result.tests.map((t) => ({ file: t.info.file, name: t.info.name, ...(t.info.run_seed === undefined ? {} : { run_seed: t.info.run_seed }), verdict: t.verdict, duration_ms: t.duration_ms, ready_ms: t.ready_ms, error: t.error?.message })),
      }, null, 2) + '\n');
    }
    if (result.exit_code !== 0) this.exit(result.exit_code);
  }
}

/** --jobs: a whole number >= 1, or auto (one per core; the run never uses more than it has scenarios). */
function parseJobs(v: string): number | undefined {
  if (v === 'auto') return Math.max(1, availableParallelism());
  return /^[1-9][0-9]*$/.test(v) ? Number(v) : undefined;
}

/** --driver external needs --cluster-file (and one scenario at a time: they share the cluster); a bad file is exit 2, positioned. */
async function readExternalCluster(driver: string, file: string | undefined, jobs: number, usage: (m: string) => never) {
  if (driver !== 'external') {
    if (file !== undefined) usage(`--cluster-file is for --driver external (got --driver ${driver})`);
    return undefined;
  }
  if (file === undefined) usage('--driver external needs --cluster-file <file>: the nodes of the running cluster (README, "External clusters")');
  if (jobs > 1) usage('--driver external runs one scenario at a time (they share the one attached cluster): drop --jobs');
  const { readClusterFile } = await import('../drivers/external/cluster-file.js');
  const read = readClusterFile(file!);
  if ('diagnostics' in read) throw invalidScenarios(read.diagnostics, 'nothing was started');
  return read.cluster;
}
