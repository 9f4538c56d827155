// resume: SIGCONT for a paused node.
import type { Fault } from './fault.js';

export const resume: Fault = {
  name: 'resume',
  eligible: ['paused'],
  inject: (d, n) => d.resume(n),
  undo: (d, n) => d.pause(n),
};
