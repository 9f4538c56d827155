// A line diff (longest common subsequence) for showing expected against actual.

export function lineDiff(expected: string[], actual: string[], equal: (i: number, j: number) => boolean = (i, j) => expected[i] === actual[j]): string {
  const n = expected.length;
  const m = actual.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = equal(i, j) ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && equal(i, j)) { out.push(`  ${actual[j]}`); i++; j++; }
    else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) { out.push(`+ ${actual[j]}`); j++; }
    else { out.push(`- ${expected[i]}`); i++; }
  }
  return ['--- expected', '+++ actual', ...out].join('\n');
}
