import { trace, type Context, type Tracer } from '@opentelemetry/api';
import type { AmqpLink } from '../adapters/amqp/link.js';
import { jobSender, type JobSender } from '../adapters/amqp/producer.js';
import type { AmqpSession } from '../adapters/amqp/session.js';
import { names } from '../adapters/amqp/topology.js';
import type { Clock } from '../lib/clock.js';
import { errorMessage } from '../lib/error-message.js';
import type { Job } from '../domain/job.js';
import type { Logger } from '../observability/logger.js';
import { TRACER_NAME } from '../observability/tracing.js';

/** The job was not confirmed by the broker; the caller answers 503 with Retry-After. */
export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** A confirm not seen by then counts as a failure (the job may still land: see Dedup). */
export const CONFIRM_TIMEOUT_MS = 5_000;
/** Retry-After when the broker is reachable but not confirming (blocked, nacked, slow). */
const BUSY_RETRY_AFTER_MS = 5_000;

export interface JobPublisherOptions {
  readonly queuePrefix: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly tracer?: Tracer;
}

/**
 * Publishes jobs with confirms over the session's link. While the session is reconnecting, `publish`
 * fails at once (pending confirms fail with their channel), with a Retry-After of the next try.
 */
export class JobPublisher {
  private closed = false;
  private connectedOnce = false;
  /** The sender over the open link, made once per link. */
  private sender?: { readonly link: AmqpLink; readonly send: JobSender };
  private readonly tracer: Tracer;

  constructor(
    private readonly session: AmqpSession,
    private readonly opts: JobPublisherOptions,
  ) {
    this.tracer = opts.tracer ?? trace.getTracer(TRACER_NAME);
    session.subscribe({
      up: () => (this.connectedOnce = true),
      blocked: (reason) => opts.log.warn('the broker blocked publishing', { reason }),
    });
  }

  /** Connects in the background; resolves once connected (or closed). */
  start(): Promise<void> {
    return this.session.connectUntilUp();
  }

  /** Why the first connection is not up yet; null once it has been (whatever happened since). */
  startupReason(): string | null {
    return this.connectedOnce ? null : this.notReadyReason();
  }

  notReadyReason(): string | null {
    if (this.closed) return 'publisher closed';
    const link = this.session.link;
    if (!link) return 'AMQP connection lost; reconnecting';
    return link.blockedBy !== undefined ? 'the broker blocked publishing (resource alarm)' : null;
  }

  /** How long a refused client should wait: a busy moment, or until the session's next connect try. */
  private retryAfterMs(): number {
    return this.session.link ? BUSY_RETRY_AFTER_MS : this.session.nextTryAt - this.opts.clock.now();
  }

  async publish(job: Job, parent?: Context): Promise<void> {
    const link = this.session.link;
    const reason = this.notReadyReason();
    if (reason !== null || !link) {
      throw new BrokerUnavailableError(reason ?? 'publisher closed', this.retryAfterMs());
    }
    let timer: { clear(): void } | undefined;
    // A publish still waiting for the socket when the client is answered 503 must not go out after.
    const giveUp = new AbortController();
    const timeout = new Promise<never>((_, reject) => {
      timer = this.opts.clock.setTimer(() => {
        giveUp.abort();
        reject(new BrokerUnavailableError('no broker confirm in time', BUSY_RETRY_AFTER_MS));
      }, CONFIRM_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.senderOf(link).publishJob(job, {}, parent, giveUp.signal), timeout]);
    } catch (err) {
      if (err instanceof BrokerUnavailableError) throw err;
      throw new BrokerUnavailableError(`publish not confirmed: ${errorMessage(err)}`, this.retryAfterMs());
    } finally {
      timer?.clear();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.session.close();
  }

  private senderOf(link: AmqpLink): JobSender {
    if (this.sender?.link !== link)
      this.sender = { link, send: jobSender(link.publisher, names(this.opts.queuePrefix), this.tracer) };
    return this.sender.send;
  }
}
