import amqp, { type Channel, type ChannelModel, type ConsumeMessage, type GetMessage } from 'amqplib';
import { ConfirmPublisher } from '../adapters/amqp/confirm-publisher';
import { toDelivery } from '../adapters/amqp/delivery';
import { AmqpJobBus } from '../adapters/amqp/job-bus';
import { assertTopology, describeTopology, names, type Names } from '../adapters/amqp/topology';
import { setMaxListeners } from 'node:events';
import { errorMessage } from '../domain/errors';
import { processDelivery, type Outcome, type ProcessDeps } from './process-delivery';

export type WorkerState = 'starting' | 'running' | 'draining' | 'stopped';

export interface WorkerOptions {
  readonly amqpUrl: string;
  readonly queuePrefix: string;
  readonly concurrency: number;
  readonly deliveryLimit: number;
  readonly suspectPollMs: number;
  /** Called once when the broker connection is lost while running (the process should exit). */
  readonly onFatal: (err: Error) => void;
  /** Called after each delivery settles (tests and the demo count with it). */
  readonly onOutcome?: (outcome: Outcome) => void;
}

/**
 * The consumer loop. Fresh jobs run up to `concurrency` at once. A redelivered job may be the one
 * that killed its previous worker, and every unacked message on a dying connection is charged a
 * delivery: so redelivered jobs are moved to the suspect queue, and the worker runs those one at a
 * time with nothing else in hand (consumer cancelled, in-flight jobs drained). A crashing job then
 * only ever takes itself down, and its own redelivery count ends it in the dead-letter queue.
 */
export class Worker {
  state: WorkerState = 'starting';
  private conn?: ChannelModel;
  private ch?: Channel;
  private channelOpen = false;
  private consumerTag?: string;
  /** The running solo round, if any. */
  private soloRun?: Promise<void>;
  private poll?: NodeJS.Timeout;
  private readonly inflight = new Set<Promise<void>>();
  private readonly n: Names;
  private readonly shutdown = abortController();
  private deps?: ProcessDeps;

  constructor(
    private readonly opts: WorkerOptions,
    /** May wait for resources opened alongside the broker connection (the ORM). */
    private readonly makeDeps: (bus: AmqpJobBus, shutdown: AbortSignal) => ProcessDeps | Promise<ProcessDeps>,
  ) {
    this.n = names(opts.queuePrefix);
  }

  async start(): Promise<void> {
    const conn = await amqp.connect(this.opts.amqpUrl, {
      clientProperties: { connection_name: 'enhancer-worker' },
    });
    this.conn = conn;
    conn.on('error', () => undefined); // 'close' follows with the error
    conn.on('close', (err?: Error) => this.lost(err ?? new Error('connection closed')));
    const publishCh = await conn.createConfirmChannel();
    publishCh.on('error', () => undefined);
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    ch.on('close', () => {
      this.channelOpen = false;
    });
    this.ch = ch;
    this.channelOpen = true;
    await assertTopology(conn, describeTopology(this.opts.queuePrefix, this.opts.deliveryLimit));
    await ch.prefetch(this.opts.concurrency);
    this.deps = await this.makeDeps(
      new AmqpJobBus(new ConfirmPublisher(publishCh), this.n),
      this.shutdown.signal,
    );
    this.state = 'running';
    await this.consume();
    this.poll = setInterval(() => void this.checkSuspects(), this.opts.suspectPollMs);
    this.poll.unref();
    void this.checkSuspects(); // a crash may have left some
  }

  /** Null when ready to take jobs, else why not. */
  notReadyReason(): string | null {
    if (this.state !== 'running') return `worker is ${this.state}`;
    if (!this.channelOpen) return 'AMQP channel closed';
    if (!this.consumerTag && !this.soloRun) return 'not consuming';
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
    if (this.poll) clearInterval(this.poll);
    await this.cancelConsumer();
    if (!(await this.settled(graceMs))) {
      this.shutdown.abort();
      await this.settled(forceMs);
    }
    await this.close();
    this.state = 'stopped';
  }

  private async close(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return;
    conn.removeAllListeners('close');
    conn.on('close', () => undefined);
    try {
      // Channel first: its close-ok comes after the broker took our acks.
      if (this.channelOpen) await this.ch?.close();
      await conn.close();
    } catch {
      // Already closed.
    }
  }

  private async consume(): Promise<void> {
    const ch = this.ch!;
    const { consumerTag } = await ch.consume(this.n.jobs, (msg) => this.onMessage(ch, msg), { noAck: false });
    this.consumerTag = consumerTag;
    // Shutdown began while the consumer was being registered: it must not take new jobs.
    if (this.state !== 'running') await this.cancelConsumer();
  }

  private onMessage(ch: Channel, msg: ConsumeMessage | null): void {
    if (!msg) {
      this.lost(new Error(`consumer cancelled by the broker (queue ${this.n.jobs} deleted?)`));
      return;
    }
    this.track(
      processDelivery(
        toDelivery(ch, msg, () => this.channelOpen && this.ch === ch),
        this.deps!,
        'fresh',
      ).then((outcome) => {
        this.opts.onOutcome?.(outcome);
        if (outcome === 'quarantined') void this.enterSolo();
      }),
    );
  }

  private track(p: Promise<void>): void {
    const t = p.catch((err: unknown) =>
      this.deps?.log.error('delivery handler failed', { error_message: errorMessage(err) }),
    );
    this.inflight.add(t);
    void t.finally(() => this.inflight.delete(t));
  }

  private async checkSuspects(): Promise<void> {
    if (this.state !== 'running' || this.soloRun || !this.channelOpen) return;
    try {
      const { messageCount } = await this.ch!.checkQueue(this.n.suspect);
      if (messageCount > 0) await this.enterSolo();
    } catch (err) {
      this.deps?.log.warn('could not check the suspect queue', { error_message: errorMessage(err) });
    }
  }

  /** Run waiting suspects one by one with nothing else in hand, then go back to fresh jobs. */
  private enterSolo(): Promise<void> {
    // A round already running takes new suspects too: it runs until the suspect queue is empty.
    if (this.soloRun || this.state !== 'running') return this.soloRun ?? Promise.resolve();
    this.soloRun = this.runSuspects().finally(() => {
      this.soloRun = undefined;
    });
    return this.soloRun;
  }

  private async runSuspects(): Promise<void> {
    try {
      await this.cancelConsumer();
      await Promise.all([...this.inflight]);
      // Bounded, so a stream of suspects cannot starve fresh jobs.
      for (let i = 0; i < Math.max(8, this.opts.concurrency) && this.state === 'running'; i++) {
        const ch = this.ch!;
        const msg: GetMessage | false = await ch.get(this.n.suspect, { noAck: false });
        if (!msg) break;
        const outcome = await processDelivery(
          toDelivery(ch, msg, () => this.channelOpen && this.ch === ch),
          this.deps!,
          'solo',
        );
        this.opts.onOutcome?.(outcome);
      }
      if (this.state === 'running' && this.channelOpen) await this.consume();
    } catch (err) {
      if (this.state !== 'running') return;
      this.deps?.log.error('running suspects failed', { error_message: errorMessage(err) });
      this.lost(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async cancelConsumer(): Promise<void> {
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    if (tag && this.channelOpen) await this.ch!.cancel(tag).catch(() => undefined);
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

  private lost(err: Error): void {
    if (this.state !== 'running') return;
    this.channelOpen = false;
    this.state = 'stopped';
    if (this.poll) clearInterval(this.poll);
    this.opts.onFatal(err);
  }
}

/** One shutdown signal that every running attempt listens to: as many listeners as jobs in flight. */
function abortController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}
