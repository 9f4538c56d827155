// The lifecycle faults by name.
import type { FaultAction } from '../scenario/types.js';
import type { Fault } from './fault.js';
import { kill } from './kill.js';
import { pause } from './pause.js';
import { restart } from './restart.js';
import { resume } from './resume.js';
import { start } from './start.js';
import { stop } from './stop.js';

export const FAULTS: Record<FaultAction, Fault> = { kill, stop, start, restart, pause, resume };
export type { Fault };
