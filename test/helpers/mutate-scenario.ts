// Mutations of scenario files for the loader fuzz test: what a hurried author, a bad
// merge or a hostile file does to YAML. Every choice comes from the seeded generator,
// so a seed and an index reproduce a file exactly.

import { parseDocument, isMap, isSeq, isScalar, type Node, type Document } from 'yaml';
import type { Rng } from '../../src/engine/rng.js';

const DURATIONS = ['-5s', '0', '0s', '0ms', '30d', '50d', '24d', '25d', '99999999999999999999d', '1.5ms', '0.0000001ns', '1h30m', '10', 'banana', '5 s', ''];
const TIMES = ['2024-13-45T00:00:00Z', '2024-02-30', '2023-02-29T00:00:00Z', '2024-02-29T23:59:60Z', '9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z',
  '2262-04-11T23:47:16.854775807Z', '2262-04-11T23:47:16.854775808Z', '1677-09-21T00:12:43.145224192Z', '1677-09-21T00:12:43.145224191Z',
  '99999999999999999999', '-9223372036854775808', '9223372036854775807', 'T1 + 100000d', 'T1 - 1000000d', 'T9 + 1h', '2024-01-01T00:00:00+25:00'];
const NUMBERS = [0, -1, 1e308, -1e308, 2 ** 53 + 1, 2 ** 63, 1.5, 4294967297, 1e6 + 1, Number.MAX_SAFE_INTEGER];
const TEMPLATES = ['${T1 + 999999d | ns}', '${db | ns}', '${nope}', '${T1 | iso | ns}', '${', '${steps.x.y}', '${nodes}', '${T1.x}', '$${T1}'];
const NODE_IDS = ['a', 'b', 'z', 'random', 'e'];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return rng.pick(items);
}

/** Every map, list and scalar in the document, with the map or list holding it. */
function nodes(doc: Document): Array<{ node: Node; parent: Node | null }> {
  const out: Array<{ node: Node; parent: Node | null }> = [];
  const walk = (n: unknown, parent: Node | null, depth: number) => {
    if (!n || depth > 40) return;
    out.push({ node: n as Node, parent });
    if (isMap(n)) for (const p of n.items) walk(p.value, n, depth + 1);
    else if (isSeq(n)) for (const v of n.items) walk(v, n, depth + 1);
  };
  walk(doc.contents, null, 0);
  return out;
}

function randomValue(rng: Rng, doc: Document): unknown {
  switch (rng.int(8)) {
    case 0: return pick(rng, DURATIONS);
    case 1: return pick(rng, TIMES);
    case 2: return pick(rng, NUMBERS);
    case 3: return pick(rng, TEMPLATES);
    case 4: return pick(rng, [true, false, null, [], {}, 'x', [1, 2], { a: 1 }]);
    case 5: return pick(rng, NODE_IDS);
    case 6: { // deep nesting, written in flow style (block style would indent it quadratically)
      let v: unknown = 'deep';
      for (let i = rng.int(80); i > 0; i--) v = rng.int(2) ? [v] : { k: v };
      return v;
    }
    default: return doc.createNode(pick(rng, [{ int: '9223372036854775808' }, { uint: -1 }, { int: 2 ** 60 }, 'x'.repeat(rng.int(5000))]));
  }
}

/** One structural mutation on the YAML tree (delete, duplicate, swap, retype a value). */
function mutateTree(rng: Rng, text: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length) return text;
  const all = nodes(doc);
  if (all.length === 0) return text;
  const { node, parent } = pick(rng, all);
  const fresh = () => { const v = randomValue(rng, doc); return doc.createNode(v, { flow: typeof v === 'object' }); };
  const op = rng.int(5);
  if (isMap(node) && node.items.length) {
    const i = rng.int(node.items.length);
    if (op === 0) node.items.splice(i, 1); // delete a key
    else if (op === 1) { const j = rng.int(node.items.length); const a = node.items[i]!.value; node.items[i]!.value = node.items[j]!.value; node.items[j]!.value = a; } // swap values
    else if (op === 2) { const j = rng.int(node.items.length); const a = node.items[i]!.key; node.items[i]!.key = node.items[j]!.key; node.items[j]!.key = a; } // swap keys
    else node.items[i]!.value = fresh();
  } else if (isSeq(node) && node.items.length) {
    const i = rng.int(node.items.length);
    if (op === 0) node.items.splice(i, 1);
    else if (op === 1) node.items.push(node.items[i]!); // the same node twice: an alias on output
    else if (op === 2) node.items.splice(0, node.items.length, ...[...node.items].reverse());
    else node.items[i] = fresh();
  } else if (isScalar(node) && parent) {
    // Replaced in its parent: a scalar holding a map or list would print it in block style.
    if (isMap(parent)) { const pair = parent.items.find((p) => p.value === node); if (pair) pair.value = fresh(); }
    else if (isSeq(parent)) { const k = parent.items.indexOf(node); if (k >= 0) parent.items[k] = fresh(); }
  }
  try {
    return doc.toString({ lineWidth: 0 }); // no folding: deep flow collections would indent quadratically
  } catch {
    return text;
  }
}

/** One mutation on the text (lines, bytes, headers, hostile YAML). */
function mutateText(rng: Rng, text: string): string {
  const lines = text.split('\n');
  const i = rng.int(lines.length);
  const j = rng.int(lines.length);
  switch (rng.int(10)) {
    case 0: return text.slice(0, rng.int(text.length + 1)); // truncated
    case 1: { lines.splice(i, 0, lines[j]!); return lines.join('\n'); } // a duplicated line (and key)
    case 2: { lines.splice(i, 1); return lines.join('\n'); }
    case 3: { const a = lines[i]!; lines[i] = lines[j]!; lines[j] = a; return lines.join('\n'); }
    case 4: { // byte flips
      const b = Buffer.from(text);
      for (let k = rng.int(4) + 1; k > 0; k--) if (b.length) b[rng.int(b.length)] = rng.int(256);
      return b.toString('utf8');
    }
    case 5: { // a long comment header, with blank lines
      const header = Array.from({ length: 16 + rng.int(200) }, (_, k) => (k % 3 === 2 ? '' : `# licence line ${k}`)).join('\n');
      return `${header}\n${text}`;
    }
    case 6: { // an alias bomb
      const levels = Array.from({ length: 9 }, (_, k) => `x${k + 1}: &x${k + 1} [${Array(9).fill(`*x${k}`).join(', ')}]`);
      return `x0: &x0 [lol]\n${levels.join('\n')}\n${text}`;
    }
    case 7: { // a cycle or an unresolved alias
      return rng.int(2) ? text.replace(/^steps:/m, 'steps: &s') + '\n  - parallel: *s\n' : text.replace(/^name: .*$/m, 'name: *nope');
    }
    case 8: { // deep nesting inside a step
      const d = 20 + rng.int(3000);
      return `${text}\n  - admin: { path: x, body: ${'['.repeat(d)}${']'.repeat(d)} }\n`;
    }
    default: return `${text}\n${'  '.repeat(rng.int(4))}${pick(rng, ['timeout', 'wait', 'steps', 'anchors', 'name'])}: ${JSON.stringify(randomValue(rng, parseDocument('{}')))}\n`;
  }
}

/** A mutated copy of a scenario file: one to three mutations, tree or text. */
export function mutateScenario(rng: Rng, text: string): string {
  let out = text;
  for (let k = rng.int(3) + 1; k > 0; k--) out = rng.int(3) === 0 ? mutateText(rng, out) : mutateTree(rng, out);
  return out;
}
