import amqp, { type ChannelModel } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { ConfirmPublisher, UnroutableError } from '../../src/adapters/amqp/confirm-publisher.js';
import { AMQP_URL } from '../helpers/services.js';

describe('ConfirmPublisher against RabbitMQ', () => {
  let conn: ChannelModel;
  let publisher: ConfirmPublisher;
  const exchange = `t.confirm_${randomBytes(4).toString('hex')}`;
  const queue = `${exchange}.q`;

  beforeAll(async () => {
    conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createConfirmChannel();
    await ch.assertExchange(exchange, 'direct', { autoDelete: false });
    await ch.assertQueue(queue, { exclusive: true });
    await ch.bindQueue(queue, exchange, 'bound');
    publisher = new ConfirmPublisher(ch);
  });
  afterAll(async () => {
    await publisher.channel.deleteExchange(exchange);
    await conn.close();
  });

  it('resolves once a queue has the message', async () => {
    await publisher.publish(exchange, 'bound', Buffer.from('{}'), { messageId: 'a' });
    const got = await publisher.channel.get(queue, { noAck: true });
    expect(got && got.properties.messageId).toBe('a');
  });

  it('fails a message the broker confirmed but could route nowhere, and only that one', async () => {
    const results = await Promise.allSettled([
      publisher.publish(exchange, 'bound', Buffer.from('{}'), {}),
      publisher.publish(exchange, 'nowhere', Buffer.from('{}'), {}),
      publisher.publish('', `${queue}.missing`, Buffer.from('{}'), {}),
      publisher.publish(exchange, 'bound', Buffer.from('{}'), {}),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    for (const r of results.filter((x) => x.status === 'rejected')) {
      expect(r.reason).toBeInstanceOf(UnroutableError);
    }
    expect((await publisher.channel.checkQueue(queue)).messageCount).toBe(2);
  });
});
