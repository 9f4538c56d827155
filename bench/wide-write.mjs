// Wide writes (issue 6): one line that brings hundreds of new columns, sent through each node of
// a 3-node cluster, once into a table the write creates (replication 1) and once into a table
// declared with replication 3 and consistency all. Prints each write's status and wall time.
// Run: `npm run build && node bench/wide-write.mjs [columns]` (default 499: the most a table
// takes beside its time column).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './lib/free-ports.mjs';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../reference-server/dist/main.js');
const COLUMNS = Number(process.argv[2] ?? 499);


async function until(cond, what, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ids = ['a', 'b', 'c'];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'phantom-wide-'));
const ports = await freePorts(ids.length);
const peers = ids.map((id, i) => `${id}=http://127.0.0.1:${ports[i]}`).join(',');
const nodes = ids.map((id, i) => ({
  id,
  url: `http://127.0.0.1:${ports[i]}`,
  proc: spawn(process.execPath, [MAIN, '--node-id', id, '--http', `127.0.0.1:${ports[i]}`, '--data-dir', path.join(root, id), '--peers', peers], { stdio: 'ignore' }),
}));
const exits = [];
for (const n of nodes) n.proc.once('exit', (code) => exits.push(`${n.id} exited ${code}`));
try {
  for (const n of nodes) await until(async () => (await fetch(`${n.url}/health`)).status === 200, `${n.id} healthy`);
  for (const n of nodes) await until(async () => (await (await fetch(`${n.url}/api/v3/cluster/nodes`)).json()).catalog_version > 0, `${n.id} catalog`);

  const wideLine = (table, prefix) => {
    const tags = Array.from({ length: Math.floor(COLUMNS / 2) }, (_, i) => `${prefix}t${i}=v${i}`).join(',');
    const fields = Array.from({ length: COLUMNS - Math.floor(COLUMNS / 2) }, (_, i) => `${prefix}f${i}=${i}`).join(',');
    return { tagsAndFields: `${table},${tags} ${fields} 1700000000000000000`, fieldsOnly: `${table} ${Array.from({ length: COLUMNS }, (_, i) => `${prefix}f${i}=${i}`).join(',')} 1700000000000000000` };
  };
  const rows = [];
  const timed = async (label, via, db, line) => {
    const t0 = performance.now();
    const res = await fetch(`${via.url}/api/v3/write_lp?db=${db}`, { method: 'POST', body: line });
    const text = await res.text();
    rows.push({ label, via: via.id, status: res.status, ms: Math.round(performance.now() - t0), error: res.status === 204 ? '' : text.slice(0, 160) });
  };
  await fetch(`${nodes[0].url}/api/v3/configure/database`, { method: 'POST', body: JSON.stringify({ db: 'wide' }), headers: { 'content-type': 'application/json' } });
  for (const via of nodes) {
    // A table the write itself creates (replication 1: one owner, maybe not `via`).
    await timed(`${COLUMNS} new fields, new table, rf=1`, via, 'wide', wideLine(`auto_${via.id}`, 'x').fieldsOnly);
    await timed(`${COLUMNS} new tags+fields, new table, rf=1`, via, 'wide', wideLine(`mixed_${via.id}`, 'x').tagsAndFields);
    // A declared table, replicated to all three nodes, every replica must acknowledge.
    const r = await fetch(`${via.url}/api/v3/configure/table`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ db: 'wide', table: `rf3_${via.id}`, replication_factor: 3, consistency: 'all' }),
    });
    if (r.status !== 200) throw new Error(`configure/table: ${r.status} ${await r.text()}`);
    await timed(`${COLUMNS} new fields, declared table, rf=3 all`, via, 'wide', wideLine(`rf3_${via.id}`, 'y').fieldsOnly);
    // An existing table with 5,000 rows that gains the columns.
    const narrow = Array.from({ length: 5000 }, (_, i) => `grow_${via.id},host=h${i % 50} v=${i} ${1700000000000000000 + i}`).join('\n');
    await timed('5000 narrow rows, new table, rf=1', via, 'wide', narrow);
    await timed(`${COLUMNS - 2} new fields, table with 5000 rows, rf=1`, via, 'wide', wideLine(`grow_${via.id},host=h0`, 'z').fieldsOnly.replace(/,?zf0=0/, '').replace(/,zf1=1/, ''));
  }
  console.table(rows);
  const bad = rows.filter((r) => r.status !== 204);
  console.log(`${rows.length} wide writes: ${bad.length} not 204, slowest ${Math.max(...rows.map((r) => r.ms))} ms; node exits: ${exits.length ? exits.join(', ') : 'none'}`);
} finally {
  await Promise.all(nodes.map((n) => new Promise((r) => (n.proc.exitCode !== null ? r() : (n.proc.once('exit', r), n.proc.kill('SIGTERM'))))));
  fs.rmSync(root, { recursive: true, force: true });
}
