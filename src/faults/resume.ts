// resume: SIGCONT for a paused node. Witnessed: /health answers 200 again.
import { nodeFault } from './node-fault.js';
import { witnessServing } from './node-witnesses.js';

export const resume = nodeFault({
  name: 'resume',
  summary: 'SIGCONT: a paused node runs again.',
  eligible: ['paused'],
  inject: (d, n) => d.resume(n),
  undo: (d, n) => d.pause(n),
  witness: witnessServing,
});
