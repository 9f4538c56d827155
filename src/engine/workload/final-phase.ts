// The workload's final phase: read the whole table back from every running node, marked
// `final` for the set and overwrite checkers. Replicas may still be catching up (hints,
// anti-entropy after a heal), so it first reads every node until they all return the
// same rows or final_timeout passes; those settling reads are ordinary reads. Then one
// round of final reads. If the nodes never agree, the final reads say what they hold and
// the checkers judge it.

import type { Row } from '../../verifiers/rows.js';
import { sleep } from '../sleep.js';
import { readTable, type OpResult, type Target } from './operations.js';

export interface FinalPhase {
  nodes: string[];
  /** Rounds of settling reads before the final one. */
  settle_rounds: number;
  /** Whether every node returned the same rows before the final reads. */
  agreed: boolean;
  /** Rows each node's final read returned (null: it failed). */
  rows: Record<string, number | null>;
  duration_ms: number;
}

export async function finalPhase(t: Target, nodes: string[], timeoutMs: number, onRound: (n: number) => void): Promise<FinalPhase> {
  const t0 = performance.now();
  let rounds = 0;
  let agreed = false;
  while (true) {
    rounds++;
    onRound(rounds);
    const round = await Promise.all(nodes.map((n) => readTable(t, n)));
    if (agree(round)) { agreed = true; break; }
    if (performance.now() - t0 >= timeoutMs) break;
    await sleep(Math.min(500, 100 * rounds), t.signal);
  }
  const finals = await Promise.all(nodes.map((n) => readTable(t, n, { final: true })));
  return {
    nodes, settle_rounds: rounds, agreed,
    rows: Object.fromEntries(nodes.map((n, i) => [n, finals[i]!.rows?.length ?? null])),
    duration_ms: Math.round(performance.now() - t0),
  };
}

/** Every read succeeded and returned the same rows (in any order, columns in any order). */
function agree(round: OpResult[]): boolean {
  if (round.some((r) => !r.rows)) return false;
  const first = canonical(round[0]!.rows!);
  return round.every((r) => canonical(r.rows!) === first);
}

function canonical(rows: Row[]): string {
  return rows
    .map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]), (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)))
    .sort()
    .join('\n');
}
