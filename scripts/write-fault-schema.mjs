#!/usr/bin/env node
// Rewrites the `fault` definition of schema/scenario.schema.json from the fault files
// (src/faults, built into dist/): run after adding a fault kind and `npm run build`.
// Only that definition's text changes; the rest of the hand-formatted file stays.
import { readFileSync, writeFileSync } from 'node:fs';
import { faultDefinition } from '../dist/faults/schema.js';

const file = new URL('../schema/scenario.schema.json', import.meta.url);
const text = readFileSync(file, 'utf8');
const start = text.indexOf('\n    "fault": {');
const end = text.indexOf('\n    },', start) + '\n    }'.length;
if (start < 0 || end < start) throw new Error('no "fault" definition found in schema/scenario.schema.json');
const body = JSON.stringify(faultDefinition(), null, 2).split('\n').map((l, i) => (i === 0 ? l : `    ${l}`)).join('\n');
writeFileSync(file, `${text.slice(0, start)}\n    "fault": ${body}${text.slice(end)}`);
console.log('schema/scenario.schema.json: fault definition rewritten from src/faults');
