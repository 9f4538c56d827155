// The knobs every fuzz test shares, read from the environment with the same names:
//   PHANTOM_FUZZ_SEED=<n>|random   the seed (default: a fixed one, so CI runs are repeatable)
//   PHANTOM_FUZZ_COUNT=<n>         how many inputs to try
//   PHANTOM_FUZZ_BUDGET_MS=<n>     stop generating after this long, whatever the count (default:
//                                  none, so a run on a slow or loaded machine tries the same inputs)
// A failure prints the seed; `PHANTOM_FUZZ_SEED=<seed> npx tap <file>` replays it.

export interface FuzzSettings {
  seed: number;
  count: number;
  /** 0 in defaults (and in the environment) means no budget: Infinity. */
  budgetMs: number;
}

export function fuzzSettings(defaults: FuzzSettings, env: NodeJS.ProcessEnv = process.env): FuzzSettings {
  const num = (name: string, dflt: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return dflt;
    const v = Number(raw);
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer, not '${raw}'`);
    return v;
  };
  const seed = env.PHANTOM_FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : num('PHANTOM_FUZZ_SEED', defaults.seed);
  const budgetMs = num('PHANTOM_FUZZ_BUDGET_MS', defaults.budgetMs);
  return { seed, count: num('PHANTOM_FUZZ_COUNT', defaults.count), budgetMs: budgetMs > 0 ? budgetMs : Infinity };
}
