import type { Channel, GetMessage } from 'amqplib';
import { replayDeadLetters, type DeadLetter } from '../../../../src/adapters/amqp/dead-letters.js';
import type { ConfirmPublisher } from '../../../../src/adapters/amqp/confirm-publisher.js';
import { H } from '../../../../src/adapters/amqp/headers.js';
import { names } from '../../../../src/adapters/amqp/topology.js';
import { JOB_ID, jobBody } from '../../../helpers/jobs.js';

const n = names('p');

function letter(headers: Record<string, unknown>): GetMessage {
  return {
    content: jobBody(),
    fields: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: n.dead, messageCount: 0 },
    properties: { headers, messageId: JOB_ID },
  } as unknown as GetMessage;
}

function fakes(queue: GetMessage[], publish: () => Promise<void>) {
  const events: string[] = [];
  const ch = {
    checkQueue: () => Promise.resolve({ messageCount: queue.length }),
    get: () => Promise.resolve(queue.shift() ?? false),
    ack: () => events.push('ack'),
    close: () => Promise.resolve(),
  } as unknown as Channel;
  const published: Record<string, unknown>[] = [];
  const publisher = {
    publish: (_e: string, _k: string, _b: Buffer, o: { headers: Record<string, unknown> }) => {
      events.push('publish');
      published.push(o.headers);
      return publish();
    },
  } as unknown as ConfirmPublisher;
  const opts = {
    limit: 10,
    includeInvalid: false,
    resetHistory: (l: DeadLetter) => {
      events.push(`reset ${l.job_id}`);
      return Promise.resolve();
    },
    undoReset: (l: DeadLetter) => {
      events.push(`undo ${l.job_id}`);
      return Promise.resolve();
    },
  };
  return { events, ch, publisher, published, opts };
}

describe('replayDeadLetters', () => {
  it('resets the row, republishes as attempt 1 without failure or "row owed" headers, then acks', async () => {
    const f = fakes(
      [
        letter({
          [H.reason]: 'permanent',
          [H.attempt]: 1,
          [H.deadLettered]: 'permanent',
          [H.errorMessage]: 'x',
        }),
      ],
      () => Promise.resolve(),
    );
    const result = await replayDeadLetters(f.ch, f.publisher, n, f.opts);
    expect(f.events).toEqual([`reset ${JOB_ID}`, 'publish', 'ack']);
    expect(f.published).toEqual([{ [H.attempt]: 1 }]);
    expect(result.replayed.map((l) => l.job_id)).toEqual([JOB_ID]);
  });

  it('says how many it replayed when a later one fails, and hands them back', async () => {
    let published = 0;
    const f = fakes(
      [
        letter({ [H.reason]: 'permanent' }),
        letter({ [H.reason]: 'permanent' }),
        letter({ [H.reason]: 'permanent' }),
      ],
      () => (++published <= 2 ? Promise.resolve() : Promise.reject(new Error('channel closed'))),
    );
    const err = await replayDeadLetters(f.ch, f.publisher, n, f.opts).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({
      name: 'ReplayInterrupted',
      message: 'replay stopped after 2 replayed: channel closed',
    });
    expect((err as unknown as { done: { replayed: unknown[] } }).done.replayed).toHaveLength(2);
    expect(f.events.filter((e) => e === 'ack')).toHaveLength(2);
  });

  it('puts the row back to failed and keeps the dead letter when the republish fails', async () => {
    const f = fakes([letter({ [H.reason]: 'permanent' })], () => Promise.reject(new Error('channel closed')));
    await expect(replayDeadLetters(f.ch, f.publisher, n, f.opts)).rejects.toThrow('channel closed');
    expect(f.events).toEqual([`reset ${JOB_ID}`, 'publish', `undo ${JOB_ID}`]);
  });
});
