import type { Channel, Message } from 'amqplib';
import { AckBuffer } from '../../../../src/adapters/amqp/ack-buffer.js';
import { toDelivery } from '../../../../src/adapters/amqp/delivery.js';

interface FakeChannel {
  readonly calls: string[];
  /** The channel's ack buffer, flushing at once (every ack ends its turn). */
  readonly channel: AckBuffer;
}

/** A channel that only records ack and nack, with their arguments. */
function fakeChannel(): FakeChannel {
  const calls: string[] = [];
  const channel = {
    ack: (msg: Message) => calls.push(`ack:${msg.fields.deliveryTag}`),
    nack: (msg: Message, allUpTo?: boolean, requeue?: boolean) =>
      calls.push(`nack:${msg.fields.deliveryTag}:${allUpTo}:${requeue}`),
  } as unknown as Channel;
  return {
    calls,
    channel: new AckBuffer(
      channel,
      () => true,
      (flush) => flush(),
    ),
  };
}

function message(
  opts: { headers?: Record<string, unknown>; redelivered?: boolean; messageId?: unknown } = {},
): Message {
  return {
    content: Buffer.from('{"job":1}'),
    fields: {
      deliveryTag: 7,
      redelivered: opts.redelivered ?? false,
      exchange: 'p',
      routingKey: 'job',
    },
    properties: { headers: opts.headers, messageId: opts.messageId },
  } as unknown as Message;
}

const open = () => true;

describe('toDelivery', () => {
  it('passes the body, message id and headers through', () => {
    const msg = message({
      headers: { 'x-enhancer-first-failure-at': '2026-11-28T10:00:00.000Z' },
      messageId: 'm-1',
    });
    const d = toDelivery(fakeChannel().channel, msg, open);
    expect(d.body).toBe(msg.content);
    expect(d.messageId).toBe('m-1');
    expect(d.firstFailureAt).toBe('2026-11-28T10:00:00.000Z');
    expect(d.headers).toEqual({ 'x-enhancer-first-failure-at': '2026-11-28T10:00:00.000Z' });
  });

  it('reads the first-failure time from a Buffer header too', () => {
    const msg = message({ headers: { 'x-enhancer-first-failure-at': Buffer.from('2026-01-01T00:00:00Z') } });
    expect(toDelivery(fakeChannel().channel, msg, open).firstFailureAt).toBe('2026-01-01T00:00:00Z');
  });

  it('leaves messageId undefined when it is not a string', () => {
    expect(toDelivery(fakeChannel().channel, message({ messageId: 42 }), open).messageId).toBeUndefined();
  });

  it.each([
    ['absent', undefined, 1],
    ['3', 3, 3],
    ['"4" (a string)', '4', 4],
    ['5n (a bigint)', 5n, 5],
    ['0', 0, 1],
    ['-2', -2, 1],
    ['2.5', 2.5, 1],
    ['"abc"', 'abc', 1],
  ])('takes the attempt from x-enhancer-attempt %s → %i', (_what, value, attempt) => {
    const headers = value === undefined ? {} : { 'x-enhancer-attempt': value };
    expect(toDelivery(fakeChannel().channel, message({ headers }), open).attempt).toBe(attempt);
  });

  it('defaults the attempt to 1 when the message has no headers at all', () => {
    const d = toDelivery(fakeChannel().channel, message(), open);
    expect(d.attempt).toBe(1);
    expect(d.headers).toEqual({});
  });

  it.each([
    ['a fresh message', {}, false, false, 0],
    ['a fresh message with carried redeliveries', { 'x-enhancer-redeliveries': 3 }, false, false, 3],
    ['fields.redelivered', {}, true, true, 1],
    ['fields.redelivered with carried redeliveries', { 'x-enhancer-redeliveries': 3 }, true, true, 4],
    ['x-delivery-count 2', { 'x-delivery-count': 2 }, false, true, 2],
    [
      'x-delivery-count 2 with carried redeliveries',
      { 'x-delivery-count': 2, 'x-enhancer-redeliveries': 3 },
      false,
      true,
      5,
    ],
    ['x-delivery-count 0', { 'x-delivery-count': 0 }, false, false, 0],
    ['fields.redelivered and x-delivery-count 4', { 'x-delivery-count': 4 }, true, true, 4],
  ])('%s', (_what, headers, fieldRedelivered, redelivered, redeliveries) => {
    const d = toDelivery(fakeChannel().channel, message({ headers, redelivered: fieldRedelivered }), open);
    expect(d.redelivered).toBe(redelivered);
    expect(d.redeliveries).toBe(redeliveries);
  });

  it('acks through the channel once, however often it is called', () => {
    const ch = fakeChannel();
    const d = toDelivery(ch.channel, message(), open);
    d.ack();
    d.ack();
    d.nack();
    expect(ch.calls).toEqual(['ack:7']);
  });

  it('nacks with requeue through the channel once, and then ignores ack', () => {
    const ch = fakeChannel();
    const d = toDelivery(ch.channel, message(), open);
    d.nack();
    d.nack();
    d.ack();
    expect(ch.calls).toEqual(['nack:7:false:true']);
  });

  it('drops ack and nack while the channel is closed', () => {
    const ch = fakeChannel();
    const d = toDelivery(ch.channel, message(), () => false);
    d.ack();
    d.nack();
    expect(ch.calls).toEqual([]);
  });

  it('asks isOpen at settle time, not when the delivery is made', () => {
    const ch = fakeChannel();
    let isOpen = true;
    const d = toDelivery(ch.channel, message(), () => isOpen);
    isOpen = false;
    d.ack();
    expect(ch.calls).toEqual([]);
  });
});
