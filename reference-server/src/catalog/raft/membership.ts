// Membership changes, decided by the leader one voter at a time (Raft dissertation, 4.1): any
// majority of the old voter set and of the new one share a node, so two leaders can never be
// elected in one term across the change. Nodes enter through the catalog: POST nodes adds one
// as Joining; the leader replicates to it as a learner and, once it has caught up, makes it a
// voter, then Active. A Decommissioned or removed node leaves the voter set.
import type { CatalogState } from '../state.js';

export type MembershipChange =
  | { kind: 'add_voter'; id: string }
  | { kind: 'remove_voter'; id: string }
  /** A voter whose catalog status still says Joining: it has caught up, say so. */
  | { kind: 'activate'; id: string };

/** Statuses of nodes that should vote (once caught up); Decommissioned nodes never do. */
const VOTING_STATUSES = new Set(['Joining', 'Active', 'Inactive', 'Draining', 'Down']);

/**
 * The next change the leader should make, if any. `caughtUp(id)`: the learner's match index
 * has reached the commit index. Removals first (a smaller cluster needs fewer acks), and never
 * the leader itself (it steps down when Decommissioned; the next leader removes it).
 */
export function nextMembershipChange(voters: readonly string[], state: CatalogState, selfId: string, caughtUp: (id: string) => boolean): MembershipChange | undefined {
  if (state.version === 0) return undefined;
  for (const id of voters) {
    if (id === selfId) continue;
    const node = state.nodes[id];
    if (!node || !VOTING_STATUSES.has(node.status)) return { kind: 'remove_voter', id };
  }
  for (const node of Object.values(state.nodes).sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (voters.includes(node.id)) continue;
    if (node.status === 'Joining' || node.status === 'Active') {
      if (caughtUp(node.id)) return { kind: 'add_voter', id: node.id };
    }
  }
  for (const id of voters) if (state.nodes[id]?.status === 'Joining') return { kind: 'activate', id };
  return undefined;
}

/** Majority of `voters` (a strict one: more than half). */
export function quorum(voters: readonly string[]): number {
  return Math.floor(voters.length / 2) + 1;
}
