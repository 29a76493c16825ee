import type { ConsumerEvents, ConsumerLink, ConsumerPort, Delivery, JobBus } from '../../worker/ports.js';
import { toDelivery } from './delivery.js';
import { AmqpJobBus } from './job-bus.js';
import type { AmqpLink } from './link.js';
import type { AmqpSession } from './session.js';
import type { Names } from './topology.js';

/**
 * The worker's consumer port on RabbitMQ: fresh jobs from the jobs queue, suspects one by one from the
 * suspect queue, over the links of `session` (which must open a consume channel: `consumes`).
 */
export class AmqpConsumer implements ConsumerPort {
  /** The port's view of each of the session's links. */
  private readonly views = new WeakMap<AmqpLink, LinkView>();

  constructor(
    private readonly session: AmqpSession,
    private readonly n: Names,
  ) {}

  async connect(events: ConsumerEvents): Promise<ConsumerLink> {
    let connected = false;
    this.session.subscribe({
      // The first link is the one connect() returns, not an event.
      up: (link) => (connected ? events.up(this.view(link)) : undefined),
      down: (link, err) => events.down(this.view(link), err) ?? undefined,
    });
    const link = this.view(await this.session.connect());
    connected = true;
    return link;
  }

  stopReconnecting(): Promise<void> {
    return this.session.endRecovery();
  }

  close(): Promise<void> {
    return this.session.close();
  }

  private view(link: AmqpLink): LinkView {
    let v = this.views.get(link);
    if (!v) this.views.set(link, (v = new LinkView(link, this.n)));
    return v;
  }
}

class LinkView implements ConsumerLink {
  readonly bus: JobBus;
  private consumerTag?: string;
  /** A consumer registration in flight (awaited before cancelling, or its deliveries slip past). */
  private registering?: Promise<void>;
  private prefetch?: number;

  constructor(
    private readonly link: AmqpLink,
    private readonly n: Names,
  ) {
    this.bus = new AmqpJobBus(link.publisher, n);
  }

  get open(): boolean {
    return this.link.open;
  }

  get consuming(): boolean {
    return this.link.open && this.consumerTag !== undefined;
  }

  consume(prefetch: number, onDelivery: (d: Delivery) => void): Promise<void> {
    if (this.registering) return this.registering;
    if (!this.link.open || this.consumerTag) return Promise.resolve();
    const ch = this.channel;
    this.registering = (async () => {
      // Once per channel, before its first consumer, as it has always been set.
      if (this.prefetch !== prefetch) {
        await ch.prefetch(prefetch);
        this.prefetch = prefetch;
      }
      const { consumerTag } = await ch.consume(
        this.n.jobs,
        (msg) => {
          if (msg) onDelivery(toDelivery(this.acks, msg, () => this.link.open));
          else this.drop(new Error(`consumer cancelled by the broker (queue ${this.n.jobs} deleted?)`));
        },
        { noAck: false },
      );
      if (this.link.open) this.consumerTag = consumerTag;
    })().finally(() => (this.registering = undefined));
    return this.registering;
  }

  /** Bounded: over a silent broker, the stop goes on (and the close that follows returns the messages). */
  async cancel(): Promise<void> {
    if (this.registering) await this.link.answered(this.registering.catch(() => undefined));
    const tag = this.consumerTag;
    if (!tag) return;
    this.consumerTag = undefined;
    if (this.link.open) await this.link.answered(this.channel.cancel(tag));
  }

  async suspectCount(): Promise<number> {
    return (await this.channel.checkQueue(this.n.suspect)).messageCount;
  }

  async nextSuspect(): Promise<Delivery | undefined> {
    const ch = this.channel;
    const msg = await ch.get(this.n.suspect, { noAck: false });
    return msg ? toDelivery(this.acks, msg, () => this.link.open) : undefined;
  }

  drop(err: Error): void {
    this.consumerTag = undefined;
    this.link.lose(err);
  }

  private get channel() {
    return this.link.consumeChannel!;
  }

  private get acks() {
    return this.link.acks!;
  }
}
