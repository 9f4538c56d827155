// kill: SIGKILL, no chance to flush; start undoes it.
import type { Fault } from './fault.js';

export const kill: Fault = {
  name: 'kill',
  eligible: ['running', 'paused'],
  inject: (d, n) => d.kill(n),
  undo: (d, n) => d.startNode(n),
};
