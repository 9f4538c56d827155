// restart: graceful stop, then start with the same flags and data dir.
import type { Fault } from './fault.js';

export const restart: Fault = {
  name: 'restart',
  eligible: ['running'],
  async inject(d, n) {
    await d.stop(n);
    await d.startNode(n);
  },
};
