// Whether (and how richly) to colour what goes to a stream: the one decision every
// coloured output uses. The conventions, strongest first:
//   FORCE_COLOR  0/false: none, even on a TTY; ''/1/true: 16 colours, 2: 256, 3: truecolor,
//                even in a pipe (Node's own reading; it wins over NO_COLOR, as in Node)
//   NO_COLOR     any non-empty value: none (https://no-color.org)
//   not a TTY    none
//   TERM=dumb    none
//   otherwise    what the terminal reports (stream.getColorDepth)
// An unrecognised FORCE_COLOR value is ignored, so the rules below it decide.

/** chalk's levels: 0 none, 1 basic 16 colours, 2 256 colours, 3 truecolor. */
export type ColorLevel = 0 | 1 | 2 | 3;

export interface ColorStream {
  isTTY?: boolean;
  getColorDepth?(): number;
}

const FORCED: Record<string, ColorLevel> = { '0': 0, false: 0, '': 1, '1': 1, true: 1, '2': 2, '3': 3 };

export function colorLevel(env: NodeJS.ProcessEnv, stream: ColorStream): ColorLevel {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force.toLowerCase() in FORCED) return FORCED[force.toLowerCase()]!;
  if (env.NO_COLOR) return 0;
  if (!stream.isTTY) return 0;
  if (env.TERM === 'dumb') return 0;
  // getColorDepth is 1, 4, 8 or 24 bits; a TTY without it still takes basic colours.
  const depth = stream.getColorDepth?.() ?? 4;
  return depth >= 24 ? 3 : depth >= 8 ? 2 : depth >= 4 ? 1 : 0;
}
