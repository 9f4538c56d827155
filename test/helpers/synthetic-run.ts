// A run folder written by hand (journal.json + history.jsonl), for report tests that need a
// known history: `ops` operations spread over nodes a and b, a kill and a start of b and a
// partition of a from b and its heal (fault operations as the engine records them: no node,
// their targets in the value), one operation that never completed, and a failed step with a diff.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DIFF = '--- expected\n+++ actual\n- {n: 2}\n+ {n: 1}';

export function writeSyntheticRun(dir: string, ops: number): { invokes: number } {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const wall0 = Date.parse('2026-01-01T00:00:00Z');
  const lines: string[] = [];
  let index = 0;
  const entry = (type: string, f: string, node: string | null, step: string, time: number, invoke?: number, extra: object = {}) => {
    lines.push(JSON.stringify({ index, scenario: 'known history', invoke_index: invoke ?? index, time_ms: time, wall: new Date(wall0 + time).toISOString(), type, f, node, step, ...extra }));
    return index++;
  };
  let invokes = 0;
  const op = (f: string, node: string | null, step: string, t: number, outcome: string | null, extra: object = {}) => {
    invokes++;
    const inv = entry('invoke', f, node, step, t);
    if (outcome) entry(outcome, f, node, step, t + 2, inv, extra);
  };
  op('start_cluster', null, 'setup.0', 0, 'ok');
  op('kill', null, '1', 10, 'ok', { value: ['b'] });
  for (let i = 0; i < ops - 6; i++) {
    const t = 20 + (i * 1000) / Math.max(1, ops);
    op(i % 3 ? 'write' : 'query', i % 2 ? 'a' : 'b', '1', t, i % 2 ? 'ok' : i % 4 ? 'fail' : 'info', i % 2 ? { value: { rows: i } } : { error: 'connect ECONNREFUSED' });
  }
  op('start', null, '1', 1030, 'ok', { value: ['b'] });
  op('partition', null, '1', 1032, 'ok', { value: [['a', 'b'], ['b', 'a']] });
  op('heal', null, '1', 1036, 'ok', { value: [['a', 'b'], ['b', 'a']] });
  op('query', 'a', '2', 1040, null); // never completed: the run was cut short
  writeFileSync(join(dir, 'history.jsonl'), lines.join('\n') + '\n');
  for (const n of ['a', 'b']) writeFileSync(join(dir, 'logs', `${n}.log`), `{"node_id":"${n}","msg":"started"}\n`);
  const step = (path: string, label: string, start: number, ms: number, extra: object = {}) => ({
    path, kind: 'query', label, depth: 0, status: 'passed', verifies: true, started_at: new Date(wall0 + start).toISOString(), duration_ms: ms, overhead_ms: 0, where: `known.yaml:${4 + Number(path)}:5`, ...extra,
  });
  writeFileSync(join(dir, 'journal.json'), JSON.stringify({
    format: 'phantom-test/journal', version: 1, tool: { name: 'phantom-test', version: '0.0.0', node: 'v20' },
    run_id: 'synthetic', seed: 7, driver: 'process', argv: ['run', 'known.yaml', '--seed', '3'], started_at: new Date(wall0).toISOString(),
    finished_at: new Date(wall0 + 1100).toISOString(), duration_ms: 1100, verdict: 'failed', exit_code: 1, files: ['known.yaml'],
    scenarios: [{
      file: 'known.yaml', name: 'known history', seed: 9, verdict: 'failed', started_at: new Date(wall0).toISOString(), duration_ms: 1100, ready_ms: 5,
      error: { type: 'verification', message: 'rows differ', where: 'known.yaml:6:5', diff: DIFF }, resolved: {},
      setup: [{ ...step('0', 'start 2 nodes', 0, 5), path: 'setup.0', kind: 'cluster', verifies: false, where: undefined }],
      steps: [step('0', 'write', 6, 2), step('1', 'workload', 10, 1025), step('2', 'count is 2', 1040, 5, { status: 'failed', error: { type: 'verification', message: 'rows differ', where: 'known.yaml:6:5', diff: DIFF, expected: [{ n: 2 }], actual: [{ n: 1 }] } })],
      teardown: { duration_ms: 1, problems: [], kept: false },
      nodes: [{ id: 'a', url: '', port: 0, state: 'running', log: join(dir, 'logs', 'a.log') }, { id: 'b', url: '', port: 0, state: 'running', log: join(dir, 'logs', 'b.log') }],
      history_count: index,
    }],
  }, null, 2));
  return { invokes };
}
