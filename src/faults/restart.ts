// restart: graceful stop, then start with the same flags and data dir. Witnessed:
// the node serves again.
import { nodeFault } from './node-fault.js';
import { witnessServing } from './node-witnesses.js';

export const restart = nodeFault({
  name: 'restart',
  summary: 'Stop, then start again on the same port and data dir.',
  eligible: ['running'],
  async inject(d, n) {
    await d.stop(n);
    await d.startNode(n);
  },
  witness: witnessServing,
});
