import type { Channel, Message } from 'amqplib';
import { AtTurnEnd } from '../../lib/at-turn-end.js';

/** The part of an amqplib channel that settles deliveries. */
export type Settler = Pick<Channel, 'ack' | 'nack'>;

/**
 * The acks of one channel, sent once per turn of the event loop: the oldest run of acked deliveries
 * as one `multiple` ack, any others one by one. A busy worker settles dozens of deliveries in a turn,
 * mostly in the order they came, and each ack was a frame, a socket write and work for the broker.
 *
 * A `multiple` ack covers every unsettled delivery up to its tag, so it only ever reaches up to the
 * oldest delivery still held (running, or waiting for a slot). Nacks go at once. The channel's close
 * flushes first, so the last acks reach the broker before the channel is gone; on a channel that
 * closed meanwhile they are dropped, as the broker has requeued those messages already.
 */
export class AckBuffer {
  /** Delivery tags in the order they came (ascending); from `head` on, not known to be settled. */
  private tags: number[] = [];
  private head = 0;
  /** Settled already (nacked, or acked alone): skipped when the head reaches them. */
  private readonly gone = new Set<number>();
  /** Acked since the last flush. */
  private readonly acked = new Set<number>();
  private readonly turnEnd: AtTurnEnd;

  constructor(
    private readonly ch: Settler,
    private readonly isOpen: () => boolean,
    atTurnEnd?: (flush: () => void) => void,
  ) {
    this.turnEnd = new AtTurnEnd(() => this.flush(), atTurnEnd);
  }

  /** Every delivery on the channel, consumed or got, in the order the broker numbered them. */
  delivered(tag: number): void {
    this.tags.push(tag);
  }

  ack(tag: number): void {
    this.acked.add(tag);
    this.turnEnd.request();
  }

  /** Back to the queue, at once. */
  nack(tag: number): void {
    this.ch.nack(message(tag), false, true);
    this.gone.add(tag);
  }

  /** Sends the acks waiting for the end of the turn. */
  flush(): void {
    if (this.acked.size === 0) return;
    try {
      if (this.isOpen()) this.send();
    } catch {
      // amqplib throws on every send once the channel is closing, before it reports the close. This
      // runs from the event loop, not from a job's code: a throw would crash the worker. The broker
      // requeues what the channel held, and the link reports the close.
    } finally {
      this.acked.clear();
    }
  }

  private send(): void {
    let upTo: number | undefined;
    while (this.head < this.tags.length) {
      const tag = this.tags[this.head]!;
      if (this.gone.delete(tag)) this.head++;
      else if (this.acked.delete(tag)) {
        upTo = tag;
        this.head++;
      } else break;
    }
    if (upTo !== undefined) this.ch.ack(message(upTo), true);
    for (const tag of this.acked) {
      this.ch.ack(message(tag), false);
      this.gone.add(tag);
    }
    if (this.head >= COMPACT_AT) {
      this.tags = this.tags.slice(this.head);
      this.head = 0;
    }
  }
}

/** Settled tags at the front of `tags` are dropped once there are this many. */
const COMPACT_AT = 1_024;

/** All of a message that amqplib's ack and nack read. */
const message = (deliveryTag: number) => ({ fields: { deliveryTag } }) as Message;
