import { DeadlineError } from './errors.js';

/**
 * The time an attempt's deadline reads: lib/clock's Clock fits it (declared here, as domain/ imports
 * nothing from outside domain/).
 */
export interface DeadlineClock {
  now(): number;
  setTimer(fn: () => void, ms: number): { clear(): void };
}

/** Why an attempt's AbortSignal fired. */
export type AbortReason = 'deadline' | 'shutdown';

export class AttemptAborted extends Error {
  override readonly name = 'AttemptAborted';
  constructor(readonly reason: AbortReason) {
    super(`attempt aborted: ${reason}`);
  }
}

export type AttemptOutcome<T> =
  | { readonly kind: 'ok'; readonly value: T; readonly durationMs: number }
  | { readonly kind: 'error'; readonly error: unknown; readonly durationMs: number };

export interface DeadlineOptions {
  readonly softMs: number;
  readonly hardMs: number;
  /** Called once if the handler settles after the hard deadline gave up on it. */
  readonly onLateSettle?: (outcome: AttemptOutcome<unknown>) => void;
  /** Called when the hard deadline abandons a handler that is still running. */
  readonly onAbandon?: () => void;
}

/**
 * Runs `handler` under a two-stage deadline: at `softMs` its signal aborts with reason `deadline`;
 * at `hardMs` the attempt resolves as a DeadlineError whether or not the handler stopped. A handler
 * that settles later is reported through `onLateSettle` and never becomes the attempt's outcome.
 */
export function runWithDeadline<T>(
  handler: (signal: AbortSignal) => Promise<T>,
  clock: DeadlineClock,
  opts: DeadlineOptions,
  external?: AbortSignal,
): Promise<AttemptOutcome<T>> {
  const started = clock.now();
  const controller = new AbortController();
  const elapsed = () => clock.now() - started;
  return new Promise((resolve) => {
    let settled = false;
    const onExternal = () => controller.abort(new AttemptAborted('shutdown'));
    const finish = (outcome: AttemptOutcome<T>) => {
      settled = true;
      soft.clear();
      hard.clear();
      external?.removeEventListener('abort', onExternal);
      resolve(outcome);
    };
    const soft = clock.setTimer(() => controller.abort(new AttemptAborted('deadline')), opts.softMs);
    const hard = clock.setTimer(() => {
      if (settled) return;
      opts.onAbandon?.();
      finish({
        kind: 'error',
        error: new DeadlineError(`attempt passed its ${opts.hardMs} ms deadline`),
        durationMs: elapsed(),
      });
    }, opts.hardMs);
    if (external?.aborted) onExternal();
    else external?.addEventListener('abort', onExternal, { once: true });

    let run: Promise<T>;
    try {
      run = handler(controller.signal);
    } catch (err) {
      run = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    run.then(
      (value) => settle({ kind: 'ok', value, durationMs: elapsed() }),
      (error: unknown) => settle({ kind: 'error', error, durationMs: elapsed() }),
    );
    function settle(outcome: AttemptOutcome<T>) {
      if (settled) opts.onLateSettle?.(outcome);
      else finish(outcome);
    }
  });
}
