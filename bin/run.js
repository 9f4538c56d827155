#!/usr/bin/env node
// The phantom-test executable: oclif finds the commands in dist/commands.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
