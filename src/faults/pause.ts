// pause: SIGSTOP freezes the node (connections hang rather than fail); resume
// undoes it, also at teardown so the node can be stopped gracefully.
import type { Fault } from './fault.js';

export const pause: Fault = {
  name: 'pause',
  eligible: ['running'],
  inject: (d, n) => d.pause(n),
  undo: (d, n) => d.resume(n),
  teardownUndo: true,
};
