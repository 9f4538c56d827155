// One HTTP exchange: parsed URL, lazily read body (size-limited, gzip-aware), trace id, replies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { HttpError } from '../util/errors.js';
import { parseWithBigInt } from '../util/json.js';
import { parseRequestTarget } from './request-target.js';
import { parseJsonObject, type JsonObject } from './json-body.js';

export class Context {
  params: Record<string, string> = {};
  private bodyCache?: Promise<Buffer>;
  private parsedUrl?: URL;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly traceId: string,
    private readonly maxBody: number,
  ) {}

  /** The request target; throws a 400 HttpError for one that is not a valid path or URL. */
  get url(): URL {
    this.parsedUrl ??= parseRequestTarget(this.req.url ?? '/');
    return this.parsedUrl;
  }

  get query(): URLSearchParams {
    return this.url.searchParams;
  }

  body(): Promise<Buffer> {
    this.bodyCache ??= new Promise<Buffer>((resolve, reject) => {
      const declared = Number(this.req.headers['content-length'] ?? 0);
      if (declared > this.maxBody) return reject(tooLarge(this.maxBody));
      const chunks: Buffer[] = [];
      let size = 0;
      this.req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > this.maxBody) {
          reject(tooLarge(this.maxBody));
          this.req.removeAllListeners('data');
          this.req.resume();
          return;
        }
        chunks.push(c);
      });
      this.req.on('end', () => {
        let buf = Buffer.concat(chunks);
        if (/gzip/i.test(String(this.req.headers['content-encoding'] ?? ''))) {
          try {
            buf = gunzipSync(buf, { maxOutputLength: this.maxBody });
          } catch (err) {
            return reject(new HttpError((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 413 : 400, `invalid gzip body: ${(err as Error).message}`));
          }
        }
        resolve(buf);
      });
      // The client went away mid-body (or broke the framing): its fault, not a server error.
      this.req.on('error', (err) => reject(new HttpError(400, `request body incomplete: ${err.message} after ${size} bytes`)));
    });
    return this.bodyCache;
  }

  async text(): Promise<string> {
    return (await this.body()).toString('utf8');
  }

  /** The body as a JSON object ({} when empty); a 400 for anything else. Read fields with json-body's readers. */
  async json(): Promise<JsonObject> {
    return parseJsonObject(await this.text());
  }

  /** Same, for peer bodies that carry 64-bit integers as {"$n": "..."}. */
  async jsonWithBigInt(): Promise<JsonObject> {
    return parseJsonObject(await this.text(), parseWithBigInt);
  }

  send(status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
    this.res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-phantom-trace-id': this.traceId });
    this.res.end(body);
  }

  sendJson(status: number, value: unknown): void {
    this.send(status, JSON.stringify(value), 'application/json');
  }

  noContent(): void {
    this.res.writeHead(204, { 'x-phantom-trace-id': this.traceId });
    this.res.end();
  }
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, `request body is too large: the limit is ${max} bytes`);
}
