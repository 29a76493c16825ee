/** The writes a job's lifecycle makes to enhancement_history, as plain data. */

export interface Claim {
  readonly jobId: string;
  readonly tenantId: string;
  readonly ticketId: string;
  readonly attempt: number;
}
export interface Completion {
  readonly jobId: string;
  readonly tenantId: string;
  readonly attempt: number;
  readonly summary: string;
  /** The pipeline's record (enhancement_history.result); merged over what an earlier attempt stored. */
  readonly result?: Readonly<Record<string, unknown>>;
  readonly processingMs: number;
}
export interface RetryMark {
  readonly jobId: string;
  readonly tenantId: string;
  readonly attempt: number;
  readonly error: string;
  /** What the failed attempt produced (its note, say), merged over the stored record. */
  readonly result?: Readonly<Record<string, unknown>>;
}
export interface Failure {
  readonly jobId: string;
  readonly tenantId: string;
  readonly attempt: number;
  readonly error: string;
  readonly processingMs: number | null;
  /** What the failed attempt produced (its note, say), merged over the stored record. */
  readonly result?: Readonly<Record<string, unknown>>;
}
/**
 * Ends a job as failed whatever attempt holds it: it never ran at this attempt (an invalid message, a
 * crash loop), or its dead letter is already out.
 */
export interface ForceFailRecord {
  readonly jobId: string;
  readonly tenantId: string;
  readonly ticketId: string | null;
  readonly error: string;
}

export type HistoryOp =
  | ({ readonly kind: 'claim' } & Claim)
  | ({ readonly kind: 'complete' } & Completion)
  | ({ readonly kind: 'retry' } & RetryMark)
  | ({ readonly kind: 'fail' } & Failure)
  | ({ readonly kind: 'forceFail' } & ForceFailRecord);

/** What a claim found: the row is now this attempt's, or the job already ended. */
export type ClaimState = 'claimed' | 'completed' | 'failed';

/**
 * The history port. Fenced writes (`complete`, `retry`, `fail`) resolve false when the row is no
 * longer pending at the writer's attempt: a newer attempt owns it, or the job already ended.
 */
export interface HistoryStore {
  claim(c: Claim): Promise<ClaimState>;
  complete(c: Completion): Promise<boolean>;
  retry(r: RetryMark): Promise<boolean>;
  fail(f: Failure): Promise<boolean>;
  /** Ends the job as failed whatever attempt owns it, unless it completed (poison, crash loops). */
  forceFail(p: ForceFailRecord): Promise<void>;
  /** Resolves while Postgres answers. */
  ping(): Promise<void>;
}
