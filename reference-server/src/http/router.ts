// Method + path-pattern routing (`/api/v3/cluster/nodes/:id`), nothing more.
import { HttpError } from '../util/errors.js';
import type { Context } from './context.js';

export type Handler = (ctx: Context) => Promise<void> | void;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

export class Router {
  private routes: Route[] = [];

  on(methods: string | string[], pattern: string, handler: Handler): this {
    for (const method of Array.isArray(methods) ? methods : [methods]) {
      this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler });
    }
    return this;
  }

  /** The handler and path params, or 'method' when the path exists under another method. */
  match(method: string, pathname: string): { handler: Handler; params: Record<string, string> } | 'method' | undefined {
    const parts = pathname.split('/').filter(Boolean);
    let pathMatched = false;
    for (const r of this.routes) {
      if (r.parts.length !== parts.length) continue;
      if (!r.parts.every((p, i) => p.startsWith(':') || p === parts[i])) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      // Decoded only once the route matched, so a bad escape elsewhere is still a plain 404.
      const params: Record<string, string> = {};
      r.parts.forEach((p, i) => {
        if (p.startsWith(':')) params[p.slice(1)] = decodeSegment(parts[i]!);
      });
      return { handler: r.handler, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `path segment '${segment}' has a malformed % escape`);
  }
}
