import { runWithDeadline, AttemptAborted } from '../domain/deadline.js';
import { decodeJob } from '../domain/decode.js';
import {
  DeadlineError,
  DeliveryLimitError,
  InfrastructureError,
  ValidationError,
  errorKind,
  failureResult,
} from '../domain/errors.js';
import { errorMessage } from '../lib/error-message.js';
import type { ForceFailRecord } from '../domain/history.js';
import type { Job } from '../domain/job.js';
import { decide, overDeliveryLimit, waitOutMs, type DeadLetterReason } from '../domain/retry-policy.js';
import type { Fields } from '../observability/logger.js';
import { failureOf, requeue, waitOut, type Attempt, type JobAttempt, type ProcessDeps } from './attempt.js';
import { AttemptTrace } from './attempt-trace.js';
import { deadLetter, recordDeadLetter, type DeadLetterRow } from './dead-letter.js';
import type { Delivery } from './ports.js';
import { outcomeOf, recordSettlement, type DeadLetter, type Outcome, type Settlement } from './settlement.js';

export type { Outcome } from './settlement.js';
export type { ProcessDeps } from './attempt.js';

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
 *
 * Every branch returns a {@link Settlement}; its metrics and its one outcome log line are written here,
 * once, whichever branch it was.
 */
export async function processDelivery(d: Delivery, deps: ProcessDeps, mode: DeliveryMode): Promise<Outcome> {
  deps.metrics.inFlight.inc();
  const t = new AttemptTrace(deps.tracer, d, mode === 'solo' ? deps.queues.solo : deps.queues.fresh);
  // Becomes the job's attempt once the body decodes, so every later line carries the job.
  let a: Attempt = { d, deps, t, log: deps.log.child(t.fields) };
  let outcome: Outcome = 'requeued';
  try {
    let settlement: Settlement;
    try {
      if (mode === 'fresh' && d.redelivered) {
        settlement = await quarantine(a);
      } else {
        const decoded = decode(a);
        if ('invalid' in decoded) {
          settlement = await deadLetterInvalid(a, decoded.invalid);
        } else {
          const { job } = decoded;
          const ja: JobAttempt = { ...a, job, log: deps.log.child(jobFields(a, job)) };
          a = ja;
          settlement = await handleJob(ja);
        }
      }
    } catch (err) {
      settlement = requeue(a, err);
    }
    recordSettlement(settlement, a.log, deps.metrics);
    outcome = outcomeOf(settlement);
    return outcome;
  } finally {
    t.end(outcome);
    deps.metrics.inFlight.dec();
  }
}

async function quarantine({ d, deps }: Attempt): Promise<Settlement> {
  await deps.bus.quarantine(d);
  d.ack();
  return {
    kind: 'quarantined',
    ...(d.messageId !== undefined ? { messageId: d.messageId } : {}),
    redeliveries: d.redeliveries,
    attempt: d.attempt,
  };
}

function decode({ d, t }: Attempt): { job: Job } | { invalid: ValidationError } {
  try {
    return { job: decodeJob(d.body) };
  } catch (err) {
    t.fail(err);
    return { invalid: err as ValidationError };
  }
}

function jobFields({ d, t }: Attempt, job: Job): Fields {
  return {
    job_id: job.job_id,
    ticket_id: job.ticket_id,
    tenant_id: job.tenant_id,
    attempt: d.attempt,
    ...t.job(job),
  };
}

/** An invalid message: straight to the dead-letter queue; its row only if it names a job and tenant. */
function deadLetterInvalid(a: Attempt, err: ValidationError): Promise<Settlement> {
  const failure = failureOf(err, a.deps.clock);
  const { jobId, tenantId, ticketId } = err.partial;
  const letter: DeadLetter = { reason: 'validation', failure, jobId, tenantId, durationMs: null };
  const row =
    jobId && tenantId
      ? forceFailRow({ jobId, tenantId, ticketId: ticketId ?? null }, failure.errorMessage)
      : undefined;
  return deadLetter(a, letter, row);
}

async function handleJob(a: JobAttempt): Promise<Settlement> {
  const { d, job, deps } = a;
  const owed = d.deadLettered;
  if (owed) {
    // Already in the dead-letter queue; only its row is owed.
    const reason = owed.reason as DeadLetterReason;
    const fate = await recordDeadLetter(a, reason, forceFailRow(rowOf(job), owed.errorMessage));
    if (fate.kind === 'owed') return { kind: 'waited-out', wait: fate.wait };
    return { kind: 'owed-row', reason: owed.reason, row: fate };
  }

  if (overDeliveryLimit(d.redeliveries, deps.deliveryLimit)) {
    return deadLetterUnrun(a, 'delivery_limit', new DeliveryLimitError(d.redeliveries));
  }

  // Two deliveries of one job at once (a producer that published it twice) would both pass the
  // claim; the later one comes back once the first has settled, and then finds the job finished.
  if (deps.running.has(job.job_id)) return deferConcurrent(a);
  deps.running.add(job.job_id);
  try {
    return await runJob(a);
  } finally {
    deps.running.delete(job.job_id);
  }
}

async function runJob(a: JobAttempt): Promise<Settlement> {
  const { d, job, log, deps, t } = a;
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
    if (errorKind(err) === 'validation') return deadLetterUnrun(a, 'validation', err);
    return { kind: 'waited-out', wait: await waitOut(a, err) };
  }
  if (claimed !== 'claimed') {
    d.ack();
    return { kind: 'duplicate', status: claimed };
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
  const durationMs = outcome.durationMs;

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
          processingMs: Math.round(durationMs),
        }),
      );
    } catch (err) {
      return { kind: 'waited-out', wait: await waitOut(a, err) };
    }
    if (!current) log.warn('result not recorded: a newer attempt owns the job');
    d.ack();
    return { kind: 'completed', tenantId: job.tenant_id, durationMs };
  }

  const err = normalise(outcome.error);
  t.fail(err);
  const failure = failureOf(err, deps.clock);
  const decision = decide(d.attempt, err, deps.retry, deps.random());
  if (decision.kind === 'wait-out') return { kind: 'waited-out', wait: await waitOut(a, err) };
  log.warn('attempt failed', {
    error_type: failure.errorType,
    error_message: failure.errorMessage,
    duration_ms: Math.round(durationMs),
  });
  if (decision.kind === 'dead-letter') {
    const letter: DeadLetter = {
      reason: decision.reason,
      failure,
      jobId: job.job_id,
      tenantId: job.tenant_id,
      durationMs,
    };
    return deadLetter(a, letter, {
      kind: 'fail',
      record: {
        jobId: job.job_id,
        tenantId: job.tenant_id,
        attempt: d.attempt,
        error: failure.errorMessage,
        processingMs: Math.round(durationMs),
        result: failureResult(err),
      },
    });
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
  await deps.bus.delay(d, { attempt: decision.attempt, delayMs: decision.delayMs, failure });
  d.ack();
  return {
    kind: 'retried',
    tenantId: job.tenant_id,
    durationMs,
    delayMs: decision.delayMs,
    nextAttempt: decision.attempt,
  };
}

/** A job that never ran at this attempt (over the delivery limit, or its claim refused): dead-letter it. */
function deadLetterUnrun(a: JobAttempt, reason: DeadLetterReason, err: unknown): Promise<Settlement> {
  a.t.fail(err);
  const failure = failureOf(err, a.deps.clock);
  const { job } = a;
  const letter: DeadLetter = {
    reason,
    failure,
    jobId: job.job_id,
    tenantId: job.tenant_id,
    durationMs: null,
  };
  return deadLetter(a, letter, forceFailRow(rowOf(job), failure.errorMessage));
}

function rowOf(job: Job): Omit<ForceFailRecord, 'error'> {
  return { jobId: job.job_id, tenantId: job.tenant_id, ticketId: job.ticket_id };
}

function forceFailRow(ids: Omit<ForceFailRecord, 'error'>, error: string): DeadLetterRow {
  return { kind: 'forceFail', record: { ...ids, error } };
}

/** The same job is running in this process: bring this copy back later, at the same attempt. */
async function deferConcurrent({ d, deps }: JobAttempt): Promise<Settlement> {
  const delayMs = waitOutMs(deps.retry, deps.random());
  await deps.bus.delay(d, { attempt: d.attempt, delayMs });
  d.ack();
  return { kind: 'deferred', delayMs };
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
