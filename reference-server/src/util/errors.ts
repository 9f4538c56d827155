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
