/** Timers that stop early when the bench is interrupted (Ctrl-C). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(interrupted(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(interrupted(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function interrupted(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('interrupted');
}

/** Polls `check` every `everyMs` until it returns a value, or fails with `describe()` after `timeoutMs`. */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  opts: { everyMs: number; timeoutMs: number; signal?: AbortSignal; describe: () => Promise<string> },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)} s: ${await opts.describe()}`);
    }
    await sleep(opts.everyMs, opts.signal);
  }
}
