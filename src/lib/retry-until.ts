import type { Clock } from '../domain/clock';

export interface RetryUntilOptions {
  readonly clock: Clock;
  /** Wait before try `n` (1-based). */
  readonly delayMs: (n: number) => number;
  /** Ends the loop (between tries or during a wait): the result is then `undefined`. */
  readonly signal: AbortSignal;
  /** Told of every failed try and the wait before the next. */
  readonly onFailure?: (err: unknown, n: number, nextDelayMs: number) => void;
}

/**
 * Calls `attempt` until it resolves, waiting `delayMs(n)` before try n, for as long as `signal` is not
 * aborted. There is no try limit: the caller decides when to give up, by aborting.
 */
export async function retryUntil<T>(
  attempt: (n: number) => Promise<T>,
  opts: RetryUntilOptions,
): Promise<T | undefined> {
  let delay = opts.delayMs(1);
  for (let n = 1; ; n++) {
    if (!(await wait(opts.clock, delay, opts.signal))) return undefined;
    try {
      return await attempt(n);
    } catch (err) {
      if (opts.signal.aborted) return undefined;
      delay = opts.delayMs(n + 1);
      opts.onFailure?.(err, n, delay);
    }
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function wait(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      timer.clear();
      resolve(false);
    };
    const timer = clock.setTimer(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
