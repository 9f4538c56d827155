/** An error that maps to an HTTP status and an InfluxDB-style JSON body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra body fields (InfluxDB puts per-line errors in `data`). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const badRequest = (msg: string, body?: Record<string, unknown>) => new HttpError(400, msg, body);
export const notFound = (msg: string) => new HttpError(404, msg);
export const conflict = (msg: string) => new HttpError(409, msg);
export const unavailable = (msg: string, body?: Record<string, unknown>) => new HttpError(503, msg, body);
