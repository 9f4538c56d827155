// start: bring a stopped or killed node back on its port and data dir. Witnessed:
// /health answers 200.
import { nodeFault } from './node-fault.js';
import { witnessServing } from './node-witnesses.js';

export const start = nodeFault({
  name: 'start',
  summary: 'Start a stopped node on its port and data dir; waits for /health.',
  eligible: ['stopped'],
  inject: (d, n) => d.startNode(n),
  undo: (d, n) => d.stop(n),
  witness: witnessServing,
});
