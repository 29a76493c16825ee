import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import type { AmqpBounds } from '../../config/schema.js';
import type { Clock } from '../../lib/clock.js';
import { settlesWithin } from '../../lib/with-timeout.js';
import { AckBuffer } from './ack-buffer.js';
import { ConfirmPublisher } from './confirm-publisher.js';
import { connectAmqp, destroySocket } from './connect.js';
import { assertTopology, type Topology } from './topology.js';

export interface LinkOptions {
  readonly url: string;
  /** Shown by `rabbitmqctl list_connections client_properties` and the management UI. */
  readonly connectionName: string;
  /** Connect timeout, heartbeat and keepalive. */
  readonly bounds: AmqpBounds;
  /** Declared on every link, before anything is published or consumed. */
  readonly topology: Topology;
  /** Opens a channel to consume on; a link that only publishes has none. */
  readonly consumes?: boolean;
  readonly clock: Clock;
}

/** What a link tells its owner, the session; nobody else listens to amqplib's objects. */
export interface LinkWatcher {
  lost(err: Error): void;
  blocked(reason: string): void;
  unblocked(): void;
}

/**
 * One broker connection and the channels on it. Once it is lost it stays lost: a delivery settles and
 * republishes only through the link it came on, because after a drop the broker has requeued it, so
 * an ack would hit a stale delivery tag on the next channel and a republish would duplicate the job.
 */
export class AmqpLink {
  private isOpen = true;
  /** The broker let a call go unanswered: later closes skip straight to cutting the socket. */
  private silent = false;
  /** What the connection reported before it closed (a heartbeat timeout, a socket error). */
  private cause?: Error;
  private watcher?: LinkWatcher;
  /** The connection reported its close: there is nothing left to close politely. */
  private connClosed = false;
  /** Why the broker blocks publishing (a resource alarm), while it does. */
  blockedBy?: string;

  constructor(
    private readonly conn: ChannelModel,
    private readonly clock: Clock,
  ) {
    // 'close' follows 'error'; the channels' own closes come first, so the cause is kept for the log.
    conn.on('error', (err: Error) => (this.cause ??= err));
    conn.on('close', (err?: Error) => {
      this.connClosed = true;
      this.lose(err ?? new Error('connection closed'));
    });
    conn.on('blocked', (reason: string) => {
      this.blockedBy = reason;
      if (this.isOpen) this.watcher?.blocked(reason);
    });
    conn.on('unblocked', () => {
      this.blockedBy = undefined;
      if (this.isOpen) this.watcher?.unblocked();
    });
  }

  /** Publishes with confirms; set once the link is open. */
  publisher!: ConfirmPublisher;
  /** The channel deliveries come on (when asked for with `consumes`), and its acks. */
  consumeChannel?: Channel;
  acks?: AckBuffer;
  private publishChannel?: ConfirmChannel;

  get open(): boolean {
    return this.isOpen;
  }

  /** Tells `watcher` of what happens from now on; at once if the link was lost already. */
  watch(watcher: LinkWatcher): void {
    this.watcher = watcher;
    if (!this.isOpen) watcher.lost(this.cause ?? new Error('connection closed'));
  }

  /**
   * Gives the link up: after an unexpected failure (the broker cancelled our consumer, a channel
   * closed). Closing the connection hands back what it holds; a connection that died already (a
   * heartbeat timeout only half-closes its socket) is cut, bounded either way.
   */
  lose(err: Error): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    // Waiting ends with the connection's own close too: one that is already dying never answers ours,
    // and the bound would keep the process alive for nothing.
    const closed = this.connClosed
      ? Promise.resolve()
      : Promise.race([this.conn.close(), new Promise((r) => this.conn.once('close', r))]);
    void settlesWithin(this.clock, CONTROL_TIMEOUT_MS, closed).then(() => destroySocket(this.conn));
    this.watcher?.lost(this.cause ?? err);
  }

  /** Waits for a broker call at most CONTROL_TIMEOUT_MS; false (and the link marked silent) if it overran. */
  async answered(call: Promise<unknown>): Promise<boolean> {
    if (this.silent) {
      call.catch(() => undefined);
      return false;
    }
    const ok = await settlesWithin(this.clock, CONTROL_TIMEOUT_MS, call);
    if (!ok) this.silent = true;
    return ok;
  }

  /**
   * Closes politely (a channel first: its close-ok comes after the broker took our acks), each step
   * bounded, then cuts the socket: a silent broker must not hold up a stop. Tells the watcher nothing.
   */
  async close(): Promise<void> {
    const wasOpen = this.isOpen;
    // The acks of this turn, before the channel goes: else the broker would requeue finished jobs.
    this.acks?.flush();
    this.isOpen = false;
    const ch = this.consumeChannel ?? this.publishChannel;
    if (wasOpen && ch && !this.silent) await this.answered(ch.close());
    if (!this.silent) await this.answered(this.conn.close());
    destroySocket(this.conn);
  }

  /** Opens the channels of `opts` on this connection and declares the topology. */
  async setUp(opts: LinkOptions): Promise<void> {
    const publishCh = (this.publishChannel = await this.conn.createConfirmChannel());
    publishCh.on('error', () => undefined); // 'close' follows
    publishCh.on('close', () => this.lose(new Error('AMQP publish channel closed')));
    this.publisher = new ConfirmPublisher(publishCh);
    if (opts.consumes) {
      const ch = await this.conn.createChannel();
      ch.on('error', () => undefined);
      ch.on('close', () => this.lose(new Error('AMQP channel closed')));
      this.consumeChannel = ch;
      this.acks = new AckBuffer(ch, () => this.isOpen);
    }
    // Idempotent: a producer that starts before any worker must not publish into nothing.
    await assertTopology(this.conn, opts.topology);
  }
}

/** Connects, opens the channels and declares the topology; a failure on the way closes what was opened. */
export async function openLink(opts: LinkOptions): Promise<AmqpLink> {
  const link = new AmqpLink(await connectAmqp(opts.url, opts.connectionName, opts.bounds), opts.clock);
  try {
    await link.setUp(opts);
    return link;
  } catch (err) {
    await link.close();
    throw err;
  }
}

/** How long a cancel or close may wait for the broker's answer before we move on. */
export const CONTROL_TIMEOUT_MS = 3_000;
