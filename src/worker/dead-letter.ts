import { errorKind } from '../domain/errors.js';
import type { Failure, ForceFailRecord } from '../domain/history.js';
import type { DeadLetterReason } from '../domain/retry-policy.js';
import { errorMessage } from '../lib/error-message.js';
import { requeue, waitOut, type Attempt } from './attempt.js';
import type { DeadLetter, RowFate, Settlement } from './settlement.js';

/**
 * The history write that ends a dead-lettered job: `fail`, fenced to the attempt that ran and failed,
 * or `forceFail` for a job that never ran at this attempt (invalid, over the delivery limit, or its
 * dead letter published by an earlier delivery).
 */
export type DeadLetterRow =
  | { readonly kind: 'fail'; readonly record: Failure }
  | { readonly kind: 'forceFail'; readonly record: ForceFailRecord };

/**
 * Dead-letter first, then the row: a crash in between leaves a duplicate dead letter, never a lost job.
 * `row` is absent when the message names no job and tenant to write one under. Settles as `invalid`
 * when the body did not decode, else as `dead-lettered`.
 */
export async function deadLetter(a: Attempt, letter: DeadLetter, row?: DeadLetterRow): Promise<Settlement> {
  const { d, deps } = a;
  await deps.bus.deadLetter(d, { reason: letter.reason, attempts: d.attempt, failure: letter.failure });
  // Told as soon as it is in the dead-letter queue, whatever becomes of its row.
  deps.onDeadLetter?.({ jobId: letter.jobId, tenantId: letter.tenantId, reason: letter.reason });
  let fate: RowFate;
  try {
    if (row) {
      fate = await recordDeadLetter(a, letter.reason, row);
    } else {
      d.ack();
      fate = { kind: 'skipped' };
    }
  } catch (err) {
    // Out already, so the settlement must still count it.
    return requeue(a, err, letter);
  }
  return { kind: a.job ? 'dead-lettered' : 'invalid', letter, row: fate };
}

/**
 * Writes the row of a job in the dead-letter queue, then acks. A job whose row Postgres cannot take
 * now waits the outage out instead, marked, and its next delivery comes back here; a message that is no
 * valid job could only fail again, so it is acked with its row unwritten (it is safe in the queue).
 */
export async function recordDeadLetter(
  a: Attempt,
  reason: DeadLetterReason,
  row: DeadLetterRow,
): Promise<Exclude<RowFate, { kind: 'skipped' }>> {
  let fate: Exclude<RowFate, { kind: 'skipped' | 'owed' }>;
  try {
    await write(a, row);
    fate = { kind: 'recorded' };
  } catch (err) {
    if (a.job && errorKind(err) === 'infrastructure') {
      return { kind: 'owed', wait: await waitOut(a, err, { deadLettered: reason }) };
    }
    // Refused for its data (e.g. the job_id belongs to another tenant): no retry can record it.
    fate = { kind: 'unrecorded', error: errorMessage(err) };
  }
  a.d.ack();
  return fate;
}

function write({ deps, t }: Attempt, row: DeadLetterRow): Promise<unknown> {
  return row.kind === 'fail'
    ? t.db('fail', () => deps.history.fail(row.record))
    : t.db('forceFail', () => deps.history.forceFail(row.record));
}
