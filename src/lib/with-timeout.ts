import type { Clock, Timer } from './clock.js';

/** A call that did not settle within its bound; the caller treats it as failed. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Runs `work` with a signal that aborts after `ms` on `clock` (or when `outer` aborts), and settles by
 * then whatever `work` does: a call that ignores its signal cannot hold the caller up. Rejects with a
 * {@link TimeoutError} naming `what` when the time is up, or with `outer`'s reason.
 */
export function withTimeout<T>(
  clock: Clock,
  ms: number,
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  let timer: Timer | undefined;
  let onOuter: (() => void) | undefined;
  const bound = new Promise<never>((_, reject) => {
    const give = (reason: unknown) => {
      controller.abort(reason);
      reject(reason instanceof Error ? reason : new Error(String(reason)));
    };
    if (outer?.aborted) return give(outer.reason);
    onOuter = () => give(outer?.reason);
    outer?.addEventListener('abort', onOuter, { once: true });
    timer = clock.setTimer(() => give(new TimeoutError(`${what} timed out after ${ms} ms`)), ms);
  });
  // Async, so a call that throws at once rejects like one that fails later.
  const working = (async () => work(controller.signal))();
  return Promise.race([working, bound]).finally(() => {
    timer?.clear();
    if (onOuter) outer?.removeEventListener('abort', onOuter);
  });
}

/** Waits for `promise` at most `ms` on `clock`; true when it settled in time (a rejection counts). */
export async function settlesWithin(clock: Clock, ms: number, promise: Promise<unknown>): Promise<boolean> {
  let timer: Timer | undefined;
  const expired = new Promise<false>((resolve) => (timer = clock.setTimer(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      expired,
    ]);
  } finally {
    timer?.clear();
  }
}
