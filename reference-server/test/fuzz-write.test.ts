// A seeded, time-bounded fuzz test of the write path against a real 3-node cluster: mutated
// line-protocol bodies (byte flips, truncation, duplicated and removed separators, bad escapes,
// huge numbers, many fields and tags, repeated identities, bad precision, accept_partial,
// consistency and no_sync parameters, invalid UTF-8) sent to every write API. It holds that
// bad input never gets a 5xx, no node exits or quarantines a WAL record, and a rejected write
// stores nothing: a sample of bodies goes to a fresh database whose stored rows (shard row
// counts) must be exactly the distinct row identities of the lines the answer says were
// accepted (none when rejected).
//
//   PHANTOM_FUZZ_SEED=123 npx tap reference-server/test/fuzz-write.test.ts   (reproduce a seed)
//   PHANTOM_FUZZ_COUNT=5000 PHANTOM_FUZZ_BUDGET_MS=60000                     (more, bounded)
import t from 'tap';
import { fuzzSettings } from './helpers/fuzz-settings.js';
import { TestCluster } from './helpers/cluster.js';
import { createTable } from './helpers/layout.js';
import { parseLineProtocol, parsePrecision } from '../src/lineprotocol/parse.js';
import { seriesKey } from '../src/sharding/hash.js';

const { seed: SEED, count: BODIES, budgetMs: DEADLINE_MS } = fuzzSettings({ seed: 3, count: 3000, budgetMs: 0 });
const CONCURRENCY = 4;
const VERIFY_EVERY = 20; // one body in 20 goes to a fresh database and is checked row by row

/** mulberry32: small, fast, seedable. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof rng>;

const VALID = [
  'cpu,host=a,region=eu usage=1.5,idle=90i,up=true 1700000000000000000',
  'cpu,host=b usage=-2e3,label="x y",count=7u 1700000000',
  'mem,host=a free=1024i,used=2.5',
  'rep,host=h1 v=1,w="s" 1700000000123',
  'disk,path=/var\\ log,dev=sda1 used_percent=12.5,inodes=300u 1700000001000000000',
  'weather,city=S\\,F temp=18.5,desc="sunny \\"warm\\"",ok=f 1700000002',
  'm\\ eas\\,ure,t\\=k=v\\ al f=1 1',
  'events msg="line\\\\nbreak",n=-9223372036854775808i 0',
  '# a comment',
  '',
  'cpu,host=c usage=3 1700000003000',
];
const TRICKY = [' ', ',', '=', '"', '\\', '\n', '\r', '\t', '#', 'i', 'u', 't', 'f', '.', '-', '+', 'e', 'E', '0', '9', '\u0000', 'é', '💥', '\u2028'];
const HUGE = ['99999999999999999999', '9223372036854775808i', '-9223372036854775809i', '18446744073709551616u', '1e400', '-1e400', '0.' + '9'.repeat(400), '1'.repeat(300), '9223372036854775807', '-9223372036854775808'];
const PRECISIONS = ['auto', 'ns', 's', 'ms', 'us', 'n', 'u', 'second', 'fortnight', '', 'NS', 'h', 'm', '\u0000', 's&x=1'];

function wideLine(r: Rng): string {
  const tags = r.chance(0.5) ? ',' + Array.from({ length: 1 + r.int(300) }, (_, i) => `t${i}=v${r.int(5)}`).join(',') : '';
  const fields = Array.from({ length: 1 + r.int(620) }, (_, i) => `f${i}=${r.pick(['1', '1i', '2u', '"s"', 't'])}`).join(',');
  return `${r.pick(['wide', 'cpu', 'rep', 'w' + r.int(50)])}${tags} ${fields} ${1700000000 + r.int(1000)}`;
}

function mutate(r: Rng, body: string): string {
  let s = body;
  const at = () => r.int(s.length + 1);
  for (let n = 1 + r.int(3); n > 0; n--) {
    switch (r.int(10)) {
      case 0: { // flip a character
        const i = at();
        s = s.slice(0, i) + r.pick(TRICKY) + s.slice(i + 1);
        break;
      }
      case 1: // truncate
        s = s.slice(0, at());
        break;
      case 2: { // duplicate a separator
        const i = s.search(/[ ,=]/);
        if (i >= 0) s = s.slice(0, i) + s[i] + s.slice(i);
        break;
      }
      case 3: { // remove a separator
        const seps = [...s.matchAll(/[ ,=]/g)].map((m) => m.index!);
        if (seps.length) {
          const i = r.pick(seps);
          s = s.slice(0, i) + s.slice(i + 1);
        }
        break;
      }
      case 4: { // a bad escape
        const i = at();
        s = s.slice(0, i) + r.pick(['\\', '\\\\', '\\"', '\\ ', '\\\n']) + s.slice(i);
        break;
      }
      case 5: // a huge number in place of a value or timestamp
        s = s.replace(/-?\d+(\.\d+)?[iu]?/, () => r.pick(HUGE));
        break;
      case 6: // the same identity again, with another value
        s += '\n' + s.split('\n')[0]!.replace(/=(-?[\d.]+)(?=[ ,]|$)/, `=${r.int(100)}`);
        break;
      case 7: // many fields and tags
        s += '\n' + wideLine(r);
        break;
      case 8: // lines joined or swapped
        s = r.chance(0.5) ? s.replace('\n', ' ') : s.split('\n').reverse().join('\n');
        break;
      default: // a random valid line added
        s += '\n' + r.pick(VALID);
    }
  }
  return s;
}

interface Probe {
  k: number;
  api: 'v3' | 'v2' | 'v1';
  db: string;
  precision: string | null;
  acceptPartial: string | null;
  extra: Record<string, string>;
  body: Buffer;
  verify: boolean;
}

function makeProbe(r: Rng, k: number): Probe {
  const lines = Array.from({ length: 1 + r.int(6) }, () => r.pick(VALID)).join('\n');
  let text = r.chance(0.05) ? wideLine(r) : r.chance(0.9) ? mutate(r, lines) : lines;
  if (r.chance(0.02)) text = '';
  let body = Buffer.from(text, 'utf8');
  if (r.chance(0.05) && body.length > 0) {
    body = Buffer.from(body); // raw bytes: invalid UTF-8 too
    body[r.int(body.length)] = r.pick([0xff, 0xc3, 0x80, 0x00, 0xfe]);
  }
  const api = r.pick(['v3', 'v3', 'v3', 'v3', 'v2', 'v1'] as const);
  const verify = k % VERIFY_EVERY === 0;
  const db = verify ? `fzv${k}` : r.chance(0.01) ? r.pick(['bad db', '-x', 'é', 'a'.repeat(200)]) : `fz${r.int(3)}`;
  return {
    k, api, db, body, verify,
    precision: r.chance(0.3) ? r.pick(PRECISIONS) : null,
    acceptPartial: api !== 'v3' || r.chance(0.4) ? null : r.pick(['true', 'false', 'false', 'yes', '']),
    extra: r.chance(0.1) ? { [r.pick(['consistency', 'no_sync'])]: r.pick(['one', 'quorum', 'all', 'bogus', 'true', 'false', '']) } : {},
  };
}

function url(p: Probe): string {
  const q = new URLSearchParams();
  const path = p.api === 'v3' ? '/api/v3/write_lp' : p.api === 'v2' ? '/api/v2/write' : '/write';
  q.set(p.api === 'v2' ? 'bucket' : 'db', p.db);
  if (p.precision !== null) q.set('precision', p.precision);
  if (p.acceptPartial !== null) q.set('accept_partial', p.acceptPartial);
  for (const [k, v] of Object.entries(p.extra)) q.set(k, v);
  return `${path}?${q}`;
}

/** Distinct row identities of the lines a write stored, as the server parses them. */
function expectedRows(p: Probe, errorLines: Set<number>): number {
  const precision = parsePrecision(p.api, p.precision);
  const parsed = parseLineProtocol(p.body.toString('utf8'), { precision, defaultTime: 1_700_000_000_000_000_000n });
  const ids = new Set<string>();
  for (const pt of parsed.points) if (!errorLines.has(pt.line)) ids.add(seriesKey(pt.measurement, pt.tags) + '\u0000' + pt.time);
  return ids.size;
}

const c = await TestCluster.start();
t.teardown(() => c.teardown());

t.test(`fuzzed write bodies (seed ${SEED}): no 5xx, no node exit, rejected writes store nothing`, async (t) => {
  t.comment(`seed ${SEED}: reproduce with PHANTOM_FUZZ_SEED=${SEED}`);
  for (let i = 0; i < 3; i++) {
    await createTable(c, 'a', { db: `fz${i}`, table: 'rep', tags: ['host'], fields: [{ name: 'v', type: 'float64' }], replication_factor: 3, consistency: 'quorum' });
  }
  const r = rng(SEED);
  const probes = Array.from({ length: BODIES }, (_, k) => makeProbe(r, k));
  const failures: string[] = [];
  const fail = (p: Probe, what: string) => {
    if (failures.length < 20) failures.push(`seed ${SEED} body #${p.k} ${p.api} ${url(p)}: ${what}\n  body: ${JSON.stringify(p.body.toString('utf8').slice(0, 300))}`);
  };
  const statuses = new Map<number, number>();
  const ids = ['a', 'b', 'c'];
  const began = Date.now();
  const deadline = began + DEADLINE_MS;
  let sent = 0;
  let verified = 0;

  const run = async (p: Probe) => {
    const via = ids[p.k % 3]!;
    let status: number;
    let text: string;
    try {
      const res = await fetch(c.url(via) + url(p), { method: 'POST', body: new Uint8Array(p.body) });
      status = res.status;
      text = await res.text();
    } catch (err) {
      return fail(p, `request failed: ${(err as Error).message}`);
    }
    sent++;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status >= 500) return fail(p, `${status} ${text.slice(0, 300)}`);
    if (![204, 400, 404, 413].includes(status)) return fail(p, `unexpected ${status} ${text.slice(0, 300)}`);
    if (!p.verify || status === 404) return;
    verified++;
    const allOrNothing = p.api !== 'v3' || p.acceptPartial === 'false';
    let want = 0;
    if (status === 204) want = expectedRows(p, new Set());
    else if (!allOrNothing) {
      // A partial write lists its rejected lines; a 400 without that list refused the request.
      const data = JSON.parse(text).data as Array<{ line_number: number }> | undefined;
      want = Array.isArray(data) ? expectedRows(p, new Set(data.map((e) => e.line_number))) : 0;
    }
    const shards = await c.json(via, 'GET', `/api/v3/cluster/shards?db=${encodeURIComponent(p.db)}`);
    let stored = 0;
    for (const s of shards.body.shards ?? []) {
      const sum = await c.json(via, 'GET', `/api/v3/cluster/shards/${s.id}/checksum`);
      if (!sum.body.consistent) fail(p, `replicas of shard ${s.id} disagree: ${JSON.stringify(sum.body.replicas)}`);
      stored += Math.max(...sum.body.replicas.map((x: { row_count?: number }) => x.row_count ?? 0));
    }
    if (stored !== want) fail(p, `${status}: ${stored} rows stored, ${want} expected; answer ${text.slice(0, 300)}`);
  };

  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < probes.length && Date.now() < deadline) await run(probes[next++]!);
    }),
  );

  for (const id of ids) {
    const n = c.node(id);
    if (n.proc?.exitCode !== null || n.proc?.signalCode !== null) failures.push(`node ${id} exited (${n.proc?.exitCode ?? n.proc?.signalCode}):\n${n.log.slice(-10).join('\n')}`);
    else if ((await c.request(id, 'GET', '/health')).status !== 200) failures.push(`node ${id} is not healthy`);
  }
  t.comment(`seed ${SEED}: ${sent} bodies sent (${verified} verified row by row) in ${Date.now() - began} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  t.same(failures, [], `seed ${SEED}: every bad body got a 4xx and stored nothing; no node exited`);
  t.ok(sent >= Math.min(BODIES, 500), `seed ${SEED}: ${sent} bodies sent before the deadline`);

  // Every node restarts on its data dir: no WAL record it cannot replay.
  for (const id of ids) {
    await c.restart(id);
    t.notOk(c.node(id).log.some((l) => l.includes('QUARANTINED')), `seed ${SEED}: ${id} replayed its WAL cleanly`);
  }
});
