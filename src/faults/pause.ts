// pause: SIGSTOP freezes the node (connections hang rather than fail); resume
// undoes it, also at teardown so the node can be stopped gracefully. The undo only
// resumes a node that is still paused: a later resume, kill or stop already ended it.
// Witnessed: GET /health gets no answer.
import { nodeFault } from './node-fault.js';
import { witnessFrozen } from './node-witnesses.js';

export const pause = nodeFault({
  name: 'pause',
  summary: 'SIGSTOP: the node freezes; connections hang rather than fail.',
  eligible: ['running'],
  inject: (d, n) => d.pause(n),
  undo: async (d, n) => {
    if (d.node(n).state === 'paused') await d.resume(n);
  },
  teardownUndo: true,
  witness: witnessFrozen,
});
