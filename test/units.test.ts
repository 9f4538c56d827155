// The small pieces on their own: durations, times, templates, the seeded
// generator, line protocol, row and body matching, JUnit output.
import t from 'tap';
import { MAX_TIMER_MS, durationMs, parseDurationNs, readDuration, timerMs } from '../src/scenario/duration.js';
import { evalTimeExpr, formatTimestamp, parseTimestamp } from '../src/scenario/time.js';
import { Instant, renderString, render, parseTemplate } from '../src/scenario/template.js';
import { Rng } from '../src/engine/rng.js';
import { pointToLine, pointToRow, generatePoints } from '../src/engine/points.js';
import { checkRows } from '../src/verifiers/rows.js';
import { partialMismatch } from '../src/verifiers/partial.js';
import { showRow, valuesEqual } from '../src/verifiers/values.js';
import { parseJsonExact } from '../src/verifiers/exact-json.js';
import { parseCsv } from '../src/verifiers/golden.js';
import { junitXml } from '../src/reporters/junit.js';
import { VerificationError } from '../src/engine/errors.js';

t.test('durations', async (t) => {
  t.equal(durationMs('500ms', 0), 500);
  t.equal(durationMs('1m30s', 0), 90_000);
  t.equal(durationMs('1.5s', 0), 1500);
  t.equal(parseDurationNs('1d'), 86_400_000_000_000n);
  t.equal(parseDurationNs('10us'), 10_000n);
  t.equal(parseDurationNs('5'), undefined);
  t.equal(parseDurationNs('soon'), undefined);
  t.equal(parseDurationNs('1h 2m'), undefined);
});

t.test('durations are read for their use, the same way by validate and run', async (t) => {
  t.same(readDuration('24d', 'timeout'), { ns: 24n * 86_400_000_000_000n }, '24d is the longest wait');
  t.match(readDuration('25d', 'timeout'), { error: /too long: the runner waits at most 24d/ }, 'longer than a timer honours');
  t.match(readDuration('30d', 'pause'), { error: /too long/ });
  t.match(readDuration('0s', 'timeout'), { error: /zero: a timeout must be longer than 0/ });
  t.match(readDuration('0ms', 'interval'), { error: /zero: an interval/ });
  t.same(readDuration('0', 'pause'), { ns: 0n }, 'a zero wait is allowed');
  t.same(readDuration('400d', 'spacing'), { ns: 400n * 86_400_000_000_000n }, 'data time is not waited for');
  t.match(readDuration('-5s', 'timeout'), { error: /not negative/ });
  t.match(readDuration(5, 'timeout'), { error: /not a duration/ });
  t.throws(() => durationMs('50d', 0), /too long/, 'run throws the message validate prints');
  t.equal(timerMs(2 * MAX_TIMER_MS), MAX_TIMER_MS, 'a sum of durations is capped for timers');
});

t.test('timestamps are real dates in int64 nanoseconds', async (t) => {
  t.equal(parseTimestamp('2024-13-45T00:00:00Z'), undefined, 'not rolled over into 2025');
  t.equal(parseTimestamp('2023-02-29'), undefined);
  t.ok(parseTimestamp('2024-02-29'), 'a leap day');
  t.equal(parseTimestamp('2024-01-01T24:00:00Z'), undefined);
  t.equal(parseTimestamp('0050-01-01T00:00:00Z'), undefined, 'out of range, not read as 1950');
  t.equal(parseTimestamp('2262-04-11T23:47:16.854775807Z'), 2n ** 63n - 1n);
  t.equal(parseTimestamp('2262-04-11T23:47:16.854775808Z'), undefined);
  t.equal(parseTimestamp('1677-09-21T00:12:43.145224192Z'), -(2n ** 63n));
  t.equal(parseTimestamp('1969-12-31T23:59:59Z'), -1_000_000_000n, 'before the epoch');
  t.match(evalTimeExpr('2024-01-01T00:00:00Z + 100000d', () => undefined), { message: /outside what int64 nanoseconds hold/ });
  t.match(evalTimeExpr('99999999999999999999', () => undefined), { message: /outside what int64/ });
  t.match(evalTimeExpr(2 ** 60, () => undefined), { message: /beyond 2\^53/ });
});

t.test('timestamps and time expressions', async (t) => {
  const t1 = parseTimestamp('2024-01-01T00:00:00Z')!;
  t.equal(t1, 1_704_067_200_000_000_000n);
  t.equal(parseTimestamp('2024-01-01T00:00:00'), t1, 'no zone means UTC, as query results print it');
  t.equal(parseTimestamp('2024-01-01T01:00:00+01:00'), t1);
  t.equal(parseTimestamp('2024-01-01T00:00:00.000000123Z'), t1 + 123n);
  t.equal(formatTimestamp(t1 + 1_500_000_000n), '2024-01-01T00:00:01.5Z');
  const lookup = (n: string) => (n === 'T1' ? t1 : undefined);
  t.equal(evalTimeExpr('T1 + 1h - 30m', lookup), t1 + 1_800_000_000_000n);
  t.equal(evalTimeExpr(42, lookup), 42n);
  t.same(evalTimeExpr('T9 + 1h', lookup), { message: 'unknown anchor "T9"' });
  t.match(evalTimeExpr('T1 + 1q', lookup), { message: /not a duration/ });
});

t.test('templates', async (t) => {
  const values: Record<string, unknown> = { T1: new Instant(1_704_067_200_000_000_000n), host: 'h-1', n: 5, obj: { a: [{ b: 'deep' }] } };
  const resolve = (path: string[]) => {
    let v: unknown = values[path[0]!];
    for (const p of path.slice(1)) v = (v as Record<string, unknown>)?.[p];
    return v === undefined ? { found: false as const, message: 'nope' } : { found: true as const, value: v };
  };
  t.equal(renderString('${T1}', resolve), '2024-01-01T00:00:00Z');
  t.equal(renderString('${T1 + 1h | ns}', resolve), '1704070800000000000');
  t.equal(renderString('${T1 + 1d | s}', resolve), '1704153600');
  t.equal(renderString('${n}', resolve), 5, 'a lone template keeps its type');
  t.equal(renderString('n=${n}, host=${host | upper}', resolve), 'n=5, host=H-1');
  t.equal(renderString('${obj.a.0.b}', resolve), 'deep');
  t.equal(renderString('$${literal}', resolve), '${literal}');
  t.same(render({ x: ['${host}'] }, resolve), { x: ['h-1'] });
  t.throws(() => renderString('${missing}', resolve), /missing/);
  t.throws(() => renderString('${host + 1h}', resolve), /only times/);
  const errors: string[] = [];
  parseTemplate('${a | bogus}', errors);
  t.match(errors[0], /unknown filter "bogus"/);
});

t.test('the seeded generator is reproducible', async (t) => {
  const a = new Rng(7);
  const b = new Rng(7);
  const xs = Array.from({ length: 5 }, () => a.next());
  t.same(Array.from({ length: 5 }, () => b.next()), xs);
  t.not(new Rng(8).next(), new Rng(7).next());
  t.equal(new Rng(7).derive('x').seed, new Rng(7).derive('x').seed);
  t.not(new Rng(7).derive('x').seed, new Rng(7).derive('y').seed);
  const r = new Rng(1);
  const ints = Array.from({ length: 1000 }, () => r.int(3));
  t.same([...new Set(ints)].sort(), [0, 1, 2], 'int(3) covers 0..2 and nothing else');
  t.same(generatePoints({ table: 'g', count: 3, start: 0 }, 0n, 1n, new Rng(3)), generatePoints({ table: 'g', count: 3, start: 0 }, 0n, 1n, new Rng(3)));
});

t.test('points to line protocol and rows', async (t) => {
  const p = { table: 'my cpu', tags: { z: 'a b', host: 'h,1' }, fields: { u: 1.5, n: { int: 3 }, s: 'say "hi"', ok: true }, time: 0 };
  t.equal(pointToLine(p, 5n), 'my\\ cpu,host=h\\,1,z=a\\ b u=1.5,n=3i,s="say \\"hi\\"",ok=true 5');
  t.same(pointToRow(p, 1_704_067_200_000_000_000n), { z: 'a b', host: 'h,1', u: 1.5, n: 3, s: 'say "hi"', ok: true, time: '2024-01-01T00:00:00Z' });
  const plain = { table: 'm', fields: { i: 5, u: 7, f: 2, x: 1.5 }, time: 0 };
  t.equal(pointToLine(plain, 1n), 'm i=5,u=7,f=2,x=1.5 1', 'undeclared numbers are floats');
  t.equal(pointToLine(plain, 1n, { i: 'integer', u: 'uinteger', f: 'float', x: 'integer' }), 'm i=5i,u=7u,f=2,x=1.5 1', 'whole numbers follow the declared field type');
});

t.test('row expectations', async (t) => {
  const rows = [{ host: 'a', time: '2024-01-01T00:00:00', v: 1.0001 }, { host: 'b', time: '2024-01-01T00:00:01', v: 2 }];
  t.doesNotThrow(() => checkRows(rows, { rows: [{ host: 'a', time: '2024-01-01T00:00:00Z', v: 1.0001 }, { host: 'b', time: '2024-01-01T00:00:01Z', v: 2 }] }));
  t.doesNotThrow(() => checkRows(rows, { rows: [rows[1]!, rows[0]!], ordered: false }));
  t.doesNotThrow(() => checkRows(rows, { contains: [{ v: 1 }], tolerance: 0.001, excludes: [{ host: 'c' }], count: 2, columns: ['v', 'host', 'time'] }));
  const e = (() => { try { checkRows(rows, { rows: [rows[1]!, rows[0]!] }); } catch (x) { return x; } })() as VerificationError;
  t.type(e, VerificationError);
  t.equal(e.detail.diff, [
    '--- expected', '+++ actual',
    '+ {host: "a", time: "2024-01-01T00:00:00Z", v: 1.0001}',
    '  {host: "b", time: "2024-01-01T00:00:01Z", v: 2}',
    '- {host: "a", time: "2024-01-01T00:00:00Z", v: 1.0001}',
  ].join('\n'), 'the diff shows the moved row on both sides');
  t.throws(() => checkRows(rows, { count: 3 }), /expected 3 row\(s\), got 2/);
  t.throws(() => checkRows(rows, { contains: [{ v: 1 }] }), /no row matches/);
  t.throws(() => checkRows(rows, { excludes: [{ host: 'a' }] }), /must be absent/);
  t.throws(() => checkRows(rows, { columns: ['host'] }), /expected columns/);
  t.throws(() => checkRows(rows, { rows: [rows[0]!], ordered: false }), /0 missing, 1 unexpected/);
  t.ok(valuesEqual('10', '10.0', 'used'), 'numbers in CSV compare as numbers');
  t.same(parseCsv('a,b\n1,"x,""y"""\n'), [{ a: '1', b: 'x,"y"' }]);
});

t.test('integers beyond 2^53 compare exactly', async (t) => {
  const big = parseJsonExact('[{"i":9007199254740993,"u":18446744073709551615,"f":1.5,"s":2}]') as Array<Record<string, unknown>>;
  t.same(big, [{ i: 9007199254740993n, u: 18446744073709551615n, f: 1.5, s: 2 }], 'unsafe integers parse as bigint, the rest as numbers');
  t.notOk(valuesEqual(9007199254740992n, big[0]!.i, 'i'), 'bigint against bigint');
  t.notOk(valuesEqual(9007199254740992, big[0]!.i, 'i'), 'a double does not pass for a larger int64');
  t.ok(valuesEqual(9007199254740993n, big[0]!.i, 'i'));
  t.notOk(valuesEqual(9007199254740992n, '9007199254740993', 'i'), 'csv text compares exactly');
  t.notOk(valuesEqual('18446744073709551614', '18446744073709551615', 'u'), 'text against text compares exactly');
  t.ok(valuesEqual('18446744073709551615', 18446744073709551615n, 'u'));
  t.ok(valuesEqual(9007199254740992n, 9007199254740993n, 'i', { tolerance: 1 }), 'a tolerance still applies');
  t.ok(valuesEqual(2, 2.0, 'v') && valuesEqual(1, 1.0005, 'v', { tolerance: 0.001 }), 'floats unchanged');
  t.equal(showRow({ i: 9007199254740993n }), '{i: 9007199254740993}', 'a diff shows the digits');
});

t.test('partial matching of bodies', async (t) => {
  const body = { nodes: [{ id: 'a', status: 'Active', url: 'u' }], extra: 1 };
  t.equal(partialMismatch({ nodes: [{ id: 'a' }] }, body), undefined);
  t.equal(partialMismatch({ nodes: [{ id: 'b' }] }, body), '$.nodes[0].id: expected "b", got "a"');
  t.match(partialMismatch({ nodes: [] }, body), /expected 0 item/);
});

t.test('junit xml escapes and counts', async (t) => {
  const step = { path: '0', kind: 'query', label: 'q <1>', depth: 0, status: 'failed' as const, verifies: true, started_at: 'x', duration_ms: 12, overhead_ms: 0, error: { type: 'verification' as const, message: 'bad "rows" & more\u0001', diff: '- a\n+ b' } };
  const xml = junitXml({
    run: { run_id: 'r', seed: 1, driver: 'process', started_at: 'x', report_dir: null, files: ['f.yaml'], argv: [] },
    tests: [{ info: { file: 'f.yaml', name: 'S', seed: 2, index: 0 }, verdict: 'failed', started_at: '2026-01-01T00:00:00.000Z', duration_ms: 50, ready_ms: 10, setup: [], steps: [step], teardown: { duration_ms: 1, problems: [], kept: false }, error: step.error, nodes: [], resolved: {}, history_count: 0 }],
    not_run: [], exit_code: 1, verdict: 'failed', finished_at: 'x', duration_ms: 60,
  });
  t.match(xml, /<testsuites name="phantom-test" tests="2" failures="1" errors="0"/, 'one failed check is one failure');
  t.match(xml, /<testsuite name="f.yaml" file="f.yaml" tests="2" failures="1"/);
  t.match(xml, /name="step 0: q &lt;1&gt;"/);
  t.match(xml, /message="bad &quot;rows&quot; &amp; more"/);
  t.notMatch(xml, /\u0001/);
});
