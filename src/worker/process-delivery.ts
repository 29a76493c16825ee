import type { Clock } from '../lib/clock';
import { runWithDeadline, AttemptAborted } from '../domain/deadline';
import { decodeJob } from '../domain/decode';
import {
  DeadlineError,
  InfrastructureError,
  ValidationError,
  errorKind,
  errorType,
  failureResult,
  infrastructureCause,
  type InfrastructureCause,
} from '../domain/errors';
import { errorMessage } from '../lib/error-message';
import type { HistoryStore } from '../domain/history';
import type { Job } from '../domain/job';
import { decide, overDeliveryLimit, waitOutMs, type DeadLetterReason } from '../domain/retry-policy';
import type { RetryPolicy } from '../domain/retry-policy';
import type { Enhancer } from '../pipeline/enhancer';
import type { Logger } from '../observability/logger';
import type { WorkerMetrics } from '../observability/metrics';
import type { Delivery, FailureInfo, JobBus } from './ports';
import type { Tracer } from '@opentelemetry/api';
import { AttemptTrace } from './attempt-trace';

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

/** How a delivery ended, for the consumer loop and tests. */
export type Outcome =
  'completed' | 'retried' | 'failed' | 'dead_lettered' | 'duplicate' | 'delayed' | 'quarantined' | 'requeued';

/**
 * Where a delivery comes from: `fresh` from the jobs queue (a redelivered one is moved to the suspect
 * queue instead of running), `trusted` from the jobs queue too but known not to have killed anyone
 * (this process held it when its link dropped), `solo` from the suspect queue, run alone.
 */
export type DeliveryMode = 'fresh' | 'trusted' | 'solo';

/**
 * One delivery, start to settle. `fresh` deliveries that the broker redelivered are moved to the
 * suspect queue instead of running (the consumer runs those alone, `solo`). The original is acked only
 * after its history row is durable, or after a confirmed republish elsewhere (retry ladder, suspect or
 * dead-letter queue); if a republish fails it is nacked back to its queue. Nothing is lost.
 */
export async function processDelivery(d: Delivery, deps: ProcessDeps, mode: DeliveryMode): Promise<Outcome> {
  deps.metrics.inFlight.inc();
  const t = new AttemptTrace(deps.tracer, d, mode === 'solo' ? deps.queues.solo : deps.queues.fresh);
  let outcome: Outcome = 'requeued';
  try {
    outcome = await handle(d, deps, mode, t);
    return outcome;
  } catch (err) {
    // A republish failed (the broker or channel went away): hand the message back.
    t.fail(err);
    deps.log.error('could not settle job; returning it to the queue', {
      ...t.fields,
      error_type: errorType(err),
      error_message: errorMessage(err),
    });
    d.nack();
    return 'requeued';
  } finally {
    t.end(outcome);
    deps.metrics.inFlight.dec();
  }
}

async function handle(d: Delivery, deps: ProcessDeps, mode: DeliveryMode, t: AttemptTrace): Promise<Outcome> {
  if (mode === 'fresh' && d.redelivered) {
    await deps.bus.quarantine(d);
    d.ack();
    deps.metrics.suspects.inc();
    deps.log.warn('redelivered job moved aside to run alone', {
      ...t.fields,
      // Not decoded yet (it may be the poison): the message id is the job_id of a well-formed producer.
      ...(d.messageId !== undefined ? { job_id: d.messageId } : {}),
      redeliveries: d.redeliveries,
      attempt: d.attempt,
    });
    return 'quarantined';
  }
  let job: Job;
  try {
    job = decodeJob(d.body);
  } catch (err) {
    t.fail(err);
    return poison(d, err as ValidationError, deps, t);
  }
  const log = deps.log.child({
    job_id: job.job_id,
    ticket_id: job.ticket_id,
    tenant_id: job.tenant_id,
    attempt: d.attempt,
    ...t.job(job),
  });
  const ctx: JobCtx = { d, job, log, deps, t };
  if (d.deadLettered) return recordDeadLetter(ctx, d.deadLettered);

  if (overDeliveryLimit(d.redeliveries, deps.deliveryLimit)) {
    const err = new Error(`redelivered ${d.redeliveries} times: the job keeps losing or killing its worker`);
    err.name = 'DeliveryLimitError';
    t.fail(err);
    return deadLetter(ctx, 'delivery_limit', failureOf(err, deps.clock), { durationMs: null });
  }

  // Two deliveries of one job at once (a producer that published it twice) would both pass the
  // claim; the later one comes back once the first has settled, and then finds the job finished.
  if (deps.running.has(job.job_id)) return deferConcurrent(ctx);
  deps.running.add(job.job_id);
  try {
    return await runJob(ctx);
  } finally {
    deps.running.delete(job.job_id);
  }
}

async function runJob(ctx: JobCtx): Promise<Outcome> {
  const { d, job, log, deps, t } = ctx;
  let claimed;
  try {
    claimed = await t.db('claim', () =>
      deps.history.claim({
        jobId: job.job_id,
        tenantId: job.tenant_id,
        ticketId: job.ticket_id,
        attempt: d.attempt,
      }),
    );
  } catch (err) {
    if (errorKind(err) === 'validation') {
      t.fail(err);
      return deadLetter(ctx, 'validation', failureOf(err, deps.clock), { durationMs: null });
    }
    return waitOut(ctx, err);
  }
  if (claimed !== 'claimed') {
    deps.metrics.duplicates.inc();
    log.info('duplicate delivery skipped', { status: claimed });
    d.ack();
    return 'duplicate';
  }

  log.info('job started', {
    priority: job.priority,
    ...(deps.logDescriptionChars > 0
      ? { description: excerpt(job.description, deps.logDescriptionChars) }
      : {}),
  });
  const outcome = await t.pipeline((trace) =>
    runWithDeadline(
      (signal) =>
        deps.enhancer.enhance(job, {
          attempt: d.attempt,
          signal,
          deadlineAt: deps.clock.now() + deps.softTimeoutMs,
          log,
          trace,
          tracer: deps.tracer,
        }),
      deps.clock,
      {
        softMs: deps.softTimeoutMs,
        hardMs: deps.hardTimeoutMs,
        onAbandon: () => {
          deps.metrics.attemptAbandoned();
          log.warn('attempt abandoned at the hard deadline; its handler is still running');
        },
        onLateSettle: (late) => {
          deps.metrics.abandonedSettled();
          log.warn('abandoned attempt settled late; result discarded', { late_outcome: late.kind });
        },
      },
      deps.shutdown,
    ),
  );
  const seconds = outcome.durationMs / 1000;

  if (outcome.kind === 'ok') {
    let current: boolean;
    try {
      current = await t.db('complete', () =>
        deps.history.complete({
          jobId: job.job_id,
          tenantId: job.tenant_id,
          attempt: d.attempt,
          summary: outcome.value.summary,
          result: outcome.value.result,
          processingMs: Math.round(outcome.durationMs),
        }),
      );
    } catch (err) {
      return waitOut(ctx, err);
    }
    if (!current) log.warn('result not recorded: a newer attempt owns the job');
    d.ack();
    deps.metrics.attempt('completed', job.tenant_id, seconds);
    log.info('job completed', { duration_ms: Math.round(outcome.durationMs) });
    return 'completed';
  }

  const err = normalise(outcome.error);
  t.fail(err);
  const failure = failureOf(err, deps.clock);
  const decision = decide(d.attempt, err, deps.retry, deps.random());
  if (decision.kind === 'wait-out') return waitOut(ctx, err);
  log.warn('attempt failed', {
    error_type: failure.errorType,
    error_message: failure.errorMessage,
    duration_ms: Math.round(outcome.durationMs),
  });
  if (decision.kind === 'dead-letter') {
    const settled = await deadLetter(ctx, decision.reason, failure, {
      durationMs: outcome.durationMs,
      result: failureResult(err),
    });
    return settled === 'dead_lettered' ? 'failed' : settled;
  }

  try {
    await t.db('retry', () =>
      deps.history.retry({
        jobId: job.job_id,
        tenantId: job.tenant_id,
        attempt: d.attempt,
        error: failure.errorMessage,
        result: failureResult(err),
      }),
    );
  } catch (e) {
    // The retry message carries the state; the row catches up when the next attempt claims it.
    log.warn('could not record the failed attempt', { error_message: errorMessage(e) });
  }
  await deps.bus.delay(d, decision.attempt, decision.delayMs, failure);
  d.ack();
  deps.metrics.retries.inc();
  deps.metrics.attempt('retried', job.tenant_id, seconds);
  log.warn('retry scheduled', { delay_ms: decision.delayMs, next_attempt: decision.attempt });
  return 'retried';
}

interface JobCtx {
  readonly d: Delivery;
  readonly job: Job;
  readonly log: Logger;
  readonly deps: ProcessDeps;
  readonly t: AttemptTrace;
}

/**
 * Dead-letter first, then the row: a crash in between leaves a duplicate dead letter, never a lost job.
 * `durationMs` is the failed attempt's pipeline time, null for a job that never ran; `result` what the
 * attempt produced before it failed (kept in history).
 */
async function deadLetter(
  { d, job, log, deps, t }: JobCtx,
  reason: DeadLetterReason,
  failure: FailureInfo,
  { durationMs, result }: { durationMs: number | null; result?: Readonly<Record<string, unknown>> },
): Promise<Outcome> {
  // These never ran at this attempt: no fence to honour, and they count as never run.
  const neverRan = reason === 'delivery_limit' || reason === 'validation';
  const processingMs = durationMs === null ? null : Math.round(durationMs);
  await deps.bus.deadLetter(d, { reason, attempts: d.attempt, failure });
  // Counted and told as soon as it is in the dead-letter queue, whatever becomes of its row: an
  // outage must not hide the dead letters it causes from the alerts on them.
  deps.onDeadLetter?.({ jobId: job.job_id, tenantId: job.tenant_id, reason });
  deps.metrics.deadLetters.inc({ reason });
  if (neverRan) deps.metrics.attempt('dead_lettered', job.tenant_id);
  else deps.metrics.attempt('failed', job.tenant_id, (durationMs ?? 0) / 1000);
  log.error('job dead-lettered', {
    reason,
    error_type: failure.errorType,
    error_message: failure.errorMessage,
  });
  try {
    if (neverRan) {
      await t.db('forceFail', () =>
        deps.history.forceFail({
          jobId: job.job_id,
          tenantId: job.tenant_id,
          ticketId: job.ticket_id,
          error: failure.errorMessage,
        }),
      );
    } else {
      await t.db('fail', () =>
        deps.history.fail({
          jobId: job.job_id,
          tenantId: job.tenant_id,
          attempt: d.attempt,
          error: failure.errorMessage,
          processingMs,
          result,
        }),
      );
    }
  } catch (err) {
    if (errorKind(err) === 'infrastructure') {
      log.error('dead-lettered; the history row will be written when Postgres is back', {
        error_message: errorMessage(err),
      });
      return waitOut({ d, job, log, deps, t }, err, reason);
    }
    // Refused for its data (e.g. the job_id belongs to another tenant): no retry can record it.
    log.error('dead-lettered; history refused the row', { error_message: errorMessage(err) });
  }
  d.ack();
  return 'dead_lettered';
}

/** A job already in the dead-letter queue whose row could not be written then: write it now. */
async function recordDeadLetter(ctx: JobCtx, owed: NonNullable<Delivery['deadLettered']>): Promise<Outcome> {
  const { d, job, log, deps, t } = ctx;
  try {
    await t.db('forceFail', () =>
      deps.history.forceFail({
        jobId: job.job_id,
        tenantId: job.tenant_id,
        ticketId: job.ticket_id,
        error: owed.errorMessage,
      }),
    );
  } catch (err) {
    if (errorKind(err) === 'infrastructure') return waitOut(ctx, err, owed.reason as DeadLetterReason);
    log.error('history refused the dead-lettered job', { error_message: errorMessage(err) });
  }
  d.ack();
  log.info('dead-lettered job recorded as failed', { reason: owed.reason });
  return 'dead_lettered';
}

/** An invalid message: straight to the dead-letter queue with one log line; the worker goes on. */
async function poison(
  d: Delivery,
  err: ValidationError,
  deps: ProcessDeps,
  t: AttemptTrace,
): Promise<Outcome> {
  const failure = failureOf(err, deps.clock);
  await deps.bus.deadLetter(d, { reason: 'validation', attempts: d.attempt, failure });
  const { jobId, tenantId, ticketId } = err.partial;
  deps.onDeadLetter?.({ jobId, tenantId, reason: 'validation' });
  let recorded = false;
  if (jobId && tenantId) {
    try {
      await t.db('forceFail', () =>
        deps.history.forceFail({
          jobId,
          tenantId,
          ticketId: ticketId ?? null,
          error: failure.errorMessage,
        }),
      );
      recorded = true;
    } catch {
      // The message is safe in the dead-letter queue; the row is a convenience. Said on the line below.
    }
  }
  d.ack();
  deps.metrics.deadLetters.inc({ reason: 'validation' });
  deps.metrics.attempt('dead_lettered', tenantId);
  deps.log.warn('invalid job dead-lettered', {
    ...t.fields,
    reason: 'validation',
    error_message: failure.errorMessage,
    ...(jobId ? { job_id: jobId } : {}),
    ...(tenantId ? { tenant_id: tenantId } : {}),
    history_recorded: recorded,
  });
  return 'dead_lettered';
}

/** The same job is running in this process: bring this copy back later, at the same attempt. */
async function deferConcurrent({ d, log, deps }: JobCtx): Promise<Outcome> {
  const ms = waitOutMs(deps.retry, deps.random());
  await deps.bus.delay(d, d.attempt, ms);
  d.ack();
  log.info('same job already running here; this delivery comes back later', { delay_ms: ms });
  return 'delayed';
}

/**
 * Postgres (or the worker itself) failed under the job: come back later at the same attempt, after a
 * delay that grows with how long this worker has seen the outage.
 */
async function waitOut(
  { d, log, deps, t }: JobCtx,
  err: unknown,
  deadLettered?: DeadLetterReason,
): Promise<Outcome> {
  t.fail(err);
  const cause = infrastructureCause(err);
  const outage = { ms: deps.outageMs(cause), maxDelayMs: deps.waitOutMaxMs };
  const ms = waitOutMs(deps.retry, deps.random(), outage);
  await deps.bus.delay(d, d.attempt, ms, undefined, deadLettered);
  d.ack();
  deps.metrics.waitedOut(cause, ms);
  log.warn('job delayed without spending a retry', {
    delay_ms: ms,
    cause,
    error_message: errorMessage(err),
  });
  return 'delayed';
}

function normalise(err: unknown): unknown {
  if (err instanceof AttemptAborted || (err as Error | undefined)?.name === 'AttemptAborted') {
    const reason = (err as AttemptAborted).reason;
    return reason === 'shutdown'
      ? new InfrastructureError('worker shut down before the attempt finished', { dependency: 'shutdown' })
      : new DeadlineError('attempt aborted at its soft deadline');
  }
  return err;
}

/** The first `max` characters of `text` (never half a surrogate pair), with "…" when cut. */
export function excerpt(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

function failureOf(err: unknown, clock: Clock): FailureInfo {
  return {
    errorType: errorType(err),
    errorMessage: errorMessage(err),
    at: new Date(clock.now()).toISOString(),
  };
}
