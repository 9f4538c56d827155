import { Args, Command, Flags } from '@oclif/core';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export default class Check extends Command {
  static override summary = "Run history checkers over a saved run's history.";
  static override description = `Reads <run-dir>/history.jsonl (and its sidecars, history/<line>.json; from history.bin, the runner's compact copy, as far as it matches the jsonl) and runs, for each scenario, the checkers its check: list names (from <run-dir>/journal.json), or those given with --checker. Checkers: set, overwrite, stale-reads, convergence (docs/history.md).

Exit 0 when every checker finds the history valid (unknown does not fail); 1 when one finds a violation; 2 on bad input: a missing, truncated or corrupt history (the message names the file and line), an unknown checker, or nothing to check.`;
  static override examples = [
    '<%= config.bin %> check reports/latest',
    '<%= config.bin %> check reports/20261123-074648-9f5d --checker set,stale-reads --json',
  ];
  static override args = { dir: Args.string({ description: 'the run folder (reports/<run-id>, or reports/latest)', required: true }) };
  static override flags = {
    checker: Flags.string({ description: 'comma-separated checkers to run on every scenario, instead of each scenario\'s check: list' }),
    json: Flags.boolean({ description: 'print {valid, scenarios: [{scenario, results}]} as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Check);
    // Loaded here: oclif loads every command's module.
    const { CHECKERS, CHECKER_NAMES } = await import('../checkers/index.js');
    const { CheckInputError, checkRun } = await import('../checkers/history-file.js');
    const { suggest } = await import('../scenario/schema.js');
    const bad = (message: string) => { process.stderr.write(`phantom-test check: ${message}\n`); return this.exit(2); };
    const dir = resolve(args.dir);

    let forced: string[] | undefined;
    if (flags.checker !== undefined) {
      forced = flags.checker.split(',').map((s) => s.trim()).filter(Boolean);
      for (const n of forced) {
        if (!CHECKERS[n]) { const h = suggest(n, CHECKER_NAMES); return bad(`unknown checker "${n}"${h ? ` (did you mean "${h}"?)` : ''}; known: ${CHECKER_NAMES.join(', ')}`); }
      }
    }
    let declared = new Map<string, string[]>();
    if (!forced) {
      try { declared = declaredChecks(dir); } catch (e) {
        return bad(`${e instanceof Error ? e.message : String(e)}: the scenarios' check: lists are in it (give --checker to choose the checkers instead)`);
      }
    }
    const pick = (scenario: string) => (forced ?? declared.get(scenario) ?? []).filter((n) => CHECKERS[n]).map((n) => CHECKERS[n]!);

    let verdicts;
    try {
      verdicts = await checkRun(dir, pick);
    } catch (e) {
      if (!(e instanceof CheckInputError)) throw e;
      return bad(e.message);
    }
    const checked = verdicts.filter((v) => v.results.length);
    if (checked.length === 0) {
      return bad(verdicts.length === 0 ? `${join(dir, 'history.jsonl')} holds no operations` : 'no scenario of the run declares check: and no --checker was given: nothing to check');
    }
    const invalid = checked.some((v) => v.results.some((r) => r.valid === false));
    if (flags.json) {
      process.stdout.write(JSON.stringify({ valid: !invalid, scenarios: checked }, null, 2) + '\n');
    } else {
      for (const v of checked) {
        process.stdout.write(`${v.scenario} (${v.operations} history entries)\n`);
        for (const r of v.results) {
          process.stdout.write(`  ${r.valid === true ? 'valid  ' : r.valid === false ? 'INVALID' : 'unknown'} ${r.checker}: ${r.summary}\n`);
          for (const f of r.failures) process.stdout.write(`      ${f}\n`);
          const more = Number(r.failure_count ?? r.failures.length) - r.failures.length;
          if (more > 0) process.stdout.write(`      ... ${more} more\n`);
        }
      }
    }
    if (invalid) this.exit(1);
  }
}

/**
 * Each scenario's check: list, from the run's journal (none when it has no journal). A
 * journal that is there but cannot be read throws, naming it and what is wrong.
 */
function declaredChecks(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const path = join(dir, 'journal.json');
  if (!existsSync(path)) return out;
  let j: { scenarios?: unknown };
  try { j = JSON.parse(readFileSync(path, 'utf8')) as typeof j; } catch (e) {
    const why = e instanceof SyntaxError ? `not valid JSON (${e.message})` : `unreadable (${e instanceof Error ? e.message : String(e)})`;
    throw new Error(`${path} is ${why}`);
  }
  if (!j || typeof j !== 'object' || !Array.isArray(j.scenarios)) throw new Error(`${path} is not a run journal (no scenarios list)`);
  for (const s of j.scenarios as Array<{ name?: unknown; resolved?: { scenario?: { check?: unknown } } }>) {
    const c = s?.resolved?.scenario?.check;
    if (typeof s?.name === 'string' && Array.isArray(c)) out.set(s.name, c.map(String));
  }
  return out;
}
