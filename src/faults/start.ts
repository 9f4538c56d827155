// start: bring a stopped or killed node back on its port and data dir.
import type { Fault } from './fault.js';

export const start: Fault = {
  name: 'start',
  eligible: ['stopped'],
  inject: (d, n) => d.startNode(n),
  undo: (d, n) => d.stop(n),
};
