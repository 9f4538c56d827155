// A fault, Toxiproxy style: one small type with an inject and, where it makes
// sense, an undo. `eligible` says which node states it can target (for `random`).
// teardownUndo: the engine undoes it before stopping the cluster.

import type { Driver, NodeState } from '../drivers/driver.js';

export interface Fault {
  name: string;
  eligible: NodeState[];
  inject(driver: Driver, node: string): Promise<void>;
  undo?(driver: Driver, node: string): Promise<void>;
  teardownUndo?: boolean;
}
