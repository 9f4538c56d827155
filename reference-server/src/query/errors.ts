/**
 * Error type of the query layer. `status` is the HTTP status the coordinator should answer with:
 * 400 for bad SQL, unknown tables/columns and unsupported constructs, 404 for an unknown database,
 * 500 for internal failures.
 */
export class QueryError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'QueryError';
    this.status = status;
  }
}

/** 400 for a construct this SQL layer deliberately does not implement. */
export function unsupported(what: string): QueryError {
  return new QueryError(400, `unsupported SQL: ${what}`);
}

export function badQuery(message: string): QueryError {
  return new QueryError(400, message);
}
