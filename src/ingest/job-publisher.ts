import type { Context, Tracer } from '@opentelemetry/api';
import { openProducer, type Producer } from '../adapters/amqp/producer';
import type { AmqpBounds } from '../config/schema';
import type { Backoff } from '../domain/retry-policy';
import type { Clock } from '../lib/clock';
import { errorMessage } from '../lib/error-message';
import type { Job } from '../domain/job';
import { backoffMs } from '../domain/retry-policy';
import { retryUntil } from '../lib/retry-until';
import type { Logger } from '../observability/logger';

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
  readonly amqpUrl: string;
  readonly queuePrefix: string;
  readonly deliveryLimit: number;
  readonly connectionName: string;
  readonly amqp: AmqpBounds;
  readonly reconnect: Backoff;
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
  readonly tracer?: Tracer;
}

type State = 'connecting' | 'connected' | 'blocked' | 'closed';

/**
 * Publishes jobs with confirms over one broker connection that it keeps: when the connection drops,
 * `publish` fails at once (pending confirms fail with the channel) and a background loop reconnects with
 * the worker's capped, jittered backoff, declaring the topology again each time.
 */
export class JobPublisher {
  private state: State = 'connecting';
  private connectedOnce = false;
  private producer?: Producer;
  private nextTryAt = 0;
  private connecting?: Promise<void>;
  private readonly stopping = new AbortController();

  constructor(private readonly opts: JobPublisherOptions) {}

  /** Connects in the background; resolves once connected (or closed). */
  start(): Promise<void> {
    this.connecting = this.connect(true).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Why the first connection is not up yet; null once it has been (whatever happened since). */
  startupReason(): string | null {
    return this.connectedOnce ? null : this.notReadyReason();
  }

  notReadyReason(): string | null {
    if (this.state === 'connected') return null;
    if (this.state === 'blocked') return 'the broker blocked publishing (resource alarm)';
    return this.state === 'closed' ? 'publisher closed' : 'AMQP connection lost; reconnecting';
  }

  async publish(job: Job, parent?: Context): Promise<void> {
    const producer = this.producer;
    if (this.state !== 'connected' || !producer) {
      const wait = this.state === 'blocked' ? BUSY_RETRY_AFTER_MS : this.nextTryAt - this.opts.clock.now();
      throw new BrokerUnavailableError(this.notReadyReason()!, wait);
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
      await Promise.race([producer.publishJob(job, {}, parent, giveUp.signal), timeout]);
    } catch (err) {
      if (err instanceof BrokerUnavailableError) throw err;
      throw new BrokerUnavailableError(
        `publish not confirmed: ${errorMessage(err)}`,
        this.state === 'connected' ? BUSY_RETRY_AFTER_MS : this.nextTryAt - this.opts.clock.now(),
      );
    } finally {
      timer?.clear();
    }
  }

  async close(): Promise<void> {
    this.state = 'closed';
    this.stopping.abort();
    await this.connecting;
    const p = this.producer;
    this.producer = undefined;
    await p?.close();
  }

  private async connect(first: boolean): Promise<void> {
    const since = this.opts.clock.now();
    const delay = (n: number) => {
      // The very first connection is tried at once; after a loss, wait first (the broker may be restarting).
      const ms = first && n === 1 ? 0 : backoffMs(first ? n - 1 : n, this.opts.reconnect, this.opts.random());
      this.nextTryAt = this.opts.clock.now() + ms;
      return ms;
    };
    const producer = await retryUntil(
      () =>
        openProducer({
          amqpUrl: this.opts.amqpUrl,
          queuePrefix: this.opts.queuePrefix,
          deliveryLimit: this.opts.deliveryLimit,
          connectionName: this.opts.connectionName,
          amqp: this.opts.amqp,
          tracer: this.opts.tracer,
        }),
      {
        clock: this.opts.clock,
        signal: this.stopping.signal,
        delayMs: delay,
        onFailure: (err, n, next) =>
          this.opts.log.warn(first ? 'broker connect failed' : 'broker reconnect failed', {
            tries: n,
            error_message: errorMessage(err),
            next_delay_ms: next,
          }),
      },
    );
    if (!producer) return;
    if (this.state === 'closed') {
      await producer.close();
      return;
    }
    this.install(producer);
    if (!first) this.opts.log.info('reconnected to the broker', { outage_ms: this.opts.clock.now() - since });
  }

  private install(producer: Producer): void {
    const lost = (err?: Error) => this.lost(producer, err ?? new Error('connection closed'));
    producer.connection.on('close', lost);
    producer.connection.on('blocked', (reason: string) => {
      if (this.producer !== producer) return;
      this.state = 'blocked';
      this.opts.log.warn('the broker blocked publishing', { reason });
    });
    producer.connection.on('unblocked', () => {
      if (this.producer === producer && this.state === 'blocked') this.state = 'connected';
    });
    producer.publisher.channel.on('error', () => undefined); // 'close' follows
    producer.publisher.channel.on('close', () => lost(new Error('AMQP channel closed')));
    this.producer = producer;
    this.state = 'connected';
    this.connectedOnce = true;
  }

  private lost(producer: Producer, err: Error): void {
    if (this.producer !== producer) return;
    this.producer = undefined;
    void producer.close();
    if (this.state === 'closed') return;
    this.state = 'connecting';
    this.opts.log.warn('lost the broker connection; reconnecting', { error_message: err.message });
    this.connecting = this.connect(false).finally(() => (this.connecting = undefined));
  }
}
