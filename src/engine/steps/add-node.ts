// add_node: start a node declared with start: false (its --peers are the current
// nodes plus itself), wait for /health, and register it with the cluster.

import type { AddNodeSpec } from '../../scenario/types.js';
import { VerificationError } from '../errors.js';
import type { StepImpl } from './step.js';

export const addNode: StepImpl<string | AddNodeSpec> = {
  verifies: false,
  label: (s) => `add node ${typeof s === 'string' ? s : s.id}`,
  async run(raw, { ctx, path, signal, node: pick }) {
    const s = typeof raw === 'string' ? { id: raw } : raw;
    const via = pick(s.via);
    const info = await ctx.history.op({ f: 'add_node', node: s.id, step: path }, () => ctx.driver.addNode(s.id), { okValue: (n) => ({ url: n.url, peer_url: n.peerUrl }) });
    if (s.register !== false) {
      const res = await ctx.client.call({
        node: via, url: ctx.url(via), method: 'POST', path: '/api/v3/cluster/nodes', f: 'admin', step: path, signal,
        // The address the other nodes reach it at (inside a container network it is not the runner's).
        body: { id: s.id, url: info.peerUrl || info.url },
      });
      if (res.status !== 201 && res.status !== 200) {
        throw new VerificationError(`registering node ${s.id} via ${via}: expected 201, got ${res.status}: ${res.text.slice(0, 300)}`);
      }
      return { id: s.id, url: info.url, registered: res.json };
    }
    return { id: s.id, url: info.url };
  },
};
