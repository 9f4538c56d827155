// The workload step against a real reference cluster: a set workload that the set
// checker passes; faults beside it (a paused node, a killed one) give info and fail
// operations that are recorded and do not end the step, and the final reads wait until
// the fault branch is done; the rate limit holds, counted from the history.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, sandbox } from './helpers.js';

interface Op { index: number; type: string; invoke_index: number; f: string; node: string | null; step: string; time_ms: number; value?: any; error?: string }

const TABLE = `
cluster: { nodes: [a, b, c] }
databases:
  db1:
    tables:
      events:
        tags: [key]
        fields: { value: integer }
        replication_factor: 3
        consistency: quorum
        shards:
          ALL: { time: all, hash: all, nodes: [a, b, c] }
`;

const history = (out: string): Op[] => readFileSync(join(out, 'latest', 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const journal = (out: string) => JSON.parse(readFileSync(join(out, 'latest', 'journal.json'), 'utf8'));

t.test('a set workload on a healthy cluster: every op recorded with its point, final reads from every node, set passes', async (t) => {
  const sb = sandbox(t);
  const r = await cli(['run', 'scenarios/workload-set.yaml', '--out', sb.out, '--seed', '7'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  t.match(r.stdout, /check set: valid: \d+ acknowledged point\(s\): 0 lost, 0 unexpected, 0 duplicated/);
  t.match(r.stdout, /four clients add unique points for 10 s: \d+ ops\/s, ok \d+, fail 0, info 0/, 'CI gets progress lines');
  const ops = history(sb.out).filter((o) => o.step === '0');
  const writes = ops.filter((o) => o.f === 'write' && o.type === 'invoke');
  t.ok(writes.length > 50, `${writes.length} writes`);
  const times = new Set(writes.map((w) => `${w.value.points[0].tags.key}@${w.value.points[0].time}`));
  t.equal(times.size, writes.length, 'every set write sends a point of its own');
  t.same(new Set(writes.map((w) => w.node)), new Set(['a', 'b', 'c']), 'clients spread over the nodes');
  const finals = ops.filter((o) => o.type === 'invoke' && o.value?.read?.final);
  t.same(finals.map((o) => o.node).sort(), ['a', 'b', 'c'], 'one final read per node');
  t.ok(finals.every((o) => o.value.read.complete && o.value.read.table === 'events'));
  const out = journal(sb.out).scenarios[0].steps[0].output;
  t.equal(out.ops.ok, writes.length);
  t.same(out.final.rows, { a: writes.length, b: writes.length, c: writes.length });
});

t.test('a paused then killed node beside the workload: info and fail ops, the step goes on, final reads after the fault branch', async (t) => {
  const sb = sandbox(t);
  const dir = t.testdir({
    's.yaml': `name: workload beside faults\n${TABLE}
steps:
  - parallel:
      - workload: { table: events, kind: set, clients: 4, rate: 40, duration: 3s, op_timeout: 300ms }
      - - wait: 500ms
        - fault: { pause: b }
        - wait: 1s
        - fault: { resume: b }
        - fault: { kill: c }
        - wait: 3s
        - fault: { start: c }
check: [set]
`,
  });
  const r = await cli(['run', join(dir, 's.yaml'), '--out', sb.out, '--seed', '3'], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  t.match(r.stdout, /check set: valid: \d+ acknowledged point\(s\): 0 lost/);
  const ops = history(sb.out);
  const done = (o: Op) => o.type !== 'invoke' && o.step === '0.0.0';
  const timedOut = ops.filter((o) => done(o) && o.node === 'b' && o.f === 'write' && o.type === 'info');
  t.ok(timedOut.length > 0, `writes to the paused node are info (${timedOut.length})`);
  t.match(timedOut[0]!.error, /timed out/);
  const refused = ops.filter((o) => done(o) && o.node === 'c' && o.f === 'write' && o.type === 'fail' && /refused/.test(o.error ?? ''));
  t.ok(refused.length > 0, `writes to the killed node are fail: connection refused (${refused.length})`);
  const out = journal(sb.out).scenarios[0].steps[0].children.find((c: any) => c.path === '0.0.0').output;
  t.ok(out.ops.info >= timedOut.length && out.ops.fail >= refused.length && out.ops.ok > 0, JSON.stringify(out.ops));
  const started = ops.find((o) => o.f === 'start' && o.type !== 'invoke');
  const finals = ops.filter((o) => o.type === 'invoke' && o.value?.read?.final);
  t.ok(started, 'the fault branch restarted c');
  t.same(finals.map((o) => o.node).sort(), ['a', 'b', 'c'], 'the final reads include the restarted node');
  t.ok(finals.every((o) => o.time_ms > started!.time_ms), 'the final reads begin after the fault branch ended');
});

t.test('the rate limit holds: ops per second counted from the history', async (t) => {
  const sb = sandbox(t);
  const dir = t.testdir({
    's.yaml': `name: rate\n${TABLE}\nsteps:\n  - workload: { table: events, kind: set, clients: 8, rate: 20, duration: 4s }\ncheck: [set]\n`,
  });
  const r = await cli(['run', join(dir, 's.yaml'), '--out', sb.out], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  const invokes = history(sb.out).filter((o) => o.step === '0' && o.f === 'write' && o.type === 'invoke');
  const t0 = invokes[0]!.time_ms;
  const perSecond = [0, 0, 0, 0, 0];
  for (const o of invokes) perSecond[Math.min(4, Math.floor((o.time_ms - t0) / 1000))]!++;
  // 8 clients could start far more; the bucket allows 20 a second (one in hand at the start).
  for (const [s, n] of perSecond.slice(0, 4).entries()) t.ok(n <= 22, `second ${s}: ${n} ops (at most 20, +2 for the token in hand and timer slack)`);
  t.ok(invokes.length <= 82, `${invokes.length} ops in 4 s at 20/s`);
  t.ok(invokes.length >= 40, `${invokes.length} ops: the limit is a ceiling, not a stall`);
});

t.test('ops bounds a workload without duration; unlimited rate', async (t) => {
  const sb = sandbox(t);
  const dir = t.testdir({
    's.yaml': `name: ops\n${TABLE}\nsteps:\n  - workload: { table: events, kind: overwrite, keys: 3, clients: 3, rate: unlimited, ops: 60 }\ncheck: [overwrite]\n`,
  });
  const r = await cli(['run', join(dir, 's.yaml'), '--out', sb.out], { env: sb.env });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  const writes = history(sb.out).filter((o) => o.step === '0' && o.f === 'write' && o.type === 'invoke');
  t.equal(writes.length, 60, 'exactly ops operations');
  t.equal(new Set(writes.map((w) => w.value.points[0].tags.key)).size, 3, 'overwrite rewrites keys identities');
  const values = writes.map((w) => w.value.points[0].fields.value);
  t.same(values, [...values].sort((a, b) => a - b), 'with increasing values');
  t.match(r.stdout, /check overwrite: valid: 3 identities checked/);
});
