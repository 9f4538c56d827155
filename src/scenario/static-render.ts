// The templates whose values are known before any cluster starts: variables, anchors
// and the scenario's name. validate and the run's preparation render these to check
// what they turn into (a time, a number); anything else (picks, nodes, shards, step
// outputs, the seed, the run id) is only known at run time and is left alone.

import { Instant, TemplateError, parseTemplate, render, type Resolver } from './template.js';
import type { ScenarioDoc } from './types.js';

class NotStatic extends Error {}

export function staticResolver(doc: ScenarioDoc, anchors: ReadonlyMap<string, bigint>): Resolver {
  const visiting = new Set<string>();
  const resolve: Resolver = (path) => {
    const [root, ...rest] = path as [string, ...string[]];
    let value: unknown;
    if (root === 'scenario') value = doc.name;
    else if (anchors.has(root)) value = new Instant(anchors.get(root)!);
    else if (doc.vars && Object.hasOwn(doc.vars, root)) {
      if (visiting.has(root)) throw new TemplateError(`variable "${root}" refers to itself`);
      visiting.add(root);
      try { value = render(doc.vars[root], resolve); } finally { visiting.delete(root); }
    } else throw new NotStatic();
    for (const seg of rest) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, seg)) return { found: false, message: `no "${seg}" in ${JSON.stringify(value)?.slice(0, 200)}` };
      value = (value as Record<string, unknown>)[seg];
    }
    return { found: true, value };
  };
  return resolve;
}

/**
 * A value with its static templates rendered; undefined when it depends on the run.
 * A template that cannot render (unknown key, offsets on a non-time) throws TemplateError.
 */
export function renderStatic(value: unknown, resolve: Resolver): { value: unknown } | undefined {
  try {
    return { value: render(value, resolve) };
  } catch (e) {
    if (e instanceof NotStatic) return undefined;
    throw e;
  }
}

/** The first names (roots) a string's templates use; malformed templates use none. */
export function templateRoots(text: string): string[] {
  return parseTemplate(text, []).flatMap((s) => ('expr' in s ? [s.expr.path[0]!] : []));
}
