import type { DeadLetterReason } from '../domain/retry-policy';

/** One message as the worker core sees it; the AMQP adapter makes these. */
export interface Delivery {
  readonly body: Buffer;
  /** From our attempt header; 1 when absent. */
  readonly attempt: number;
  /** The broker handed this message out before (its holder died, or let go of it). */
  readonly redelivered: boolean;
  /** Broker redeliveries so far, across the jobs and suspect queues. */
  readonly redeliveries: number;
  /** When the job first failed, if it has (ISO-8601), carried across retries. */
  readonly firstFailureAt?: string;
  /** The message's own id (the job_id for well-formed producers) and headers, for republishing. */
  readonly messageId?: string;
  readonly headers: Readonly<Record<string, unknown>>;
  /** Set when the job already sits in the dead-letter queue and only its history row is owed. */
  readonly deadLettered?: { readonly reason: string; readonly errorMessage: string };
  /** Settle the message. Both do nothing if its channel has since closed: the broker redelivers. */
  ack(): void;
  nack(): void;
}

export interface FailureInfo {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly at: string;
}

/** Where `JobBus.delay` sends a job back, and when. */
export interface DelayInfo {
  /** The attempt the job comes back as: the next one for a retry, the same one for a wait-out. */
  readonly attempt: number;
  readonly delayMs: number;
  /** Why the attempt failed, for the failure headers; absent when no attempt failed (a wait-out). */
  readonly failure?: FailureInfo;
  /** Marks a job whose dead letter is already published, so its next delivery only records the failure. */
  readonly deadLettered?: DeadLetterReason;
}

export interface DeadLetterInfo {
  readonly reason: DeadLetterReason;
  readonly attempts: number;
  readonly failure: FailureInfo;
}

/**
 * What the worker asks of the broker. Every method resolves only once the broker confirmed the
 * publish, so the caller may then ack the original.
 */
export interface JobBus {
  /** Republish through the delay ladder as `info.attempt`, arriving after `info.delayMs`. */
  delay(d: Delivery, info: DelayInfo): Promise<void>;
  deadLetter(d: Delivery, info: DeadLetterInfo): Promise<void>;
  /** Move a redelivered job to the suspect queue, where it will run alone. */
  quarantine(d: Delivery): Promise<void>;
}
