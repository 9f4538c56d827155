// The history's JSON, for history.jsonl and the JSON parts of history.bin: integers beyond
// 2^53 (BigInts) as decimal text. Plain JSON.stringify first: a replacer function doubles
// the cost of every line the runner writes, and BigInts are rare (it throws on them).

const bigintAsText = (_k: string, x: unknown) => (typeof x === 'bigint' ? x.toString() : x);

export function historyJson(v: unknown): string {
  try { return JSON.stringify(v); } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return JSON.stringify(v, bigintAsText);
  }
}
