// wait: a fixed pause, for pacing a workload only. To wait for a state, use await.

import { durationMs } from '../../scenario/duration.js';
import { sleep } from '../sleep.js';
import type { StepImpl } from './step.js';

export const wait: StepImpl<string> = {
  verifies: false,
  label: (d) => `wait ${d}`,
  async run(d, { signal }) {
    const ms = durationMs(d, 0, 'pause');
    await sleep(ms, signal);
    return { ms };
  },
};
