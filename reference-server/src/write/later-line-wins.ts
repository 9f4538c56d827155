// Lines of one write body that share a row identity (measurement, tag set, time) all get the
// same write version, so the store could not tell which came last and would keep the larger
// value. InfluxDB keeps the later line: merge them here, before the batch is logged or sent,
// field by field with later lines overriding earlier ones. Every replica, hint and repair pull
// then carries the merged row, so every owner ends with the same, later, value.
import type { Point } from '../types.js';
import { seriesKey } from '../sharding/hash.js';
import { bugs } from '../bugs.js';

/** `points` with same-identity points merged (at the first one's position); `points` itself if none repeat. */
export function mergeSameIdentity(points: Point[]): Point[] {
  if (points.length < 2) return points;
  // Only points that share a timestamp can share an identity: a cheap pass over the times
  // spares building series keys for batches where every time is different.
  const perTime = new Map<bigint, number>();
  let shared = false;
  for (const p of points) {
    const n = perTime.get(p.time);
    perTime.set(p.time, n === undefined ? 1 : ((shared = true), n + 1));
  }
  if (!shared) return points;
  const first = new Map<string, number>(); // identity -> index in out
  const out: Point[] = [];
  let merged = false;
  for (const p of points) {
    if (perTime.get(p.time) === 1) {
      out.push(p);
      continue;
    }
    const id = seriesKey(p.measurement, p.tags) + '\u0000' + p.time;
    const at = first.get(id);
    if (at === undefined) {
      first.set(id, out.length);
      out.push(p);
      continue;
    }
    const earlier = out[at]!;
    // PLANTED BUG (bugs.ts): the earlier line's fields override the later's.
    out[at] = bugs.has('merge-keeps-earlier-line') ? { ...earlier, fields: { ...p.fields, ...earlier.fields } } : { ...earlier, fields: { ...earlier.fields, ...p.fields }, line: p.line };
    merged = true;
  }
  return merged ? out : points;
}
