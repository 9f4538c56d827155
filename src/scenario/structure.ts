// Checks the YAML tree before it becomes data: aliases that name no anchor, aliases
// inside their own anchor (a cycle: the data would contain itself), alias bombs (a few
// lines that expand to millions of nodes) and nesting too deep to walk. Each comes back
// with the node it is about, so the loader can say where; nothing here recurses deeper
// than MAX_DEPTH.

import { isAlias, isCollection, isPair, type Alias, type Document, type Node } from 'yaml';

/** Deeper than any real scenario (about 12 levels), far below what would exhaust the stack. */
export const MAX_DEPTH = 64;
/** Nodes that aliases may add on top of the file's own: bombs expand to millions. */
export const MAX_ALIAS_NODES = 10_000;

export interface StructureProblem {
  /** The node to point at: its range starts where the problem is. */
  node: Node;
  message: string;
}

function children(node: unknown): unknown[] {
  if (!isCollection(node)) return [];
  const out: unknown[] = [];
  for (const item of node.items) {
    if (isPair(item)) out.push(item.key, item.value);
    else out.push(item);
  }
  return out;
}

const contains = (outer: Node, inner: Node) =>
  !!outer.range && !!inner.range && outer.range[0] <= inner.range[0] && inner.range[1] <= outer.range[1];

/** The first problem found, in document order of the kinds above; undefined when the tree is fine. */
export function checkStructure(doc: Document): StructureProblem | undefined {
  // 1. Nesting, without recursion: the tree as written.
  const aliases: Alias[] = [];
  const stack: Array<[unknown, number]> = [[doc.contents, 1]];
  let own = 0;
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || node === undefined) continue;
    own++;
    if (depth > MAX_DEPTH) return { node: node as Node, message: `nested more than ${MAX_DEPTH} levels deep` };
    if (isAlias(node)) aliases.push(node);
    for (const c of children(node).reverse()) stack.push([c, depth + 1]);
  }
  aliases.sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0));

  // 2. Each alias names an anchor defined before it, and not one it sits inside.
  for (const alias of aliases) {
    const target = alias.resolve(doc);
    if (!target) return { node: alias, message: `alias *${alias.source} has no anchor: define &${alias.source} above it` };
    if (contains(target, alias)) return { node: alias, message: `alias *${alias.source} is inside its own anchor &${alias.source}: the value would contain itself` };
  }

  // 3. What the aliases expand to: depth and size, memoized per anchored node.
  const measured = new Map<unknown, { height: number; size: number }>();
  let tooDeep: Node | undefined;
  const measure = (node: unknown, depth: number): { height: number; size: number } => {
    if (node === null || node === undefined) return { height: 0, size: 0 };
    const known = measured.get(node);
    if (known) return known;
    if (depth > MAX_DEPTH) { tooDeep ??= node as Node; return { height: 1, size: 1 }; }
    let r: { height: number; size: number };
    if (isAlias(node)) {
      const t = measure(node.resolve(doc), depth);
      if (depth + t.height - 1 > MAX_DEPTH) tooDeep ??= node;
      r = { height: t.height, size: t.size };
    } else {
      r = { height: 1, size: 1 };
      for (const c of children(node)) {
        const m = measure(c, depth + 1);
        r.height = Math.max(r.height, m.height + 1);
        r.size = Math.min(r.size + m.size, Number.MAX_SAFE_INTEGER);
      }
    }
    measured.set(node, r);
    return r;
  };
  const total = measure(doc.contents, 1);
  if (tooDeep) return { node: tooDeep, message: `nested more than ${MAX_DEPTH} levels deep once aliases are expanded` };
  if (total.size - own > MAX_ALIAS_NODES) {
    const biggest = aliases.reduce((a, b) => ((measured.get(b)?.size ?? 0) > (measured.get(a)?.size ?? 0) ? b : a));
    return { node: biggest, message: `aliases expand this file by ${total.size - own} values (at most ${MAX_ALIAS_NODES}): an alias bomb? This is the largest alias` };
  }
  return undefined;
}
