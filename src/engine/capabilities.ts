// What a scenario needs of its driver, read from the document before anything
// starts: each fault kind it uses needs the capability its file declares (adding a
// late node needs process control). A need the driver lacks skips the scenario, with
// the reason and where the need is, rather than failing it halfway.

import type { Capability, ClusterOptions, Driver } from '../drivers/driver.js';
import { FAULTS, faultKind } from '../faults/index.js';
import type { Scenario, Step } from '../scenario/types.js';
import { menuEntry } from './nemesis/menu.js';

export interface Need {
  capability: Capability;
  /** "fault \"kill\"", "add_node". */
  what: string;
  /** file:line:col of the step. */
  where: string;
  /** The fault kind, for a fault's need. */
  kind?: string;
}

export function scenarioNeeds(scenario: Scenario): Need[] {
  const out: Need[] = [];
  const visit = (steps: Step[], base: Array<string | number>, single = false) => {
    steps.forEach((step, i) => {
      const path = single ? base : [...base, i];
      if (step.fault) {
        const kind = faultKind(step.fault);
        if (kind) out.push({ capability: FAULTS[kind]!.needs, what: `fault "${kind}"`, where: scenario.where(path), kind });
      }
      for (const item of step.nemesis?.faults ?? []) {
        const kind = menuEntry(item).kind;
        if (FAULTS[kind]) out.push({ capability: FAULTS[kind]!.needs, what: `nemesis fault "${kind}"`, where: scenario.where(path), kind });
      }
      if (step.add_node !== undefined) out.push({ capability: 'processes', what: 'add_node', where: scenario.where(path) });
      step.parallel?.forEach((b, j) => (Array.isArray(b) ? visit(b, [...path, 'parallel', j]) : visit([b], [...path, 'parallel', j], true)));
    });
  };
  visit(scenario.doc.steps, ['steps']);
  return out;
}

/** Why the driver cannot run the scenario (the first need it lacks), or undefined. */
export function unsupportedReason(scenario: Scenario, driver: Pick<Driver, 'name' | 'capabilities' | 'refuses'>): string | undefined {
  const missing = scenarioNeeds(scenario).find((n) => !driver.capabilities.has(n.capability));
  // A driver may know more than its capabilities say (an attached cluster lacks a node).
  if (!missing) return driver.refuses?.(scenario);
  return `the ${driver.name} driver cannot do ${missing.what} (at ${missing.where}): it needs the "${missing.capability}" capability`;
}

/** Room on each node's tmpfs data dir when a scenario uses disk faults: filling it stays quick. */
export const DISK_SIZE_MB = 64;

/** What the driver prepares before the nodes start (a clock file, a tmpfs) for the faults used. */
export function preparations(scenario: Scenario): ClusterOptions['prepare'] {
  const needs = new Set(scenarioNeeds(scenario).map((n) => n.capability));
  return { ...(needs.has('clock') ? { clock: true } : {}), ...(needs.has('disk') ? { diskSizeMb: DISK_SIZE_MB } : {}) };
}
