// GET /api/v3/cluster/raft: this node's view of the catalog's Raft (role, term, leader, commit
// index, voters, and each member's match and next index as the leader tracks them).
import type { NodeApi } from '../node-api.js';
import type { Router } from '../router.js';

export function raftRoutes(r: Router, node: NodeApi): void {
  r.on('GET', '/api/v3/cluster/raft', (ctx) => ctx.sendJson(200, node.catalog.raftStatus()));
}
