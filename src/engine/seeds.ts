// --repeat and --seeds: the run seeds a run repeats every scenario under. Each one is
// a whole run seed, so `phantom-test run <file> --seed <s>` replays one repetition exactly.

/** A --repeat or --seeds value that is not one: the message says what was expected. */
export class SeedsError extends Error {}

export const MAX_SEED = 2 ** 32 - 1;
/** More would be a typo (1..100000), not a plan: each repetition starts a cluster. */
export const MAX_REPETITIONS = 1000;

/** --repeat N: the run seed and the N-1 seeds after it (wrapping at 2^32). */
export function repeatSeeds(text: string, base: number): number[] {
  if (!/^[1-9][0-9]*$/.test(text.trim())) throw new SeedsError(`--repeat must be a whole number of at least 1 (got ${JSON.stringify(text)})`);
  const n = Number(text.trim());
  if (n > MAX_REPETITIONS) throw new SeedsError(`--repeat ${n} is more than ${MAX_REPETITIONS} repetitions`);
  return Array.from({ length: n }, (_, i) => (base + i) % (MAX_SEED + 1));
}

/** --seeds 1..20 (inclusive), 3,7,11, or both mixed (1..3,9): listed order, duplicates refused. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  const bad = (why: string) => new SeedsError(`--seeds ${JSON.stringify(text)}: ${why} (expected e.g. 1..20 or 3,7,11)`);
  const seed = (s: string) => {
    if (!/^[0-9]+$/.test(s)) throw bad(`${JSON.stringify(s)} is not a seed (a whole number from 0 to ${MAX_SEED})`);
    const v = Number(s);
    if (v > MAX_SEED) throw bad(`${s} is above ${MAX_SEED}`);
    return v;
  };
  if (!text.trim()) throw bad('no seeds');
  for (const part of text.split(',').map((p) => p.trim())) {
    const range = /^(.*)\.\.(.*)$/.exec(part);
    if (range) {
      const from = seed(range[1]!.trim());
      const to = seed(range[2]!.trim());
      if (to < from) throw bad(`range ${part} runs backwards`);
      if (to - from + 1 + seeds.length > MAX_REPETITIONS) throw bad(`more than ${MAX_REPETITIONS} seeds`);
      for (let v = from; v <= to; v++) seeds.push(v);
    } else {
      seeds.push(seed(part));
    }
  }
  if (seeds.length > MAX_REPETITIONS) throw bad(`more than ${MAX_REPETITIONS} seeds`);
  const dup = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (dup !== undefined) throw bad(`seed ${dup} is listed twice`);
  return seeds;
}
