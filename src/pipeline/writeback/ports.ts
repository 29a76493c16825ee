import type { ServiceDeskTarget } from '../../tenants/tenants.js';

/** One note on a helpdesk request, as the list call returns it. */
export interface HelpdeskNote {
  readonly id: string;
  /** The note's HTML. */
  readonly description: string;
}

export interface CallOptions {
  /** The attempt's signal. */
  readonly signal: AbortSignal;
  /** SERVICEDESK_TIMEOUT_MS, cut to what is left of the attempt. */
  readonly timeoutMs: number;
}

/** The helpdesk port: ServiceDesk Plus's v3 notes API in production, a fake in tests. */
export interface Helpdesk {
  addNote(
    target: ServiceDeskTarget,
    requestId: string,
    html: string,
    opts: CallOptions,
  ): Promise<{ id: string }>;
  /** The request's notes, newest first (as many as the helpdesk gives in one bounded call or a few). */
  listNotes(target: ServiceDeskTarget, requestId: string, opts: CallOptions): Promise<HelpdeskNote[]>;
}

/**
 * rate_limited: 429 (`retryAfterMs` from Retry-After); server_error: 5xx or an unreadable answer;
 * connection: the request never left (refused, no such host); timeout / ambiguous: it may have arrived
 * (no answer in time, connection cut mid-answer); auth: 401/403; not_found: 404 (no such request);
 * rejected: the helpdesk answered with a failure status (400, 422, or a response_status failure).
 */
export type HelpdeskFailure =
  | 'rate_limited'
  | 'server_error'
  | 'connection'
  | 'timeout'
  | 'ambiguous'
  | 'auth'
  | 'not_found'
  | 'rejected';

export class HelpdeskError extends Error {
  override readonly name = 'HelpdeskError';
  constructor(
    readonly kind: HelpdeskFailure,
    message: string,
    readonly extra: { readonly status?: number; readonly retryAfterMs?: number } = {},
  ) {
    super(message);
  }
}

/** Where the write-back stands for a job, as stored in enhancement_history.result.writeback. */
export type LeaseOutcome =
  /** A note is already on the ticket (an earlier attempt, or before a dlq replay). */
  | { readonly kind: 'posted'; readonly noteId: string }
  /** Another attempt holds the lease right now (a duplicate delivery, or one that just crashed). */
  | { readonly kind: 'busy'; readonly heldForMs: number }
  /** This attempt holds it; `earlier` when an attempt before it did and may have posted. */
  | { readonly kind: 'leased'; readonly earlier: boolean };

/**
 * The write-back's state in Postgres. `lease` is a compare-and-set on the job's row: only one attempt
 * at a time may post, and every attempt after the first knows to look for an earlier note first.
 */
export interface WritebackStore {
  lease(jobId: string, tenantId: string, leaseMs: number): Promise<LeaseOutcome>;
  /** Gives the lease up at once (the attempt failed cleanly); the next attempt still looks first. */
  release(jobId: string, tenantId: string): Promise<void>;
  /** Stores the note id; false when another note id was stored first. */
  save(
    jobId: string,
    tenantId: string,
    record: { note_id: string; how: 'posted' | 'adopted' },
  ): Promise<boolean>;
}
