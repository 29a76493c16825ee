import { errorType, type InfrastructureCause } from '../domain/errors.js';
import type { ClaimState } from '../domain/history.js';
import type { DeadLetterReason } from '../domain/retry-policy.js';
import { errorMessage } from '../lib/error-message.js';
import type { Fields, Logger } from '../observability/logger.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { FailureInfo } from './ports.js';

/** How a delivery ended, for the consumer loop, the span and tests. */
export type Outcome =
  'completed' | 'retried' | 'failed' | 'dead_lettered' | 'duplicate' | 'delayed' | 'quarantined' | 'requeued';

/** A dead letter this delivery published. */
export interface DeadLetter {
  readonly reason: DeadLetterReason;
  readonly failure: FailureInfo;
  /** As far as they could be read: an invalid message may name neither. */
  readonly jobId?: string;
  readonly tenantId?: string;
  /** The failed attempt's pipeline time; null when the job never ran at this attempt. */
  readonly durationMs: number | null;
}

/** A job sent back at the same attempt, its retries untouched, because something under it failed. */
export interface WaitOut {
  readonly cause: InfrastructureCause;
  readonly delayMs: number;
  readonly error: string;
}

/** What became of a dead letter's history row. */
export type RowFate =
  | { readonly kind: 'recorded' }
  /** The message names no job and tenant to write a row under. */
  | { readonly kind: 'skipped' }
  /** Refused for its data, or unreachable for a message that could never come back to write it. */
  | { readonly kind: 'unrecorded'; readonly error: string }
  /** Postgres is down: the job waits it out, marked so that its next delivery only writes the row. */
  | { readonly kind: 'owed'; readonly wait: WaitOut };

/**
 * How one delivery was settled: every branch of `processDelivery` ends in one of these, and
 * {@link recordSettlement} turns it into the delivery's metrics and its one outcome log line.
 */
export type Settlement =
  /** A redelivered fresh delivery moved to the suspect queue, to run alone. */
  | {
      readonly kind: 'quarantined';
      readonly messageId?: string;
      readonly redeliveries: number;
      readonly attempt: number;
    }
  /** The claim found the job already ended. */
  | { readonly kind: 'duplicate'; readonly status: Exclude<ClaimState, 'claimed'> }
  /** The same job is running in this process: this copy comes back later, at the same attempt. */
  | { readonly kind: 'deferred'; readonly delayMs: number }
  | { readonly kind: 'completed'; readonly tenantId: string; readonly durationMs: number }
  | {
      readonly kind: 'retried';
      readonly tenantId: string;
      readonly durationMs: number;
      readonly delayMs: number;
      readonly nextAttempt: number;
    }
  /** A decoded job in the dead-letter queue. */
  | { readonly kind: 'dead-lettered'; readonly letter: DeadLetter; readonly row: RowFate }
  /** A message that is no valid job, in the dead-letter queue. */
  | { readonly kind: 'invalid'; readonly letter: DeadLetter; readonly row: RowFate }
  /** A job dead-lettered earlier came back only to write its row. */
  | {
      readonly kind: 'owed-row';
      readonly reason: string;
      readonly row: Extract<RowFate, { kind: 'recorded' | 'unrecorded' }>;
    }
  | { readonly kind: 'waited-out'; readonly wait: WaitOut }
  /**
   * A republish failed (the broker or channel went away): the message was nacked back to its queue.
   * `letter` is set when its dead letter had been published before that.
   */
  | { readonly kind: 'requeued'; readonly error: unknown; readonly letter?: DeadLetter };

export function outcomeOf(s: Settlement): Outcome {
  switch (s.kind) {
    case 'quarantined':
    case 'duplicate':
    case 'completed':
    case 'retried':
    case 'requeued':
      return s.kind;
    case 'deferred':
    case 'waited-out':
      return 'delayed';
    case 'dead-lettered':
      if (s.row.kind === 'owed') return 'delayed';
      return s.letter.durationMs === null ? 'dead_lettered' : 'failed';
    case 'invalid':
    case 'owed-row':
      return 'dead_lettered';
  }
}

/** Counts the settlement and writes its one log line; `log` carries the delivery's (or job's) fields. */
export function recordSettlement(s: Settlement, log: Logger, metrics: WorkerMetrics): void {
  count(s, metrics);
  line(s, log);
}

function count(s: Settlement, metrics: WorkerMetrics): void {
  switch (s.kind) {
    case 'quarantined':
      metrics.suspects.inc();
      return;
    case 'duplicate':
      metrics.duplicates.inc();
      return;
    case 'completed':
      metrics.attempt('completed', s.tenantId, s.durationMs / 1000);
      return;
    case 'retried':
      metrics.retries.inc();
      metrics.attempt('retried', s.tenantId, s.durationMs / 1000);
      return;
    case 'dead-lettered':
    case 'invalid':
      countDeadLetter(s.letter, metrics);
      if (s.row.kind === 'owed') metrics.waitedOut(s.row.wait.cause, s.row.wait.delayMs);
      return;
    case 'waited-out':
      metrics.waitedOut(s.wait.cause, s.wait.delayMs);
      return;
    case 'requeued':
      // In the dead-letter queue whatever became of the delivery: an outage must not hide the dead
      // letters it causes from the alerts on them.
      if (s.letter) countDeadLetter(s.letter, metrics);
      return;
    case 'deferred':
    case 'owed-row':
      // Counted when it was dead-lettered; writing its row later counts nothing again.
      return;
  }
}

function countDeadLetter(l: DeadLetter, metrics: WorkerMetrics): void {
  metrics.deadLetters.inc({ reason: l.reason });
  if (l.durationMs === null) metrics.attempt('dead_lettered', l.tenantId);
  else metrics.attempt('failed', l.tenantId, l.durationMs / 1000);
}

function line(s: Settlement, log: Logger): void {
  switch (s.kind) {
    case 'quarantined':
      log.warn('redelivered job moved aside to run alone', {
        // Not decoded (it may be the poison): the message id is the job_id of a well-formed producer.
        ...(s.messageId !== undefined ? { job_id: s.messageId } : {}),
        redeliveries: s.redeliveries,
        attempt: s.attempt,
      });
      return;
    case 'duplicate':
      log.info('duplicate delivery skipped', { status: s.status });
      return;
    case 'deferred':
      log.info('same job already running here; this delivery comes back later', { delay_ms: s.delayMs });
      return;
    case 'completed':
      log.info('job completed', { duration_ms: Math.round(s.durationMs) });
      return;
    case 'retried':
      log.warn('retry scheduled', { delay_ms: s.delayMs, next_attempt: s.nextAttempt });
      return;
    case 'dead-lettered':
      log.error('job dead-lettered', {
        reason: s.letter.reason,
        error_type: s.letter.failure.errorType,
        error_message: s.letter.failure.errorMessage,
        ...rowFields(s.row),
      });
      return;
    case 'invalid':
      log.warn('invalid job dead-lettered', {
        reason: s.letter.reason,
        error_message: s.letter.failure.errorMessage,
        ...(s.letter.jobId ? { job_id: s.letter.jobId } : {}),
        ...(s.letter.tenantId ? { tenant_id: s.letter.tenantId } : {}),
        ...rowFields(s.row),
      });
      return;
    case 'owed-row':
      if (s.row.kind === 'recorded') log.info('dead-lettered job recorded as failed', { reason: s.reason });
      else
        log.error('history refused the dead-lettered job', { reason: s.reason, error_message: s.row.error });
      return;
    case 'waited-out':
      log.warn('job delayed without spending a retry', waitFields(s.wait));
      return;
    case 'requeued':
      log.error('could not settle job; returning it to the queue', {
        error_type: errorType(s.error),
        error_message: errorMessage(s.error),
        ...(s.letter ? { reason: s.letter.reason } : {}),
      });
      return;
  }
}

function rowFields(row: RowFate): Fields {
  switch (row.kind) {
    case 'recorded':
      return { history_recorded: true };
    case 'skipped':
      return { history_recorded: false };
    case 'unrecorded':
      return { history_recorded: false, history_error: row.error };
    case 'owed':
      // The row is written when the job comes back after the delay.
      return {
        history_recorded: false,
        history_error: row.wait.error,
        delay_ms: row.wait.delayMs,
        cause: row.wait.cause,
      };
  }
}

function waitFields(w: WaitOut): Fields {
  return { delay_ms: w.delayMs, cause: w.cause, error_message: w.error };
}
