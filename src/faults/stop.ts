// stop: SIGTERM, a graceful shutdown; start undoes it.
import type { Fault } from './fault.js';

export const stop: Fault = {
  name: 'stop',
  eligible: ['running', 'paused'],
  inject: (d, n) => d.stop(n),
  undo: (d, n) => d.startNode(n),
};
