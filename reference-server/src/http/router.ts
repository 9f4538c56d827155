// Method + path-pattern routing (`/api/v3/cluster/nodes/:id`), nothing more.
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
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const p = r.parts[i]!;
        if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(parts[i]!);
        else ok = p === parts[i];
      }
      if (!ok) continue;
      pathMatched = true;
      if (r.method === method) return { handler: r.handler, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}
