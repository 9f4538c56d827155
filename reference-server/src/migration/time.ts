// Timestamps of migration history entries: RFC3339 with milliseconds, UTC.
export function rfc3339Ms(ms = Date.now()): string {
  return new Date(ms).toISOString();
}
