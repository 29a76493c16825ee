import { EventEmitter } from 'node:events';
import type { ConfirmChannel } from 'amqplib';
import { ConfirmPublisher, UnroutableError } from '../../../../src/adapters/amqp/confirm-publisher.js';

/** A confirm channel whose socket buffer is full after the first publish, until `drain`. */
class FakeChannel extends EventEmitter {
  readonly sent: { key: string; options: Record<string, unknown>; confirm: (err: unknown) => void }[] = [];
  full = false;
  publish(
    _ex: string,
    key: string,
    _body: Buffer,
    options: Record<string, unknown>,
    cb: (err: unknown) => void,
  ) {
    this.sent.push({ key, options, confirm: cb });
    return !this.full;
  }
}

const publisherOn = (ch: FakeChannel) => new ConfirmPublisher(ch as unknown as ConfirmChannel);

describe('ConfirmPublisher', () => {
  it('sends every message mandatory with a correlation id of its own', async () => {
    const ch = new FakeChannel();
    const p = publisherOn(ch);
    const a = p.publish('x', 'k', Buffer.from('a'), { messageId: 'a' });
    const b = p.publish('x', 'k', Buffer.from('b'), { messageId: 'b' });
    await Promise.resolve();
    expect(ch.sent.map((s) => s.options)).toEqual([
      { messageId: 'a', mandatory: true, correlationId: '1' },
      { messageId: 'b', mandatory: true, correlationId: '2' },
    ]);
    ch.sent.forEach((s) => s.confirm(null));
    await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
  });

  it('fails the one message the broker returned before confirming it', async () => {
    const ch = new FakeChannel();
    const p = publisherOn(ch);
    const a = p.publish('x', 'k', Buffer.from('a'), {});
    const b = p.publish('x', 'nowhere', Buffer.from('b'), {});
    await Promise.resolve();
    ch.emit('return', { properties: { correlationId: '2' } });
    ch.sent.forEach((s) => s.confirm(null));
    await expect(a).resolves.toBeUndefined();
    await expect(b).rejects.toBeInstanceOf(UnroutableError);
  });

  it('gives up a message still waiting for the socket when its signal aborts: it is never sent', async () => {
    const ch = new FakeChannel();
    ch.full = true;
    const p = publisherOn(ch);
    const first = p.publish('x', 'k', Buffer.from('a'), {});
    const giveUp = new AbortController();
    const second = p.publish('x', 'k', Buffer.from('b'), {}, giveUp.signal);
    await Promise.resolve();
    expect(ch.sent).toHaveLength(1);
    giveUp.abort();
    ch.full = false;
    ch.emit('drain');
    await expect(second).rejects.toThrow();
    expect(ch.sent).toHaveLength(1);
    ch.sent[0]!.confirm(null);
    await expect(first).resolves.toBeUndefined();
  });
});
