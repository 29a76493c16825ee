import { backoffMs, type Backoff } from '../../domain/retry-policy.js';
import { errorMessage } from '../../lib/error-message.js';
import { retryUntil } from '../../lib/retry-until.js';
import type { Fields, Logger } from '../../observability/logger.js';
import { openLink, type AmqpLink, type LinkOptions } from './link.js';

export interface SessionOptions extends LinkOptions {
  /** The capped, jittered backoff between tries (AMQP_RECONNECT_*). */
  readonly reconnect: Backoff;
  /** In [0, 1): the jitter. */
  readonly random: () => number;
  readonly log: Logger;
  /** Opens one link; tests pass a fake. */
  readonly open?: (opts: LinkOptions) => Promise<AmqpLink>;
}

/** What a subscriber hears; each is told in the order they subscribed. */
export interface SessionListener {
  /** A link is open (the first, or one after a loss): the topology is declared on it. */
  up?(link: AmqpLink): void;
  /**
   * `link` is gone. The loss is logged once, by the session; what a listener returns is added to that
   * line (the worker: how many jobs it held).
   */
  down?(link: AmqpLink, err: Error): Fields | void;
  blocked?(reason: string): void;
  unblocked?(): void;
}

/**
 * The one owner of a broker connection (as Rascal's Vhost is): it opens the link (connection, confirm
 * channel, optional consume channel, topology), and when the connection or a channel drops it
 * reconnects with capped, jittered backoff until it succeeds or is ended, declaring the topology again
 * each time. The worker and the ingest publisher subscribe to its events instead of touching amqplib.
 */
export class AmqpSession {
  private current?: AmqpLink;
  private recovering?: Promise<void>;
  /** Ends recovery: no new tries, and one in progress is abandoned at once. */
  private readonly ending = new AbortController();
  private readonly listeners: SessionListener[] = [];
  /** When the next connect try is due (a 503's Retry-After). */
  nextTryAt = 0;

  constructor(private readonly opts: SessionOptions) {}

  /** The open link, if any. */
  get link(): AmqpLink | undefined {
    return this.current;
  }

  subscribe(listener: SessionListener): void {
    this.listeners.push(listener);
  }

  /** One try, no retry (a worker that cannot reach the broker at start exits): the link, or a rejection. */
  async connect(): Promise<AmqpLink> {
    const link = await this.openOne();
    if (this.ending.signal.aborted) {
      await link.close();
      throw new Error('the broker session was closed while connecting');
    }
    this.install(link);
    return link;
  }

  /**
   * Tries at once, then with backoff, until connected or closed; resolves then. Each failed try is
   * logged ('broker connect failed').
   */
  connectUntilUp(): Promise<void> {
    return this.startRecovery(true);
  }

  /** No more reconnecting; a try in progress is abandoned at once. The open link stays open. */
  async endRecovery(): Promise<void> {
    this.ending.abort();
    await this.recovering;
  }

  /** Ends recovery, then closes the link (bounded: a silent broker does not hold it up). */
  async close(): Promise<void> {
    await this.endRecovery();
    const link = this.current;
    this.current = undefined;
    await link?.close();
  }

  private openOne(): Promise<AmqpLink> {
    return (this.opts.open ?? openLink)(this.opts);
  }

  private install(link: AmqpLink): void {
    this.current = link;
    for (const l of this.listeners) l.up?.(link);
    // Last: a link lost while it was being set up is reported lost at once.
    link.watch({
      lost: (err) => this.lost(link, err),
      blocked: (reason) => this.listeners.forEach((l) => l.blocked?.(reason)),
      unblocked: () => this.listeners.forEach((l) => l.unblocked?.()),
    });
  }

  /** The one recovery path: the connection's close and every channel's close end up here. */
  private lost(link: AmqpLink, err: Error): void {
    if (this.current !== link) return;
    this.current = undefined;
    const fields: Fields = {};
    for (const l of this.listeners) Object.assign(fields, l.down?.(link, err));
    if (this.ending.signal.aborted) return;
    this.opts.log.warn('lost the broker connection; reconnecting', { error_message: err.message, ...fields });
    void this.startRecovery(false);
  }

  private startRecovery(first: boolean): Promise<void> {
    const p: Promise<void> = this.recover(first).finally(() => {
      if (this.recovering === p) this.recovering = undefined;
    });
    this.recovering = p;
    return p;
  }

  /** Until a link is open or recovery is ended. The very first connection is tried at once. */
  private async recover(first: boolean): Promise<void> {
    const since = this.opts.clock.now();
    const link = await retryUntil(
      async () => {
        const l = await this.openOne();
        if (!l.open) throw new Error('the connection closed while it was being set up');
        return l;
      },
      {
        clock: this.opts.clock,
        signal: this.ending.signal,
        discard: (late) => void late.close(),
        // After a loss, wait first: the broker may be restarting.
        delayMs: (n) => {
          const ms =
            first && n === 1 ? 0 : backoffMs(first ? n - 1 : n, this.opts.reconnect, this.opts.random());
          this.nextTryAt = this.opts.clock.now() + ms;
          return ms;
        },
        onFailure: (e, n, next) =>
          this.opts.log.warn(first ? 'broker connect failed' : 'broker reconnect failed', {
            tries: n,
            error_message: errorMessage(e),
            next_delay_ms: next,
          }),
      },
    );
    if (!link) return;
    if (this.ending.signal.aborted) {
      await link.close();
      return;
    }
    this.install(link);
    if (!first) this.opts.log.info('reconnected to the broker', { outage_ms: this.opts.clock.now() - since });
  }
}
