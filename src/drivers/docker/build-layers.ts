// Which images a (classic builder) build made, read from its output: what a failed build's
// cleanup may remove. After each step the engine prints ` ---> <id>`: the layer that step
// committed, except after a FROM step, where it is the base image (someone else's, maybe
// tagged), and after ` ---> Using cache`, where it is an older build's layer.

/** The ids this build committed, in build order, from its output lines so far. */
export function committedLayers(lines: string[]): string[] {
  const out: string[] = [];
  let step = '';
  for (const [i, line] of lines.entries()) {
    const begun = /^Step \d+\/\d+ : (\S+)/.exec(line);
    if (begun) { step = begun[1]!.toUpperCase(); continue; }
    const layer = /^ ---> ([0-9a-f]{12,64})$/.exec(line);
    if (layer && step !== 'FROM' && lines[i - 1] !== ' ---> Using cache') out.push(layer[1]!);
  }
  return out;
}
