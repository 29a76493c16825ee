/**
 * The history writes the worker makes, one stateless statement builder each. Statements bind with `?`
 * and are inlined by the driver's own escaping, so a whole batch goes to Postgres in one round trip.
 * Every write is fenced: it touches a row only while the row is `pending` at the writer's attempt.
 */
import type { HistoryOp } from '../../../domain/history.js';

import type { Statement } from './statement.js';

/**
 * How the janitor's error message starts, and only its: a pipeline's own error text never begins so.
 * Such a row is failed only because no worker seemed to hold its job (it may be waiting out an outage
 * or a long backlog): a later delivery may still claim it. Inlined in a LIKE pattern, so it holds no
 * `%`, `_`, `\` or quote.
 */
export const ABANDONED_PREFIX = 'abandoned by the janitor: ';

/**
 * Insert-or-take the row for this attempt, unless the job already completed or failed (a row the
 * janitor failed as abandoned can be taken again: its job came back after all).
 */
export function claimStatement(ops: readonly Extract<HistoryOp, { kind: 'claim' }>[]): Statement {
  const values = ops
    .map(() => `(?::uuid, ?, ?, 'pending', ?::int, clock_timestamp(), clock_timestamp())`)
    .join(', ');
  return {
    sql: `with taken as (
        insert into enhancement_history as h (job_id, ticket_id, tenant_id, status, attempts, created_at, updated_at)
        values ${values}
        on conflict (job_id) do update
          set status = 'pending', attempts = excluded.attempts, ticket_id = excluded.ticket_id,
            updated_at = excluded.updated_at,
            error_message = case when h.status = 'pending' then h.error_message end
          where h.status = 'pending' or (h.status = 'failed' and h.error_message like '${ABANDONED_PREFIX}%')
        returning h.job_id)
      select job_id::text, 'claimed' as state from taken
      union all
      select h.job_id::text, h.status from enhancement_history h
        where h.job_id = any(?::uuid[]) and h.job_id not in (select job_id from taken)`,
    bindings: [
      ...ops.flatMap((o) => [o.jobId, o.ticketId, o.tenantId, o.attempt]),
      pgArray(ops.map((o) => o.jobId)),
    ],
  };
}

/**
 * An attempt's record merged over the stored one at the top level, so what an attempt saved while it
 * ran (a write-back's note id) survives a record that does not mention it.
 */
const MERGED_RESULT = `case when v.result is null then h.result else coalesce(h.result, '{}'::jsonb) || v.result end`;

function resultJson(result: Readonly<Record<string, unknown>> | undefined): string | null {
  return result ? JSON.stringify(result) : null;
}

export function completeStatement(ops: readonly Extract<HistoryOp, { kind: 'complete' }>[]): Statement {
  return fencedUpdate(
    ops,
    `status = 'completed', result_summary = v.summary, processing_time_ms = v.ms, result = ${MERGED_RESULT}`,
    ['summary text', 'ms int', 'result jsonb'],
    (o) => [o.summary, o.processingMs, resultJson(o.result)],
  );
}

/** Hands the row to the next attempt, so a late result of this one can no longer land. */
export function retryStatement(ops: readonly Extract<HistoryOp, { kind: 'retry' }>[]): Statement {
  return fencedUpdate(
    ops,
    `attempts = h.attempts + 1, error_message = v.error, result = ${MERGED_RESULT}`,
    ['error text', 'result jsonb'],
    (o) => [o.error, resultJson(o.result)],
  );
}

export function failStatement(ops: readonly Extract<HistoryOp, { kind: 'fail' }>[]): Statement {
  return fencedUpdate(
    ops,
    `status = 'failed', error_message = v.error, processing_time_ms = coalesce(v.ms, h.processing_time_ms),
      result = ${MERGED_RESULT}`,
    ['error text', 'ms int', 'result jsonb'],
    (o) => [o.error, o.processingMs, resultJson(o.result)],
  );
}

/** Ends the job as failed at whatever attempt, unless it already completed. */
export function forceFailStatement(ops: readonly Extract<HistoryOp, { kind: 'forceFail' }>[]): Statement {
  const values = ops
    .map(() => `(?::uuid, ?, ?, 'failed', 0, ?, clock_timestamp(), clock_timestamp())`)
    .join(', ');
  return {
    sql: `insert into enhancement_history as h
        (job_id, ticket_id, tenant_id, status, attempts, error_message, created_at, updated_at)
      values ${values}
      on conflict (job_id) do update
        set status = 'failed', error_message = excluded.error_message, updated_at = excluded.updated_at
        where h.status <> 'completed'
      returning h.job_id::text`,
    bindings: ops.flatMap((o) => [o.jobId, o.ticketId, o.tenantId, o.error]),
  };
}

/**
 * The janitor's sweep, across tenants (so it runs as the connecting role, which owns the table and so
 * bypasses its row-level security): pending rows untouched for `olderThanMs` become failed. The cut-off
 * uses now() (its own statement's start), not the volatile clock_timestamp(): only a stable value can
 * bound a scan of enhancement_history_pending_updated_idx.
 */
export function abandonStatement(olderThanMs: number, detail: string): Statement {
  return {
    sql: `update enhancement_history set status = 'failed', error_message = ?, updated_at = clock_timestamp()
      where status = 'pending' and updated_at < now() - make_interval(secs => ?)
      returning tenant_id`,
    bindings: [`${ABANDONED_PREFIX}${detail}`, olderThanMs / 1000],
  };
}

function fencedUpdate<O extends { jobId: string; attempt: number }>(
  ops: readonly O[],
  set: string,
  columns: readonly string[],
  values: (o: O) => unknown[],
): Statement {
  const names = columns.map((c) => c.split(' ')[0]);
  const row = `(?::uuid, ?::int, ${columns.map((c) => `?::${c.split(' ')[1]}`).join(', ')})`;
  return {
    sql: `update enhancement_history h set ${set}, updated_at = clock_timestamp()
      from (values ${ops.map(() => row).join(', ')}) as v(job_id, attempt, ${names.join(', ')})
      where h.job_id = v.job_id and h.attempts = v.attempt and h.status = 'pending'
      returning h.job_id::text`,
    bindings: ops.flatMap((o) => [o.jobId, o.attempt, ...values(o)]),
  };
}

/** Before a dead letter is replayed: its row goes back to pending with no attempts, unless it completed. */
export function replayResetStatement(jobId: string): Statement {
  return {
    sql: `update enhancement_history set status = 'pending', attempts = 0, error_message = null,
        updated_at = clock_timestamp()
      where job_id = ?::uuid and status <> 'completed'
      returning job_id::text`,
    bindings: [jobId],
  };
}

/** The replay's republish failed: the row it reset returns to failed, as its dead letter stays queued. */
export function undoReplayResetStatement(jobId: string, error: string): Statement {
  return {
    sql: `update enhancement_history set status = 'failed', error_message = ?, updated_at = clock_timestamp()
      where job_id = ?::uuid and status = 'pending' and attempts = 0
      returning job_id::text`,
    bindings: [error, jobId],
  };
}

/** A Postgres array literal of uuids (already validated, so no quoting is needed). */
function pgArray(ids: readonly string[]): string {
  return `{${ids.join(',')}}`;
}
