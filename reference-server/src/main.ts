#!/usr/bin/env node
// Entry point of a reference-cluster node: flags → config → node; SIGTERM/SIGINT stop it cleanly.
import fs from 'node:fs';
import { ConfigError, helpText, parseConfig } from './config.js';
import { enableBugs } from './bugs.js';

async function main(): Promise<number> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`phantom-reference: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (config === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  try {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.accessSync(config.dataDir, fs.constants.W_OK);
  } catch (err) {
    process.stderr.write(`phantom-reference: data dir ${config.dataDir} is not writable: ${(err as Error).message}\n`);
    return 1;
  }
  if (config.bugs) {
    enableBugs(config.bugs);
    process.stderr.write(`phantom-reference: PLANTED BUGS ENABLED: ${config.bugs.join(', ')}\n`);
  }
  // Loaded only now, so --help and flag errors answer without loading SQLite or the SQL parser.
  const { ReferenceNode } = await import('./node.js');
  const node = new ReferenceNode(config);
  try {
    await node.start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const msg = e.code === 'EADDRINUSE' ? `cannot listen on ${config.host}:${config.port}: the port is already in use` : e.message;
    process.stderr.write(`phantom-reference: ${msg}\n`);
    await node.stop().catch(() => undefined);
    return 1;
  }
  // Tell a parent process which port we got (useful with --http host:0).
  process.stdout.write(JSON.stringify({ level: 30, msg: 'listening', node_id: config.nodeId, url: node.address() }) + '\n');
  await new Promise<void>((resolve) => {
    const stop = () => void node.stop().then(resolve, resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`phantom-reference: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
