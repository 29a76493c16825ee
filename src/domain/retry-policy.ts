import { errorKind, retryAfterMs } from './errors.js';

/** Capped exponential waits: base · 2^(n−1), at most maxDelayMs, less a random fraction up to jitter. */
export interface Backoff {
  readonly baseMs: number;
  readonly maxDelayMs: number;
  readonly jitter: number;
}

/** The retry ladder: RETRY_MAX retries after the first attempt, waits as {@link Backoff}. */
export interface RetryPolicy extends Backoff {
  readonly maxRetries: number;
}

/**
 * Delay before retry `n` (1-based): min(maxDelay, base · 2^(n−1)), reduced by a random fraction up to
 * `jitter`. `random` is in [0, 1); injecting it keeps this pure.
 */
export function backoffMs(n: number, policy: Backoff, random: number): number {
  const exp = policy.baseMs * 2 ** Math.max(0, n - 1);
  const capped = Math.min(policy.maxDelayMs, exp);
  return Math.round(capped * (1 - policy.jitter * random));
}

/** The shortest wait-out, so an outage never turns into a tight republish loop. */
export const MIN_WAIT_OUT_MS = 1_000;

export type Decision =
  | { readonly kind: 'retry'; readonly attempt: number; readonly delayMs: number }
  | { readonly kind: 'dead-letter'; readonly reason: DeadLetterReason }
  | { readonly kind: 'wait-out'; readonly delayMs: number };

/** Why a job ended in the dead-letter queue; also the `reason` label of the dead-letter metric. */
export type DeadLetterReason = 'validation' | 'permanent' | 'retries_exhausted' | 'delivery_limit';

/**
 * What to do with a failed attempt. `attempt` is the one that just failed.
 * - validation / permanent errors: dead-letter now, retrying cannot help;
 * - infrastructure errors (Postgres or the broker under us): wait out the outage at the same attempt;
 * - anything else: retry while the budget lasts, then dead-letter.
 */
export function decide(attempt: number, err: unknown, policy: RetryPolicy, random: number): Decision {
  const kind = errorKind(err);
  if (kind === 'validation' || kind === 'permanent') return { kind: 'dead-letter', reason: kind };
  if (kind === 'infrastructure') return { kind: 'wait-out', delayMs: waitOutMs(policy, random) };
  if (attempt > policy.maxRetries) return { kind: 'dead-letter', reason: 'retries_exhausted' };
  // A server that said when to come back (429 Retry-After) is not asked sooner, within the ladder's cap.
  const floor = Math.min(retryAfterMs(err) ?? 0, policy.maxDelayMs);
  return {
    kind: 'retry',
    attempt: attempt + 1,
    delayMs: Math.max(floor, backoffMs(attempt, policy, random)),
  };
}

/** How long this worker has seen an outage last, and the cap on a wait-out delay (WAIT_OUT_MAX_MS). */
export interface Outage {
  readonly ms: number;
  readonly maxDelayMs: number;
}

const NO_OUTAGE: Outage = { ms: 0, maxDelayMs: 0 };

/**
 * How long a job waits out an outage before it comes back at the same attempt: the first retry delay
 * (at least MIN_WAIT_OUT_MS) while the outage is young, then half as long as it has lasted so far, up
 * to `outage.maxDelayMs`; less a random fraction up to the jitter. So a job comes back each time the
 * outage has grown by half, and the jobs in hand cost the broker fewer republishes the longer it lasts,
 * whatever the size of the fleet; once it ends, the longest a job still waits is the cap.
 */
export function waitOutMs(policy: RetryPolicy, random: number, outage: Outage = NO_OUTAGE): number {
  const first = Math.max(MIN_WAIT_OUT_MS, Math.min(policy.maxDelayMs, policy.baseMs));
  const grown = Math.min(Math.max(first, outage.maxDelayMs), Math.max(first, outage.ms / 2));
  return Math.max(MIN_WAIT_OUT_MS, Math.round(grown * (1 - policy.jitter * random)));
}

/** Redelivered by the broker more often than the limit: the job keeps killing or losing its worker. */
export function overDeliveryLimit(redeliveries: number, limit: number): boolean {
  return redeliveries > limit;
}
