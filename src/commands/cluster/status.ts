import { Flags } from '@oclif/core';
import { PhantomCommand } from '../../cli/command.js';
import { healthOk } from '../../drivers/health.js';
import { allReapers } from '../../drivers/index.js';

export default class ClusterStatus extends PhantomCommand {
  static override summary = 'Show the nodes of the cluster started by `cluster up` and whether each answers /health.';
  static override examples = ['<%= config.bin %> cluster status', '<%= config.bin %> cluster status --json'];
  static override flags = { json: Flags.boolean({ description: 'print {clusters: [{id, driver, nodes: [{id, url, pid or container, running, healthy}]}]} as JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(ClusterStatus);
    const live = await Promise.all(allReapers().map(async ({ driver, reaper }) => (await reaper.liveClusters({ kept: true })).map((c) => ({ ...c, driver }))));
    const clusters = await Promise.all(live.flat().map(async (c) => ({
      ...c, nodes: await Promise.all(c.nodes.map(async (n) => ({ ...n, healthy: n.url !== '' && (await healthOk(n.url, 1000)) }))),
    })));
    if (flags.json) {
      process.stdout.write(JSON.stringify({ clusters }, null, 2) + '\n');
      return;
    }
    if (clusters.length === 0) { process.stdout.write('no cluster is up (start one with `phantom-test cluster up`)\n'); return; }
    for (const c of clusters) {
      process.stdout.write(`${c.id}${c.driver === 'process' ? '' : ` (${c.driver})`}${c.kind === 'kept' ? ' (kept by run --keep)' : ''}\n`);
      for (const n of c.nodes) process.stdout.write(`  ${n.id}  ${n.url}  ${n.container ? `container ${n.container}` : `pid ${n.pid}`}  ${n.healthy ? 'healthy' : n.running ? 'running, not healthy' : 'not running'}\n`);
    }
  }
}
