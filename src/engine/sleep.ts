// A sleep that ends early when the signal fires.

import { InterruptedError } from './errors.js';

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new InterruptedError());
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal!.reason instanceof Error ? signal!.reason : new InterruptedError()); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
