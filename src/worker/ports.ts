import type { DeadLetterReason } from '../domain/retry-policy.js';

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

/**
 * One broker connection as the worker borrows it. A delivery settles and republishes only through the
 * link it came on: once that link is gone the broker has requeued the message, so its ack must not
 * reach the next link and a republish would duplicate the job.
 */
export interface ConsumerLink {
  /** False once the connection is gone, for good: another link replaces it. */
  readonly open: boolean;
  /** True while a consumer of fresh jobs is registered on this link. */
  readonly consuming: boolean;
  /** Republishing through this link; each call resolves once the broker confirmed. */
  readonly bus: JobBus;
  /**
   * Start handing fresh jobs to `onDelivery`, never more than `prefetch` unsettled at once; resolves
   * once the broker registered the consumer. Called again while registering, it waits for that
   * registration. A cancel by the broker drops the link.
   */
  consume(prefetch: number, onDelivery: (d: Delivery) => void): Promise<void>;
  /** Stop handing out fresh jobs (a registration in flight first completes). Bounded, and never throws. */
  cancel(): Promise<void>;
  /** How many jobs wait in the suspect queue. */
  suspectCount(): Promise<number>;
  /** The next suspect to run alone, or undefined when none waits. */
  nextSuspect(): Promise<Delivery | undefined>;
  /** Gives the link up after an unexpected failure: the broker requeues what it holds; a new link follows. */
  drop(err: Error): void;
}

/** What the worker hears from its broker. */
export interface ConsumerEvents {
  /** A new link after a loss, consuming nothing yet. */
  up(link: ConsumerLink): void;
  /** `link` is gone (reconnecting follows unless stopping); returns fields for the one log line of the loss. */
  down(link: ConsumerLink, err: Error): Readonly<Record<string, unknown>> | void;
}

/** The worker's broker connection: it reconnects by itself after a loss, until told to stop. */
export interface ConsumerPort {
  /** One try, no retry: the first link, or a rejection. Tells `events` of every loss and link after. */
  connect(events: ConsumerEvents): Promise<ConsumerLink>;
  /** No more reconnecting; a try in progress is abandoned at once. The open link stays open. */
  stopReconnecting(): Promise<void>;
  /** Closes the open link, channel first (its close-ok comes after the broker took our acks); bounded. */
  close(): Promise<void>;
}
