// expect_catalog's `raft:` part: what one node's `GET /api/v3/cluster/raft` says about
// the catalog's consensus (leader, role, term, voters, members).

import type { RaftExpect } from '../../scenario/types.js';
import { partialMismatch } from '../../verifiers/partial.js';
import { VerificationError } from '../errors.js';

type Obj = Record<string, unknown>;

/** The raft state of `node` must match `want`; throws a VerificationError naming the first difference. */
export function checkRaft(node: string, want: RaftExpect, got: Obj): void {
  const fail = (what: string) => { throw new VerificationError(`raft state via ${node}: ${what}`, { expected: want, actual: got }); };
  const leader = got.leader ?? null;
  if (want.leader === 'any' && leader === null) fail(`no leader is known (role ${String(got.role)}, term ${String(got.term)})`);
  else if (want.leader === 'none' && leader !== null) fail(`expected no leader, but ${String(leader)} leads (term ${String(got.term)})`);
  else if (want.leader !== undefined && want.leader !== 'any' && want.leader !== 'none' && leader !== want.leader) {
    fail(`expected leader ${want.leader}, got ${leader === null ? 'none' : String(leader)} (term ${String(got.term)})`);
  }
  if (want.role !== undefined && got.role !== want.role) fail(`expected role ${want.role}, got ${String(got.role)}`);
  const term = (key: 'term_at_least' | 'term_above') => {
    const n = Number(want[key]);
    if (!Number.isSafeInteger(n)) throw new VerificationError(`raft.${key}: ${JSON.stringify(want[key])} is not an integer`);
    return n;
  };
  if (want.term_at_least !== undefined && !(typeof got.term === 'number' && got.term >= term('term_at_least'))) {
    fail(`expected term at least ${term('term_at_least')}, got ${String(got.term)}`);
  }
  if (want.term_above !== undefined && !(typeof got.term === 'number' && got.term > term('term_above'))) {
    fail(`expected a term above ${term('term_above')} (a new election), got ${String(got.term)}`);
  }
  if (want.voters !== undefined) {
    const voters = Array.isArray(got.voters) ? (got.voters as unknown[]).map(String).sort() : [];
    const expected = [...want.voters].sort();
    if (voters.join(',') !== expected.join(',')) fail(`expected voters [${expected.join(', ')}], got [${voters.join(', ')}]`);
  }
  const members = Array.isArray(got.members) ? (got.members as Obj[]) : [];
  for (const m of want.members ?? []) {
    const found = members.find((x) => x.id === m.id);
    if (!found) fail(`member ${String(m.id)} is not listed (members: ${members.map((x) => String(x.id)).join(', ') || 'none'})`);
    const diff = partialMismatch(m, found);
    if (diff) fail(`member ${String(m.id)} differs at ${diff.replace('$', 'member')}`);
  }
}
