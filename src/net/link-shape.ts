// How a link is degraded, Toxiproxy style: a toxic attaches to a link and a direction, not to
// a host. On a directed link a→b (a calls b) `upstream` is what a sends (requests) and
// `downstream` what b answers (responses).

export type Direction = 'upstream' | 'downstream' | 'both';

/** What one direction of a link does to the bytes crossing it. */
export interface DirectionShape {
  /** Added to every chunk, in ms. */
  latencyMs: number;
  /** Each chunk's delay is latencyMs ± up to jitterMs (uniform, never below 0; order is kept). */
  jitterMs: number;
  /** Throughput cap in bytes per second; undefined: no cap. */
  bytesPerSecond?: number;
}

export interface ShapeSpec {
  latencyMs?: number;
  jitterMs?: number;
  bytesPerSecond?: number;
  /** Default: both. */
  direction?: Direction;
}

/** Validates a shape (a programming error, not a scenario's: scenarios are linted before). */
export function directionShape(spec: ShapeSpec): DirectionShape {
  const { latencyMs = 0, jitterMs = 0, bytesPerSecond } = spec;
  for (const [name, v] of [['latencyMs', latencyMs], ['jitterMs', jitterMs]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a finite number >= 0, not ${v}`);
  }
  if (bytesPerSecond !== undefined && !(Number.isFinite(bytesPerSecond) && bytesPerSecond >= 1)) {
    throw new RangeError(`bytesPerSecond must be a finite number >= 1, not ${bytesPerSecond}`);
  }
  return { latencyMs, jitterMs, bytesPerSecond };
}

export function appliesTo(direction: Direction | undefined, side: 'upstream' | 'downstream'): boolean {
  return direction === undefined || direction === 'both' || direction === side;
}
