// The HTTP server: auth, trace ids, catalog catch-up for peer requests, error bodies, metrics.
import http from 'node:http';
import crypto from 'node:crypto';
import { HttpError } from '../util/errors.js';
import type { ReferenceNode } from '../node.js';
import { Context } from './context.js';
import { Router } from './router.js';
import { dataPlaneRoutes } from './routes/data-plane.js';
import { clusterPlaneRoutes } from './routes/cluster-plane.js';
import { internalRoutes } from './routes/internal.js';

const OPEN_PATHS = new Set(['/health', '/ping']);

export function createHttpServer(node: ReferenceNode): http.Server {
  const router = new Router();
  dataPlaneRoutes(router, node);
  clusterPlaneRoutes(router, node);
  internalRoutes(router, node);

  const server = http.createServer((req, res) => {
    const traceId = headerString(req.headers['x-phantom-trace-id']) ?? crypto.randomUUID();
    // Peers forward whole client batches re-encoded as JSON (up to ~2x larger): give them room.
    const limit = req.url?.startsWith('/internal/') ? Math.max(4 * node.config.maxBodyBytes, 64 * 1024 * 1024) : node.config.maxBodyBytes;
    const ctx = new Context(req, res, traceId, limit);
    void handle(node, router, ctx);
  });
  server.keepAliveTimeout = 30_000;
  server.requestTimeout = 120_000;
  return server;
}

async function handle(node: ReferenceNode, router: Router, ctx: Context): Promise<void> {
  const pathname = ctx.url.pathname;
  const group = pathname.startsWith('/internal/') ? 'internal' : pathname.replace(/\/[^/]*\d[^/]*$/, '/:id');
  try {
    if (node.shuttingDown) throw new HttpError(503, `node ${node.config.nodeId} is shutting down`);
    if (node.config.token && !OPEN_PATHS.has(pathname)) authorize(ctx, node.config.token);
    const match = router.match(ctx.req.method ?? 'GET', pathname);
    if (match === undefined) throw new HttpError(404, `no such endpoint: ${ctx.req.method} ${pathname}`);
    if (match === 'method') throw new HttpError(405, `method ${ctx.req.method} not allowed on ${pathname}`);
    ctx.params = match.params;
    const peerVersion = Number(ctx.req.headers['x-phantom-catalog-version'] ?? 0);
    // A peer that knows a newer catalog may refer to shards we have not heard of yet.
    if (peerVersion > node.catalog.version && !pathname.startsWith('/internal/catalog/')) {
      await node.catalog.noteVersion(peerVersion, headerString(ctx.req.headers['x-phantom-node']));
    }
    await match.handler(ctx);
  } catch (err) {
    const e = toHttpError(err, node.config.nodeId);
    if (e.status >= 500) node.log.error({ path: pathname, trace_id: ctx.traceId, status: e.status, err: e.message }, 'request failed');
    if (!ctx.res.headersSent) {
      if (e.status === 413) ctx.res.setHeader('connection', 'close');
      ctx.sendJson(e.status, { error: e.message, ...e.body });
    }
  } finally {
    node.count.http({ path: group, status: String(ctx.res.statusCode) });
  }
}

function authorize(ctx: Context, token: string): void {
  const h = headerString(ctx.req.headers.authorization) ?? '';
  const m = /^(Bearer|Token)\s+(.+)$/i.exec(h.trim());
  const given = m?.[2] ?? '';
  const ok = given.length === token.length && crypto.timingSafeEqual(Buffer.from(given), Buffer.from(token));
  if (!ok) throw new HttpError(401, m ? 'invalid token' : 'missing token: send "Authorization: Bearer <token>"');
}

function headerString(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function toHttpError(err: unknown, nodeId: string): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOSPC' || /SQLITE_FULL|database or disk is full/i.test(String(e?.message))) {
    return new HttpError(507, `node ${nodeId}: disk full (${e.code ?? 'SQLITE_FULL'}); the write was not acknowledged`);
  }
  return new HttpError(500, e?.message ?? String(err));
}
