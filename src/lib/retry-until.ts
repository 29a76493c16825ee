import type { Clock } from './clock.js';

export interface RetryUntilOptions {
  readonly clock: Clock;
  /** Wait before try `n` (1-based). */
  readonly delayMs: (n: number) => number;
  /** Ends the loop (between tries or during a wait): the result is then `undefined`. */
  readonly signal: AbortSignal;
  /** Told of every failed try and the wait before the next. */
  readonly onFailure?: (err: unknown, n: number, nextDelayMs: number) => void;
}

/** A try still running when the loop was aborted: its value, should it come, is the caller's to dispose of. */
export interface Late<T> {
  readonly discard?: (value: T) => void;
}

/**
 * Calls `attempt` until it resolves, waiting `delayMs(n)` before try n, for as long as `signal` is not
 * aborted. There is no try limit: the caller decides when to give up, by aborting.
 */
export async function retryUntil<T>(
  attempt: (n: number) => Promise<T>,
  opts: RetryUntilOptions & Late<T>,
): Promise<T | undefined> {
  let delay = opts.delayMs(1);
  for (let n = 1; ; n++) {
    if (!(await wait(opts.clock, delay, opts.signal))) return undefined;
    const trying = attempt(n);
    const stop = whenAborted(opts.signal);
    try {
      // An abort does not wait for a slow try: a stop must not hang on a silent peer.
      const result = await Promise.race([trying, stop.promise]);
      if (result === ABORTED) {
        trying.then(
          (late) => opts.discard?.(late),
          () => undefined,
        );
        return undefined;
      }
      return result;
    } catch (err) {
      if (opts.signal.aborted) return undefined;
      delay = opts.delayMs(n + 1);
      opts.onFailure?.(err, n, delay);
    } finally {
      stop.dispose();
    }
  }
}

const ABORTED = Symbol('aborted');

/** Resolves ABORTED when `signal` aborts; `dispose` removes its listener (one try each, many tries). */
function whenAborted(signal: AbortSignal): { promise: Promise<typeof ABORTED>; dispose(): void } {
  let onAbort = () => undefined as void;
  const promise = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED);
    if (signal.aborted) resolve(ABORTED);
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
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
