import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Clock } from '../../lib/clock.js';
import { PermanentError, TransientError } from '../../domain/errors.js';
import { errorMessage } from '../../lib/error-message.js';
import type { Job } from '../../domain/job.js';
import type { ServiceDeskTarget } from '../../tenants/tenants.js';
import type { EnhanceContext } from '../enhancer.js';
import { marker, noteHtml } from './note-html.js';
import { HelpdeskError, type Helpdesk, type HelpdeskFailure, type WritebackStore } from './ports.js';

/** Where write-backs are counted (`enhancement_writeback_total{outcome}`). */
export interface WritebackMetrics {
  writeback(outcome: WritebackOutcome): void;
}

export type WritebackOutcome = 'posted' | 'adopted' | 'already_posted' | 'skipped' | 'busy' | HelpdeskFailure;

/** result.writeback. */
export type WritebackRecord =
  | { readonly status: 'skipped' }
  | {
      readonly status: 'posted';
      readonly note_id: string;
      readonly how: 'posted' | 'adopted' | 'already_posted';
    };

export interface WritebackOptions {
  readonly helpdesk: Helpdesk;
  readonly store: WritebackStore;
  readonly clock: Clock;
  /** SERVICEDESK_TIMEOUT_MS: one helpdesk call's bound (and never past the attempt's deadline). */
  readonly timeoutMs: number;
  readonly metrics?: WritebackMetrics;
}

/**
 * Puts the note on the helpdesk request exactly once, across retries, crashes, redeliveries and dlq
 * replays. The note carries a marker with the job_id. Before posting, the attempt takes a lease on the
 * job's row (a compare-and-set): an attempt that finds a note id stored never posts; one that finds an
 * earlier lease (that attempt may have posted and died before it could say so) lists the request's
 * notes and adopts the one with the marker; the note id is stored the moment it is known.
 */
export async function writeBack(
  job: Job,
  note: string,
  target: ServiceDeskTarget | undefined,
  ctx: EnhanceContext,
  opts: WritebackOptions,
): Promise<WritebackRecord> {
  const count = (o: WritebackOutcome) => opts.metrics?.writeback(o);
  if (!target) {
    count('skipped');
    return { status: 'skipped' };
  }
  const { store } = opts;
  const lease = await store.lease(job.job_id, job.tenant_id, 2 * opts.timeoutMs + 5_000);
  if (lease.kind === 'posted') {
    count('already_posted');
    return { status: 'posted', note_id: lease.noteId, how: 'already_posted' };
  }
  if (lease.kind === 'busy') {
    count('busy');
    throw new TransientError('another attempt is writing this note back', {
      retryAfterMs: lease.heldForMs + 500,
    });
  }
  try {
    if (lease.earlier) {
      const notes = await call('servicedesk.list_notes', ctx, opts, target, (o) =>
        opts.helpdesk.listNotes(target, job.ticket_id, o),
      );
      const earlier = notes.find((n) => n.description.includes(marker(job.job_id)));
      if (earlier) {
        await saveOrWarn(job, earlier.id, 'adopted', ctx, opts);
        count('adopted');
        return { status: 'posted', note_id: earlier.id, how: 'adopted' };
      }
    }
    const posted = await call('servicedesk.add_note', ctx, opts, target, (o) =>
      opts.helpdesk.addNote(target, job.ticket_id, noteHtml(note, job.job_id), o),
    );
    await saveOrWarn(job, posted.id, 'posted', ctx, opts);
    count('posted');
    return { status: 'posted', note_id: posted.id, how: 'posted' };
  } catch (err) {
    // The next attempt need not wait for the lease to run out; it still looks for a note first.
    await store.release(job.job_id, job.tenant_id).catch(() => undefined);
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (!(err instanceof HelpdeskError) && (err as Error).name !== 'HelpdeskError') throw err;
    const e = err as HelpdeskError;
    count(e.kind);
    const message = `servicedesk write-back failed (${e.kind}): ${e.message}`;
    if (e.kind === 'auth' || e.kind === 'not_found' || e.kind === 'rejected')
      throw new PermanentError(message);
    throw new TransientError(message, { retryAfterMs: e.extra.retryAfterMs });
  }
}

async function saveOrWarn(
  job: Job,
  noteId: string,
  how: 'posted' | 'adopted',
  ctx: EnhanceContext,
  opts: WritebackOptions,
): Promise<void> {
  if (!(await opts.store.save(job.job_id, job.tenant_id, { note_id: noteId, how }))) {
    ctx.log.error('a second note reached the ticket: another attempt stored its note first', {
      note_id: noteId,
    });
  }
}

/** One helpdesk call in its own span, bounded by SERVICEDESK_TIMEOUT_MS and the attempt's deadline. */
async function call<T>(
  name: string,
  ctx: EnhanceContext,
  opts: WritebackOptions,
  target: ServiceDeskTarget,
  fn: (o: { signal: AbortSignal; timeoutMs: number }) => Promise<T>,
): Promise<T> {
  const timeoutMs = Math.max(1, Math.min(opts.timeoutMs, ctx.deadlineAt - opts.clock.now()));
  const span = ctx.tracer.startSpan(
    name,
    { kind: SpanKind.CLIENT, attributes: { 'server.address': new URL(target.url).host } },
    ctx.trace,
  );
  try {
    return await fn({ signal: ctx.signal, timeoutMs });
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
    throw err;
  } finally {
    span.end();
  }
}
