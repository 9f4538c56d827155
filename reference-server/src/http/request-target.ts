// The request target of an HTTP request line, parsed without ever throwing anything but a 400:
// a node must survive any bytes a client puts there, before it even checks the token.
import { HttpError } from '../util/errors.js';

const BASE = 'http://localhost';

/**
 * Origin form (`/api/v3/write_lp?db=x`) is the usual target; absolute form (`http://host/path`)
 * is accepted too, as HTTP/1.1 requires. Origin form is appended to a fixed base rather than
 * resolved against it, so `//a:99999/` stays a path instead of naming a host.
 */
export function parseRequestTarget(raw: string): URL {
  let url: URL | undefined;
  try {
    if (raw.startsWith('/')) url = new URL(BASE + raw);
    else if (/^https?:\/\//i.test(raw)) url = new URL(raw);
  } catch {
    throw new HttpError(400, `invalid request target '${shorten(raw)}': it is not a valid URL`);
  }
  if (!url) throw new HttpError(400, `invalid request target '${shorten(raw)}': expected a path such as /api/v3/query_sql`);
  return url;
}

function shorten(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}
