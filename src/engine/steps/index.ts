// Step kinds by name.
import type { StepKind } from '../../scenario/types.js';
import { addNode } from './add-node.js';
import { admin } from './admin.js';
import { awaitStep } from './await.js';
import { consistency } from './consistency.js';
import { expectCatalog } from './expect-catalog.js';
import { fault } from './fault.js';
import { nemesis } from './nemesis.js';
import { parallel } from './parallel.js';
import { query } from './query.js';
import type { StepImpl } from './step.js';
import { wait } from './wait.js';
import { workload } from './workload.js';
import { write } from './write.js';

export const STEPS: Record<StepKind, StepImpl<never>> = {
  write, query, admin, expect_catalog: expectCatalog, consistency, fault, wait, await: awaitStep, parallel, add_node: addNode, workload, nemesis,
} as unknown as Record<StepKind, StepImpl<never>>;
