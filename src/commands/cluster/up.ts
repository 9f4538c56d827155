import { Flags } from '@oclif/core';
import { PhantomCommand } from '../../cli/command.js';
import { CommandFailure, describeFailure } from '../../cli/failure.js';
import { allReapers, createDriver } from '../../drivers/index.js';
import { InfraError } from '../../engine/errors.js';
import { newRunId } from '../../reporters/run-dir.js';
import { durationMs } from '../../scenario/duration.js';
import { stateDir } from '../../util/paths.js';

export default class ClusterUp extends PhantomCommand {
  static override summary = 'Start the reference cluster in the background and print its endpoints.';
  static override description = 'For manual poking: the nodes keep running after this command returns, until `cluster down`. With --driver docker they are containers (labelled like a run\'s), each published on 127.0.0.1. Exit 3 when a node cannot start (with the command tried and its last log lines).';
  static override examples = [
    '<%= config.bin %> cluster up',
    '<%= config.bin %> cluster up --nodes a,b,c,d --token secret',
    '<%= config.bin %> cluster up --driver docker',
    'curl -s "$(<%= config.bin %> cluster up --json | jq -r \'.nodes[0].url\')/api/v3/cluster/nodes"',
  ];
  static override flags = {
    nodes: Flags.string({ description: 'node ids, comma-separated, or a count', default: 'a,b,c' }),
    token: Flags.string({ description: 'bearer token the nodes require' }),
    driver: Flags.string({ description: 'how the nodes run: local processes or Docker containers', options: ['process', 'docker'], default: 'process' }),
    server: Flags.string({ description: 'server entry for the process driver (default: reference-server/dist/main.js, or $PHANTOM_SERVER)' }),
    'ready-timeout': Flags.string({ description: 'how long each node may take to answer /health', default: '15s' }),
    json: Flags.boolean({ description: 'print {id, nodes: [{id, url, pid, log}]} as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ClusterUp);
    if (flags.driver === 'docker' && flags.server !== undefined) this.error('--server is for the process driver: the docker driver runs the image built from reference-server/', { exit: 2 });
    // One cluster per project, whichever driver runs it: `cluster down` stops them all.
    const live = await Promise.all(allReapers().map(async ({ reaper }) => reaper.liveClusters()));
    const running = live.flat().filter((c) => c.nodes.some((n) => n.running));
    if (running.length) this.error(`a cluster of this project is already up (${running[0]!.id}, state folder ${stateDir()}); run \`phantom-test cluster down\` first`, { exit: 2 });
    const ids = /^\d+$/.test(flags.nodes) ? Array.from({ length: Number(flags.nodes) }, (_, i) => String.fromCharCode(97 + i)) : flags.nodes.split(',').map((s) => s.trim()).filter(Boolean);
    if (ids.length === 0 || ids.some((id) => !/^[A-Za-z0-9_-]+$/.test(id))) this.error('--nodes: give ids like a,b,c or a count', { exit: 2 });
    const readyTimeoutMs = (() => { try { return durationMs(flags['ready-timeout'], 15_000); } catch { return this.error('--ready-timeout is not a duration', { exit: 2 }); } })();
    const id = `cluster-${newRunId()}`;
    const driver = createDriver(flags.driver, { runId: id, server: flags.server, kind: 'cluster' });
    try {
      const nodes = await driver.start({ nodes: ids.map((n) => ({ id: n, start: true, args: [], env: {} })), token: flags.token, readyTimeoutMs });
      if (flags.json) {
        process.stdout.write(JSON.stringify({ id, driver: flags.driver, nodes: nodes.map((n) => ({ id: n.id, url: n.url, pid: n.pid, log: n.log, data_dir: n.dataDir, ...(flags.driver === 'docker' ? { container: `phantom-${id}-${n.id}` } : {}) })) }, null, 2) + '\n');
      } else {
        process.stdout.write(`cluster ${id} is up:\n`);
        for (const n of nodes) process.stdout.write(`  ${n.id}  ${n.url}  ${flags.driver === 'docker' ? `container phantom-${id}-${n.id}` : `pid ${n.pid}  log ${n.log}`}\n`);
        process.stdout.write('stop it with: phantom-test cluster down\n');
      }
    } catch (e) {
      await driver.teardown({ keep: false });
      // A node that cannot start is infra (3); anything else is a bug (70): PhantomCommand says so.
      if (!(e instanceof InfraError)) throw e;
      const d = e.detail;
      throw new CommandFailure(describeFailure(e), `cluster up failed: ${e.message}\n${d.tried ? `tried: ${d.tried}\n` : ''}${d.logTail ? `last log lines:\n${d.logTail}\n` : ''}`);
    }
  }
}
