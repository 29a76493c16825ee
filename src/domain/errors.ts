/**
 * Errors say what happens next. Check `name` as well as `instanceof`: jest runs modules in separate
 * realms, and errors cross process boundaries as plain data.
 */

/** The message can never become a valid job: dead-letter at once, never retry. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    /** What could be read of the job, for the history row. */
    readonly partial: { jobId?: string; tenantId?: string; ticketId?: string } = {},
  ) {
    super(message);
  }
}

/** What a failing pipeline may tell about its failure. */
export interface FailureDetails {
  readonly cause?: unknown;
  /** What the attempt produced before it failed (the note, say): stored with the failure. */
  readonly result?: Readonly<Record<string, unknown>>;
}

/** The pipeline says retrying cannot help. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  readonly result?: Readonly<Record<string, unknown>>;
  constructor(message: string, details: FailureDetails = {}) {
    super(message, { cause: details.cause });
    this.result = details.result;
  }
}

/** The pipeline says a later attempt may succeed. Unknown errors are treated the same way. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  readonly result?: Readonly<Record<string, unknown>>;
  /** The earliest a retry makes sense (a 429's Retry-After); the retry waits at least this long. */
  readonly retryAfterMs?: number;
  constructor(message: string, details: FailureDetails & { readonly retryAfterMs?: number } = {}) {
    super(message, { cause: details.cause });
    this.result = details.result;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** The attempt passed its hard deadline; whatever the handler does later is ignored. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/**
 * The broker redelivered the job more often than the delivery limit allows: it keeps losing or killing
 * its worker, so it is dead-lettered without running again.
 */
export class DeliveryLimitError extends Error {
  override readonly name = 'DeliveryLimitError';
  constructor(readonly redeliveries: number) {
    super(`redelivered ${redeliveries} times: the job keeps losing or killing its worker`);
  }
}

/** What an infrastructure failure was about; the `cause` label of the wait-out metric. */
export type InfrastructureCause = 'postgres' | 'shutdown' | 'other';

/** Postgres or RabbitMQ failed under the job: wait it out without spending the job's retries. */
export class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError';
  /** Postgres under the history writes, the worker shutting down, or anything else. */
  readonly dependency: InfrastructureCause;
  constructor(message: string, options?: { cause?: unknown; dependency?: InfrastructureCause }) {
    super(message, options);
    this.dependency = options?.dependency ?? 'other';
  }
}

/** The dependency an infrastructure error names (read as data: errors cross realms). */
export function infrastructureCause(err: unknown): InfrastructureCause {
  const d = (err as { dependency?: unknown } | null | undefined)?.dependency;
  return d === 'postgres' || d === 'shutdown' ? d : 'other';
}

export type ErrorKind = 'validation' | 'permanent' | 'transient' | 'deadline' | 'infrastructure';

export function errorKind(err: unknown): ErrorKind {
  const name = err instanceof Error ? err.name : undefined;
  switch (name) {
    case 'ValidationError':
      return 'validation';
    case 'PermanentError':
    case 'DeliveryLimitError':
      return 'permanent';
    case 'DeadlineError':
      return 'deadline';
    case 'InfrastructureError':
      return 'infrastructure';
    default:
      return 'transient';
  }
}

export function errorType(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/** The result a PermanentError or TransientError carries, if any. */
export function failureResult(err: unknown): Readonly<Record<string, unknown>> | undefined {
  const r = (err as { result?: unknown } | null)?.result;
  return typeof r === 'object' && r !== null && !Array.isArray(r)
    ? (r as Record<string, unknown>)
    : undefined;
}

/** A TransientError's `retryAfterMs`, if it has a usable one. */
export function retryAfterMs(err: unknown): number | undefined {
  const ms = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
