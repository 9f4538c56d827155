// `expect: {unreachable: ...}` on a query or write: the request must get no HTTP answer at
// all (the node is cut off from the runner, or down), and the client-side error must say
// so ("connection reset", "connection refused", "timed out"). Seed 004's "all nodes
// offline": the client fails cleanly rather than hanging or getting an answer.

import type { HttpResult } from '../client.js';
import { InterruptedError, VerificationError } from '../errors.js';

export async function expectUnreachable(what: string, want: string, call: () => Promise<HttpResult>, signal: AbortSignal): Promise<string> {
  let res: HttpResult;
  try {
    res = await call();
  } catch (e) {
    if (signal.aborted || e instanceof InterruptedError) throw e;
    const message = (e as Error).message;
    if (!message.includes(want)) throw new VerificationError(`${what}: failed without an answer, but not with "${want}"`, { expected: want, actual: message });
    return message;
  }
  throw new VerificationError(`${what}: expected no answer (${want}), got status ${res.status}`, { expected: `unreachable: ${want}`, actual: { status: res.status, body: res.text.slice(0, 500) } });
}
