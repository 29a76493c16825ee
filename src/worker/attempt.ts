import type { Tracer } from '@opentelemetry/api';
import { errorType, infrastructureCause, type InfrastructureCause } from '../domain/errors.js';
import type { HistoryStore } from '../domain/history.js';
import type { Job } from '../domain/job.js';
import { waitOutMs, type DeadLetterReason, type RetryPolicy } from '../domain/retry-policy.js';
import type { Clock } from '../lib/clock.js';
import { errorMessage } from '../lib/error-message.js';
import type { Enhancer } from '../pipeline/enhancer.js';
import type { Logger } from '../observability/logger.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { AttemptTrace } from './attempt-trace.js';
import type { Delivery, FailureInfo, JobBus } from './ports.js';
import type { DeadLetter, Settlement, WaitOut } from './settlement.js';

export interface ProcessDeps {
  readonly history: HistoryStore;
  readonly bus: JobBus;
  readonly enhancer: Enhancer;
  readonly clock: Clock;
  /** In [0, 1): the retry jitter. */
  readonly random: () => number;
  readonly metrics: WorkerMetrics;
  readonly log: Logger;
  readonly retry: RetryPolicy;
  readonly softTimeoutMs: number;
  readonly hardTimeoutMs: number;
  readonly deliveryLimit: number;
  /** Aborts every running attempt when shutdown runs out of grace. */
  readonly shutdown: AbortSignal;
  /** job_ids this process is running now (shared by all its deliveries). */
  readonly running: Set<string>;
  /** LOG_DESCRIPTION_CHARS: how much of the description `job started` shows; 0 leaves it out. */
  readonly logDescriptionChars: number;
  /** Makes the attempt's spans (non-recording, and next to free, while tracing is off). */
  readonly tracer: Tracer;
  /** Queue names, for the consumer span's `messaging.destination.name`. */
  readonly queues: { readonly fresh: string; readonly solo: string };
  /** Told of each dead letter once it is in the queue (a Kubernetes Event in a cluster); must not throw. */
  readonly onDeadLetter?: (info: { jobId?: string; tenantId?: string; reason: string }) => void;
  /** How long this worker has seen the outage behind `cause` (0: none); wait-out delays grow with it. */
  readonly outageMs: (cause: InfrastructureCause) => number;
  /** WAIT_OUT_MAX_MS: the cap on one wait-out delay. */
  readonly waitOutMaxMs: number;
}

/** One delivery being handled; `job` once its body decoded, `log` then carrying the job's fields. */
export interface Attempt {
  readonly d: Delivery;
  readonly deps: ProcessDeps;
  readonly t: AttemptTrace;
  readonly log: Logger;
  readonly job?: Job;
}

export interface JobAttempt extends Attempt {
  readonly job: Job;
}

/**
 * Postgres (or the worker itself) failed under the job: send it back at the same attempt, after a
 * delay that grows with how long this worker has seen the outage, and ack. `deadLettered` marks a job
 * whose dead letter is already published, so that its next delivery only writes the row.
 */
export async function waitOut(
  { d, deps, t }: Attempt,
  err: unknown,
  { deadLettered }: { deadLettered?: DeadLetterReason } = {},
): Promise<WaitOut> {
  t.fail(err);
  const cause = infrastructureCause(err);
  const outage = { ms: deps.outageMs(cause), maxDelayMs: deps.waitOutMaxMs };
  const delayMs = waitOutMs(deps.retry, deps.random(), outage);
  await deps.bus.delay(d, { attempt: d.attempt, delayMs, deadLettered });
  d.ack();
  return { cause, delayMs, error: errorMessage(err) };
}

/** A republish failed: hand the message back to its queue. `letter`: its dead letter was out already. */
export function requeue({ d, t }: Attempt, error: unknown, letter?: DeadLetter): Settlement {
  t.fail(error);
  d.nack();
  return letter ? { kind: 'requeued', error, letter } : { kind: 'requeued', error };
}

export function failureOf(err: unknown, clock: Clock): FailureInfo {
  return {
    errorType: errorType(err),
    errorMessage: errorMessage(err),
    at: new Date(clock.now()).toISOString(),
  };
}
