// The HTTP server: auth, trace ids, catalog catch-up for peer requests, error bodies, metrics.
import http from 'node:http';
import crypto from 'node:crypto';
import type { Duplex } from 'node:stream';
import { HttpError } from '../util/errors.js';
import type { NodeApi } from './node-api.js';
import { Context } from './context.js';
import { Router } from './router.js';
import { dataPlaneRoutes } from './routes/data-plane.js';
import { clusterPlaneRoutes } from './routes/cluster-plane.js';
import { internalRoutes } from './routes/internal.js';
import { migrationRoutes } from './routes/migrations.js';
import { raftRoutes } from './routes/raft.js';

const OPEN_PATHS = new Set(['/health', '/ping']);
/** How long a client request that arrives while the node starts waits for it. */
const START_WAIT_MS = 5000;

export function createHttpServer(node: NodeApi): http.Server {
  const router = new Router();
  dataPlaneRoutes(router, node);
  clusterPlaneRoutes(router, node);
  internalRoutes(router, node);
  migrationRoutes(router, node);
  raftRoutes(router, node);

  const server = http.createServer((req, res) => {
    const traceId = headerString(req.headers['x-phantom-trace-id']) ?? crypto.randomUUID();
    // Peers forward whole client batches re-encoded as JSON (up to ~2x larger): give them room.
    const limit = req.url?.startsWith('/internal/') ? Math.max(4 * node.config.maxBodyBytes, 64 * 1024 * 1024) : node.config.maxBodyBytes;
    const ctx = new Context(req, res, traceId, limit);
    void handle(node, router, ctx);
  });
  // Requests Node's HTTP parser rejects (bad method, header or framing) never reach `handle`.
  server.on('clientError', answerMalformed);
  server.keepAliveTimeout = 30_000;
  server.requestTimeout = 120_000;
  return server;
}

async function handle(node: NodeApi, router: Router, ctx: Context): Promise<void> {
  let pathname = ctx.req.url ?? '';
  let group = 'invalid';
  try {
    pathname = ctx.url.pathname; // a 400 for a target that is neither a path nor a URL
    group = pathname.startsWith('/internal/') ? 'internal' : pathname.replace(/\/[^/]*\d[^/]*$/, '/:id');
    if (node.shuttingDown) throw new HttpError(503, `node ${node.config.nodeId} is shutting down`);
    if (node.config.token && !OPEN_PATHS.has(pathname)) authorize(ctx, node.config.token);
    const match = router.match(ctx.req.method ?? 'GET', pathname);
    if (match === undefined) throw new HttpError(404, `no such endpoint: ${ctx.req.method} ${pathname}`);
    if (match === 'method') throw new HttpError(405, `method ${ctx.req.method} not allowed on ${pathname}`);
    ctx.params = match.params;
    if (!node.started.isOpen && !servedWhileStarting(pathname) && !(await node.started.wait(START_WAIT_MS))) {
      throw new HttpError(503, `node ${node.config.nodeId} is starting (${node.startPhase}); retry shortly`);
    }
    const peerVersion = Number(ctx.req.headers['x-phantom-catalog-version'] ?? 0);
    // A peer that knows a newer catalog may refer to shards we have not heard of yet.
    if (peerVersion > node.catalog.version && !pathname.startsWith('/internal/catalog/')) {
      await node.catalog.noteVersion(peerVersion, headerString(ctx.req.headers['x-phantom-node']));
    }
    // A client's catalog read (the cluster plane, the database list) sees every change committed
    // before it arrived, also on a follower: the follower catches up to the leader's commit first.
    if (ctx.req.method === 'GET' && readsCatalog(pathname)) await node.catalog.sync();
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
  // Compared as bytes: a header's latin1 characters may encode to more bytes than they count.
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  const ok = a.length === b.length && crypto.timingSafeEqual(a, b);
  if (!ok) throw new HttpError(401, m ? 'invalid token' : 'missing token: send "Authorization: Bearer <token>"');
}

/** Client reads answered from the catalog (not GET raft: it shows this node's own view). */
function readsCatalog(pathname: string): boolean {
  return pathname === '/api/v3/configure/database' || (pathname.startsWith('/api/v3/cluster/') && pathname !== '/api/v3/cluster/raft');
}

/** Paths a starting node answers at once: probes, metrics, and peers joining the catalog with it. */
function servedWhileStarting(pathname: string): boolean {
  return OPEN_PATHS.has(pathname) || pathname === '/metrics' || pathname.startsWith('/internal/');
}

/** A request the HTTP parser refused: say why in the usual JSON error body, then close. */
function answerMalformed(err: Error & { code?: string }, socket: Duplex): void {
  // As Node's default handler: never write into a response already under way on this socket.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify({ error: `malformed HTTP request: ${err.message}${err.code ? ` (${err.code})` : ''}` });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
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
