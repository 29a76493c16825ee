import type { ConsumerEvents, ConsumerLink, ConsumerPort, Delivery } from '../../src/worker/ports.js';
import { FakeBus, type EventLog } from './fakes.js';
import { jobBody } from './jobs.js';

/**
 * One broker link as a fake: a queue of fresh jobs it hands out while a consumer is registered, never
 * more than the prefetch unsettled at once (as the broker does), and a suspect queue that quarantined
 * jobs land in. Every settle and
 * broker call lands in `events`, prefixed with the link's name; a settle after the link closed is
 * recorded as `stale` (the adapter drops it, as the broker would refuse its tag).
 */
export class FakeLink implements ConsumerLink {
  readonly events: EventLog = [];
  readonly bus: FakeBus;
  /** Fresh jobs waiting in the jobs queue. */
  readonly queue: Delivery[] = [];
  readonly suspects: Delivery[] = [];
  /** The prefetch of the registered consumer. */
  prefetch?: number;
  private onDelivery?: (d: Delivery) => void;
  private unsettled = 0;
  private isOpen = true;
  /** Set to hold a consumer registration until resolved. */
  registration?: Promise<void>;

  constructor(
    readonly name: string,
    private readonly port: FakeConsumerPort,
  ) {
    this.bus = new FakeBus(this.events);
    // As the broker routes it: a quarantined job waits in the suspect queue.
    const quarantine = this.bus.quarantine.bind(this.bus);
    this.bus.quarantine = async (d) => {
      await quarantine(d);
      this.suspects.push(this.delivery({ ...d, redelivered: true }));
    };
  }

  get open(): boolean {
    return this.isOpen;
  }

  get consuming(): boolean {
    return this.isOpen && this.onDelivery !== undefined;
  }

  async consume(prefetch: number, onDelivery: (d: Delivery) => void): Promise<void> {
    this.events.push('consume');
    await this.registration;
    if (!this.isOpen) return;
    this.prefetch = prefetch;
    this.onDelivery = onDelivery;
    this.pump();
  }

  cancel(): Promise<void> {
    if (this.onDelivery) this.events.push('cancel');
    this.onDelivery = undefined;
    return Promise.resolve();
  }

  suspectCount(): Promise<number> {
    return Promise.resolve(this.suspects.length);
  }

  nextSuspect(): Promise<Delivery | undefined> {
    this.events.push('get suspect');
    return Promise.resolve(this.suspects.shift());
  }

  drop(err: Error): void {
    this.port.lose(this, err);
  }

  /** Puts fresh jobs in the queue (each `fields` one job; a job_id of its own by default). */
  publish(...fields: Partial<Delivery>[]): Delivery[] {
    const ds = fields.map((f) => this.delivery(f));
    this.queue.push(...ds);
    this.pump();
    return ds;
  }

  /** A delivery on this link, settled through it. */
  /** `messageId: undefined`, given explicitly: a message without one (its job still has a job_id). */
  delivery(fields: Partial<Delivery> = {}): Delivery {
    const jobIdOf = fields.messageId ?? jobId(++this.port.seq);
    const messageId = 'messageId' in fields && fields.messageId === undefined ? undefined : jobIdOf;
    let settled = false;
    const settle = (what: string) => {
      if (settled) return;
      settled = true;
      this.events.push(this.isOpen ? `${what} ${messageId}` : `stale ${what} ${messageId}`);
      this.unsettled--;
      this.pump();
    };
    return {
      body: jobBody({ job_id: jobIdOf }),
      attempt: 1,
      redelivered: false,
      redeliveries: 0,
      headers: {},
      ...fields,
      messageId,
      ack: () => settle('ack'),
      nack: () => settle('nack'),
    };
  }

  close(): void {
    this.isOpen = false;
    this.onDelivery = undefined;
  }

  /** Hands out what the prefetch allows. */
  private pump(): void {
    while (this.onDelivery && this.isOpen && this.unsettled < (this.prefetch ?? 0) && this.queue.length) {
      this.unsettled++;
      this.onDelivery(this.queue.shift()!);
    }
  }
}

/** The worker's broker, driven by hand: the test decides when links drop and come back. */
export class FakeConsumerPort implements ConsumerPort {
  readonly links: FakeLink[] = [];
  /** What the worker added to the log line of each loss. */
  readonly losses: (Readonly<Record<string, unknown>> | void)[] = [];
  reconnecting = false;
  stopped = false;
  closed = false;
  seq = 0;
  /** Set up each new link before the worker sees it. */
  onLink?: (link: FakeLink) => void;
  private events?: ConsumerEvents;

  get link(): FakeLink {
    return this.links[this.links.length - 1]!;
  }

  connect(events: ConsumerEvents): Promise<ConsumerLink> {
    this.events = events;
    return Promise.resolve(this.newLink());
  }

  stopReconnecting(): Promise<void> {
    this.stopped = true;
    this.reconnecting = false;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    this.link?.close();
    return Promise.resolve();
  }

  /** The connection drops (the broker requeues what the link held). */
  lose(link: FakeLink = this.link, err = new Error('connection closed')): void {
    if (!link.open) return;
    link.close();
    this.losses.push(this.events!.down(link, err));
    this.reconnecting = !this.stopped;
  }

  /** A reconnect try succeeds: a new link, announced to the worker. */
  reconnect(): FakeLink {
    if (!this.reconnecting) throw new Error('not reconnecting');
    this.reconnecting = false;
    const link = this.newLink();
    this.events!.up(link);
    return link;
  }

  private newLink(): FakeLink {
    const link = new FakeLink(`link${this.links.length + 1}`, this);
    this.links.push(link);
    this.onLink?.(link);
    return link;
  }
}

/** The n-th job_id of a test (a valid UUID). */
export function jobId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}
