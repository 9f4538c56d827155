// add_node: start a node declared with start: false (its --peers are the current
// nodes plus itself), wait for /health, and register it with the cluster.

import type { AddNodeSpec } from '../../scenario/types.js';
import { VerificationError } from '../errors.js';
import { pollUntil, PollTimeout } from '../../util/poll.js';
import type { HttpResult } from '../client.js';
import type { StepImpl } from './step.js';

/**
 * How long registration rides out "no catalog leader is reachable" (503): an election
 * after a leader was killed takes about a second; a minority never gets a leader.
 */
const REGISTER_TIMEOUT_MS = 30_000;

export const addNode: StepImpl<string | AddNodeSpec> = {
  verifies: false,
  label: (s) => `add node ${typeof s === 'string' ? s : s.id}`,
  async run(raw, { ctx, path, signal, node: pick }) {
    const s = typeof raw === 'string' ? { id: raw } : raw;
    const via = pick(s.via);
    const info = await ctx.history.op({ f: 'add_node', node: s.id, step: path }, () => ctx.driver.addNode(s.id), { okValue: (n) => ({ url: n.url, peer_url: n.peerUrl }) });
    // The address the other nodes reach it at (inside a container network it is not the runner's).
    const peerUrl = info.peerUrl || info.url;
    if (s.register === false) return { id: s.id, url: info.url, peer_url: peerUrl };
    let last: HttpResult | undefined;
    try {
      // Registering again is harmless (200, already_exists), so a 503 is simply retried.
      const res = await pollUntil(async () => {
        last = await ctx.client.call({
          node: via, url: ctx.url(via), method: 'POST', path: '/api/v3/cluster/nodes', f: 'admin', step: path, signal,
          body: { id: s.id, url: peerUrl },
        });
        return last.status === 503 ? undefined : last;
      }, { timeoutMs: REGISTER_TIMEOUT_MS, intervalMs: 100, maxIntervalMs: 1000, signal, describe: `a catalog leader to register node ${s.id}` });
      if (res.status !== 201 && res.status !== 200) {
        throw new VerificationError(`registering node ${s.id} via ${via}: expected 201, got ${res.status}: ${res.text.slice(0, 300)}`);
      }
      return { id: s.id, url: info.url, peer_url: peerUrl, registered: res.json };
    } catch (e) {
      if (!(e instanceof PollTimeout)) throw e;
      throw new VerificationError(`registering node ${s.id} via ${via}: still 503 after ${REGISTER_TIMEOUT_MS / 1000} s: ${last?.text.slice(0, 300) ?? ''}`);
    }
  },
};
