#!/usr/bin/env node
// The phantom-test executable: oclif finds the commands in dist/commands. A crash
// (a bug, not bad input) exits 70 wherever it happens: see src/cli/crash.ts.
import { flush, handle, run } from '@oclif/core';
import { asCrash, installCrashHandlers } from '../dist/cli/crash.js';

installCrashHandlers();
await run(process.argv.slice(2), import.meta.url).then(() => flush(), (e) => handle(asCrash(e)));
