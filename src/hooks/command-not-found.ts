// `phantom-test runn`: name the closest command and exit 2 (usage). On a terminal,
// @oclif/plugin-not-found's prompt ("Did you mean run? (Y/n)") runs the suggestion;
// anywhere else (a script, CI, a pipe) nothing may wait for an answer, and the
// plugin's exit code (127) is not the usage code DESIGN.md gives a mistyped command.

import { Errors, toConfiguredId, type Hook } from '@oclif/core';
import promptingHook from '@oclif/plugin-not-found';
import { jsonRequested, writeJsonFailure } from '../cli/failure.js';

const EXIT_USAGE = 2;

const hook: Hook.CommandNotFound = async function (opts) {
  const argv = opts.argv ?? [];
  const visible = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  // With spaces between topic and command, oclif folds the arguments before the first
  // flag into the id (`runn x.yaml --seed 3` arrives as runn:x.yaml): try each leading part.
  const parts = opts.id.split(':');
  const near = parts.map((_, i) => closest(parts.slice(0, i + 1), visible)).find((n) => n !== undefined);

  if (near && process.stdin.isTTY && process.stderr.isTTY && !jsonRequested(argv)) {
    try {
      // The plugin matches the whole id: hand it only the mistyped words, the rest as arguments.
      return await promptingHook.call(this, { ...opts, id: near.typed.join(':'), argv: [...parts.slice(near.typed.length), ...argv] });
    } catch (e) {
      // Declined or unanswered: the plugin's own message, with the usage exit code.
      if (e instanceof Errors.CLIError && e.oclif.exit === 127) e.oclif.exit = EXIT_USAGE;
      throw e;
    }
  }
  const typed = toConfiguredId((near?.typed ?? parts.slice(0, 1)).join(':'), opts.config);
  const message = `"${typed}" is not a ${opts.config.bin} command${near ? `; did you mean "${toConfiguredId(near.id, opts.config)}"?` : ''}`;
  if (jsonRequested(argv)) writeJsonFailure({ code: 'usage', message, exit_code: EXIT_USAGE });
  this.error(`${message}\nRun \`${opts.config.bin} help\` for a list of available commands.`, { exit: EXIT_USAGE });
};

export default hook;

/** The id nearest to the typed words by edit distance, if near enough to be what was meant. */
function closest(typed: string[], ids: string[]): { typed: string[]; id: string } | undefined {
  const word = typed.join(':');
  let best: { id: string; d: number } | undefined;
  for (const id of ids) {
    const d = editDistance(word, id);
    if (!best || d < best.d) best = { id, d };
  }
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? { typed, id: best.id } : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
