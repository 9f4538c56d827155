// stop: SIGTERM, a graceful shutdown; start undoes it. Witnessed like kill.
import { nodeFault } from './node-fault.js';
import { witnessGone } from './node-witnesses.js';

export const stop = nodeFault({
  name: 'stop',
  summary: 'SIGTERM: a graceful shutdown.',
  eligible: ['running', 'paused'],
  inject: (d, n) => d.stop(n),
  undo: (d, n) => d.startNode(n),
  witness: witnessGone,
});
