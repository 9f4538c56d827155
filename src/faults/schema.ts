// The scenario schema's `fault` definition, assembled from the fault files: each
// kind's own schema fragment and summary. schema/scenario.schema.json ships the
// same definition for editors; test/faults-registry.test.ts checks they agree, and
// `node scripts/write-fault-schema.mjs` (after a build) rewrites it.

import { FAULTS } from './index.js';

export function faultDefinition(): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    description: 'One fault; the kinds are the files of src/faults (see docs/scenario-format.md, "Faults").',
    properties: Object.fromEntries(Object.values(FAULTS).map((f) => [f.name, { ...f.schema, description: f.summary }])),
  };
}
