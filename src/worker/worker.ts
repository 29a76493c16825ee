import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage } from 'amqplib';
import { connectAmqp, destroySocket } from '../adapters/amqp/connect';
import { setMaxListeners } from 'node:events';
import { ConfirmPublisher } from '../adapters/amqp/confirm-publisher';
import { toDelivery } from '../adapters/amqp/delivery';
import { AmqpJobBus } from '../adapters/amqp/job-bus';
import { assertTopology, describeTopology, names, type Names } from '../adapters/amqp/topology';
import type { AmqpBounds } from '../config/schema';
import type { Backoff } from '../domain/retry-policy';
import type { Clock } from '../lib/clock';
import { errorMessage } from '../lib/error-message';
import { backoffMs } from '../domain/retry-policy';
import { retryUntil } from '../lib/retry-until';
import { settlesWithin } from '../lib/with-timeout';
import type { Logger } from '../observability/logger';
import { processDelivery, type Outcome, type ProcessDeps } from './process-delivery';

export type WorkerState = 'starting' | 'running' | 'reconnecting' | 'draining' | 'stopped';

export interface WorkerOptions {
  readonly amqpUrl: string;
  /** Connect timeout, heartbeat and keepalive of every connection it opens. */
  readonly amqpBounds: AmqpBounds;
  /** Shown by `rabbitmqctl list_connections client_properties` and the management UI. */
  readonly connectionName: string;
  readonly queuePrefix: string;
  readonly concurrency: number;
  readonly deliveryLimit: number;
  readonly suspectPollMs: number;
  readonly reconnect: Backoff;
  readonly log: Logger;
  readonly clock: Clock;
  readonly random: () => number;
  /** Called after each delivery settles (tests and the demo count with it). */
  readonly onOutcome?: (outcome: Outcome) => void;
}

/** What processing needs besides the broker; the bus is bound to each connection in turn. */
export type BaseDeps = Omit<ProcessDeps, 'bus'>;

/**
 * One broker connection and what hangs off it. A delivery settles and republishes only through the
 * link it came on: once that link is gone the broker has requeued the message, so an ack would hit a
 * stale delivery tag on the next channel and a republish would duplicate the job.
 */
interface Link {
  readonly conn: ChannelModel;
  ch?: Channel;
  publishCh?: ConfirmChannel;
  deps?: ProcessDeps;
  consumerTag?: string;
  open: boolean;
  /** The broker let a cancel or close go unanswered: later closes skip straight to cutting the socket. */
  silent?: boolean;
  /** What the connection reported before it closed (a heartbeat timeout, a socket error). */
  error?: Error;
  /** message ids delivered on this link and not yet settled, with how many copies. */
  readonly holding: Map<string, number>;
}

/**
 * The consumer loop. Fresh jobs run up to `concurrency` at once. A redelivered job may be the one
 * that killed its previous worker, and every unacked message on a dying connection is charged a
 * delivery: so redelivered jobs are moved to the suspect queue, and the worker runs those one at a
 * time with nothing else in hand (consumer cancelled, in-flight jobs drained). A crashing job then
 * only ever takes itself down, and its own redelivery count ends it in the dead-letter queue.
 *
 * When the connection or a channel drops, the worker reconnects with capped, jittered backoff until it
 * succeeds or is stopped, declares the topology again and resumes. Jobs it was holding when the link
 * dropped are not suspects when they come back: this process is alive, so they did not kill it.
 */
export class Worker {
  state: WorkerState = 'starting';
  private link?: Link;
  /** A consumer registration in flight (awaited before cancelling, or its deliveries slip past). */
  private consuming?: Promise<void>;
  /** The running solo round, if any. */
  private soloRun?: Promise<void>;
  private poll?: NodeJS.Timeout;
  private reconnecting?: Promise<void>;
  private readonly inflight = new Set<Promise<void>>();
  private readonly n: Names;
  /** Aborts running attempts when shutdown runs out of grace. */
  private readonly shutdown = abortController();
  /** Ends a reconnect loop when the worker stops. */
  private readonly stopping = new AbortController();
  /**
   * Jobs a link that dropped was running: their redeliveries are trusted once each, until the given
   * time (a copy redelivered to another worker must not stay trusted here for good).
   */
  private ownRedeliveries = new Map<string, number>();
  private base?: BaseDeps;

  constructor(
    private readonly opts: WorkerOptions,
    /** May wait for resources opened alongside the broker connection (the ORM). */
    private readonly makeDeps: (shutdown: AbortSignal) => BaseDeps | Promise<BaseDeps>,
  ) {
    this.n = names(opts.queuePrefix);
  }

  async start(): Promise<void> {
    const link = await this.open();
    try {
      this.base = await this.makeDeps(this.shutdown.signal);
    } catch (err) {
      await this.closeLink(link);
      throw err;
    }
    if (!link.open) throw new Error('the broker connection closed during start-up');
    this.install(link);
    this.state = 'running';
    await this.resume();
    this.poll = setInterval(() => void this.checkSuspects(), this.opts.suspectPollMs);
    this.poll.unref();
    void this.checkSuspects(); // a crash may have left some
  }

  /** Null when ready to take jobs, else why not. */
  notReadyReason(): string | null {
    if (this.state === 'reconnecting') return 'AMQP connection lost; reconnecting';
    if (this.state !== 'running') return `worker is ${this.state}`;
    if (!this.link?.open) return 'AMQP channel closed';
    if (!this.link.consumerTag && !this.soloRun) return 'not consuming';
    return null;
  }

  /**
   * Stop consuming at once, let in-flight jobs finish for `graceMs`, then abort the rest (they are
   * republished at the same attempt) and close. What still holds a message then is returned to the
   * queue by the channel's close.
   */
  async stop(graceMs: number, forceMs = 5_000): Promise<void> {
    if (this.state === 'stopped' || this.state === 'draining') return;
    this.state = 'draining';
    this.stopping.abort();
    if (this.poll) clearInterval(this.poll);
    // First let a reconnect end (at once: its waits and tries are aborted), so no consumer it is
    // registering can hand out jobs after the drain below has begun.
    await this.reconnecting;
    await this.cancelConsumer();
    if (!(await this.settled(graceMs))) {
      this.shutdown.abort();
      await this.settled(forceMs);
    }
    const link = this.link;
    this.link = undefined;
    if (link) await this.closeLink(link);
    this.state = 'stopped';
  }

  /** Connects, opens both channels and declares the topology; nothing is consumed yet. */
  private async open(): Promise<Link> {
    const conn = await connectAmqp(this.opts.amqpUrl, this.opts.connectionName, this.opts.amqpBounds);
    const link: Link = { conn, open: true, holding: new Map() };
    // 'close' follows; the channels' own closes come first, so the cause is kept for the log line.
    conn.on('error', (err: Error) => (link.error ??= err));
    conn.on('close', (err?: Error) => this.lost(link, err ?? new Error('connection closed')));
    try {
      const publishCh = await conn.createConfirmChannel();
      publishCh.on('error', () => undefined);
      publishCh.on('close', () => this.lost(link, new Error('AMQP publish channel closed')));
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      ch.on('close', () => this.lost(link, new Error('AMQP channel closed')));
      await assertTopology(conn, describeTopology(this.opts.queuePrefix, this.opts.deliveryLimit));
      await ch.prefetch(this.opts.concurrency);
      link.ch = ch;
      link.publishCh = publishCh;
      return link;
    } catch (err) {
      await this.closeLink(link);
      throw err;
    }
  }

  private install(link: Link): void {
    link.deps = { ...this.base!, bus: new AmqpJobBus(new ConfirmPublisher(link.publishCh!), this.n) };
    this.link = link;
  }

  /**
   * Closes politely (channel first: its close-ok comes after the broker took our acks), each step
   * bounded, then cuts the socket: a silent broker must not hold up a stop.
   */
  private async closeLink(link: Link): Promise<void> {
    const wasOpen = link.open;
    link.open = false;
    if (wasOpen && link.ch && !link.silent) await this.answered(link, link.ch.close());
    if (!link.silent) await this.answered(link, link.conn.close());
    destroySocket(link.conn);
  }

  /** Waits for a broker call at most CONTROL_TIMEOUT_MS; marks `link` silent if it overran. */
  private async answered(link: Link, call: Promise<unknown>): Promise<void> {
    if (!(await settlesWithin(this.opts.clock, CONTROL_TIMEOUT_MS, call))) link.silent = true;
  }

  /** A connection or channel of `link` went away (or the broker cancelled our consumer). */
  private lost(link: Link, err: Error): void {
    if (!link.open) return;
    link.open = false;
    link.consumerTag = undefined;
    // A channel died and the connection may live on (close it), or the connection did (a heartbeat
    // timeout only half-closes its socket): either way the socket goes, bounded.
    void settlesWithin(this.opts.clock, CONTROL_TIMEOUT_MS, link.conn.close()).then(() =>
      destroySocket(link.conn),
    );
    if (this.link !== link) return;
    const trustedUntil = this.opts.clock.now() + TRUST_MS;
    this.ownRedeliveries = new Map([...link.holding.keys()].map((id) => [id, trustedUntil]));
    if (this.state !== 'running') return;
    this.state = 'reconnecting';
    this.opts.log.warn('lost the broker connection; reconnecting', {
      error_message: (link.error ?? err).message,
      jobs_held: link.holding.size,
    });
    this.reconnecting = this.reconnect().finally(() => {
      this.reconnecting = undefined;
    });
  }

  private async reconnect(): Promise<void> {
    const since = this.opts.clock.now();
    const link = await retryUntil(
      async () => {
        const l = await this.open();
        if (!l.open) throw new Error('the connection closed while it was being set up');
        return l;
      },
      {
        clock: this.opts.clock,
        signal: this.stopping.signal,
        discard: (late) => void this.closeLink(late),
        delayMs: (n) => backoffMs(n, this.opts.reconnect, this.opts.random()),
        onFailure: (err, n, next) =>
          this.opts.log.warn('broker reconnect failed', {
            tries: n,
            error_message: errorMessage(err),
            next_delay_ms: next,
          }),
      },
    );
    if (!link) return;
    if (this.state !== 'reconnecting') {
      await this.closeLink(link);
      return;
    }
    this.install(link);
    this.state = 'running';
    this.opts.log.info('reconnected to the broker', { outage_ms: this.opts.clock.now() - since });
    await this.resume();
    void this.checkSuspects();
  }

  /** Consume fresh jobs unless already doing so, running suspects, or not running. */
  private resume(): Promise<void> {
    const link = this.link;
    if (this.consuming) return this.consuming;
    if (this.state !== 'running' || this.soloRun || !link?.open || link.consumerTag) return Promise.resolve();
    this.consuming = (async () => {
      try {
        const { consumerTag } = await link.ch!.consume(this.n.jobs, (msg) => this.onMessage(link, msg), {
          noAck: false,
        });
        if (link.open) link.consumerTag = consumerTag;
      } catch (err) {
        this.lost(link, err instanceof Error ? err : new Error(String(err)));
      }
    })().finally(() => (this.consuming = undefined));
    return this.consuming;
  }

  private onMessage(link: Link, msg: ConsumeMessage | null): void {
    if (!msg) {
      this.lost(link, new Error(`consumer cancelled by the broker (queue ${this.n.jobs} deleted?)`));
      return;
    }
    const d = toDelivery(link.ch!, msg, () => link.open);
    const id = d.messageId;
    const ours = d.redelivered && id !== undefined && this.trusted(id);
    // Only a job that runs here is vouched for later; one merely moved to the suspect queue is not.
    const runs = !d.redelivered || ours;
    if (runs && id !== undefined) link.holding.set(id, (link.holding.get(id) ?? 0) + 1);
    this.track(
      processDelivery(d, link.deps!, ours ? 'trusted' : 'fresh')
        .then((outcome) => {
          this.opts.onOutcome?.(outcome);
          if (outcome === 'quarantined') void this.enterSolo();
        })
        .finally(() => {
          if (!runs || id === undefined) return;
          const left = (link.holding.get(id) ?? 1) - 1;
          if (left > 0) link.holding.set(id, left);
          else link.holding.delete(id);
        }),
    );
  }

  /** Takes `id`'s trust, if this worker holds it still. */
  private trusted(id: string): boolean {
    const until = this.ownRedeliveries.get(id);
    this.ownRedeliveries.delete(id);
    return until !== undefined && until > this.opts.clock.now();
  }

  private track(p: Promise<void>): void {
    const t = p.catch((err: unknown) =>
      this.opts.log.error('delivery handler failed', { error_message: errorMessage(err) }),
    );
    this.inflight.add(t);
    void t.finally(() => this.inflight.delete(t));
  }

  private async checkSuspects(): Promise<void> {
    const link = this.link;
    if (this.state !== 'running' || this.soloRun || !link?.open) return;
    try {
      const { messageCount } = await link.ch!.checkQueue(this.n.suspect);
      if (messageCount > 0) await this.enterSolo();
    } catch (err) {
      if (link.open)
        this.opts.log.warn('could not check the suspect queue', { error_message: errorMessage(err) });
    }
  }

  /** Run waiting suspects one by one with nothing else in hand, then go back to fresh jobs. */
  private enterSolo(): Promise<void> {
    // A round already running takes new suspects too: it runs until the suspect queue is empty.
    if (this.soloRun || this.state !== 'running') return this.soloRun ?? Promise.resolve();
    this.soloRun = this.runSuspects().finally(() => {
      this.soloRun = undefined;
      void this.resume();
    });
    return this.soloRun;
  }

  private async runSuspects(): Promise<void> {
    let link: Link | undefined;
    try {
      await this.cancelConsumer();
      await Promise.all([...this.inflight]);
      // Bounded, so a stream of suspects cannot starve fresh jobs.
      for (let i = 0; i < Math.max(8, this.opts.concurrency) && this.state === 'running'; i++) {
        // Read each time: the link may have been replaced by a reconnect while we waited.
        const current = (link = this.link);
        if (!current?.open) return;
        const msg: GetMessage | false = await current.ch!.get(this.n.suspect, { noAck: false });
        if (!msg) return;
        const outcome = await processDelivery(
          toDelivery(current.ch!, msg, () => current.open),
          current.deps!,
          'solo',
        );
        this.opts.onOutcome?.(outcome);
      }
    } catch (err) {
      // A dropped link is the reconnect's business; anything else drops it so we start clean.
      if (this.state !== 'running' || !link?.open) return;
      this.opts.log.error('running suspects failed', { error_message: errorMessage(err) });
      this.lost(link, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Bounded: over a silent broker, the stop goes on (and the close that follows returns the messages). */
  private async cancelConsumer(): Promise<void> {
    const link = this.link;
    if (this.consuming && link) await this.answered(link, this.consuming);
    const tag = link?.consumerTag;
    if (!link || !tag) return;
    link.consumerTag = undefined;
    if (link.open && !link.silent) await this.answered(link, link.ch!.cancel(tag));
  }

  /** Resolves true once nothing is in flight, false if `ms` passed first. */
  private async settled(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    const idle = (async () => {
      // Waits on the real work each round (never spins): new work may start while we wait.
      while (this.inflight.size > 0 || this.soloRun) await Promise.all([...this.inflight, this.soloRun]);
      return true as const;
    })();
    const result = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return result;
  }
}

/** How long a cancel or close may wait for the broker's answer before the worker moves on. */
const CONTROL_TIMEOUT_MS = 3_000;

/**
 * How long jobs held when a link dropped stay trusted. The broker redelivers them as soon as they are
 * requeued, so their copies come back (here or elsewhere) within moments of the reconnect.
 */
const TRUST_MS = 60_000;

/** One shutdown signal that every running attempt listens to: as many listeners as jobs in flight. */
function abortController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}
