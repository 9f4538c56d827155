// kill: SIGKILL, no chance to flush; start undoes it. Witnessed: nothing listens on
// the node's port and its process is gone.
import { nodeFault } from './node-fault.js';
import { witnessGone } from './node-witnesses.js';

export const kill = nodeFault({
  name: 'kill',
  summary: 'SIGKILL: the node dies without flushing.',
  eligible: ['running', 'paused'],
  inject: (d, n) => d.kill(n),
  undo: (d, n) => d.startNode(n),
  witness: witnessGone,
});
