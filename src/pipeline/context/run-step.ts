import type { Clock, Timer } from '../../lib/clock.js';
import { errorMessage } from '../../lib/error-message.js';
import type { ReadOptions, StepReport } from './types.js';

/** The share of a step's budget Postgres gets (statement_timeout): it cancels before we stop waiting. */
const SERVER_SHARE = 0.9;

export interface StepBudget {
  readonly clock: Clock;
  /** CONTEXT_STEP_TIMEOUT_MS. */
  readonly stepTimeoutMs: number;
  /** When the attempt's soft deadline fires, on `clock`: no step runs past it. */
  readonly deadlineAt: number;
  /** The attempt's signal (soft deadline, shutdown). */
  readonly signal: AbortSignal;
}

export interface StepOutcome<T> {
  readonly report: StepReport;
  readonly items: readonly T[];
  /**
   * Postgres is unreachable or silent: the step failed with a connection-level error, or its budget ran
   * out with no answer at all (a statement Postgres cancelled at its statement_timeout did answer).
   */
  readonly outage: boolean;
}

/**
 * Runs one context step under its own AbortController and budget: the smaller of the step timeout and
 * what is left before the attempt's soft deadline. It never throws: a failure is the step's outcome,
 * and the job goes on with the other steps.
 */
export function runStep<T>(
  read: (opts: ReadOptions) => Promise<readonly T[]>,
  budget: StepBudget,
): Promise<StepOutcome<T>> {
  const { clock } = budget;
  const started = clock.now();
  const ms = Math.min(budget.stepTimeoutMs, budget.deadlineAt - started);
  if (ms <= 0 || budget.signal.aborted) {
    return Promise.resolve(failed('timeout', 0, 'no time left before the attempt deadline', false));
  }
  const controller = new AbortController();
  const onOuter = () => controller.abort(budget.signal.reason);
  budget.signal.addEventListener('abort', onOuter, { once: true });
  let timer: Timer | undefined;
  let expired = false;
  const outOfTime = new Promise<never>((_, reject) => {
    timer = clock.setTimer(() => {
      expired = true;
      controller.abort(new Error(`no answer within ${ms} ms`));
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
    controller.signal.addEventListener('abort', () => reject(abortError(controller.signal)), { once: true });
  });
  const serverMs = Math.max(1, Math.floor(ms * SERVER_SHARE));
  const work = (async () => read({ signal: controller.signal, timeoutMs: serverMs }))();
  return Promise.race([work, outOfTime])
    .then(
      (items): StepOutcome<T> => ({
        report: { status: 'ok', ms: clock.now() - started, count: items.length },
        items,
        outage: false,
      }),
      (err: unknown): StepOutcome<T> => {
        const took = clock.now() - started;
        if (expired) return failed('timeout', took, errorMessage(err), true);
        if (isCancelledByServer(err)) return failed('timeout', took, errorMessage(err), false);
        if (budget.signal.aborted) return failed('timeout', took, 'the attempt was aborted', false);
        return failed('error', took, errorMessage(err), errorName(err) === 'InfrastructureError');
      },
    )
    .finally(() => {
      timer?.clear();
      budget.signal.removeEventListener('abort', onOuter);
      // Releases whatever the read still holds once its outcome is settled.
      if (!controller.signal.aborted) controller.abort(new Error('step settled'));
    });
}

function failed<T>(status: 'timeout' | 'error', ms: number, error: string, outage: boolean): StepOutcome<T> {
  return { report: { status, ms, count: 0, error: error.split('\n')[0]!.slice(0, 300) }, items: [], outage };
}

/** SQLSTATE 57014: Postgres cancelled the statement (its statement_timeout). */
function isCancelledByServer(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  return e?.code === '57014' || e?.cause?.code === '57014';
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}
