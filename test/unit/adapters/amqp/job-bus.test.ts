import type { Options } from 'amqplib';
import type { ConfirmPublisher } from '../../../../src/adapters/amqp/confirm-publisher.js';
import { H } from '../../../../src/adapters/amqp/headers.js';
import { AmqpJobBus } from '../../../../src/adapters/amqp/job-bus.js';
import { names, retryRoutingKey } from '../../../../src/adapters/amqp/topology.js';
import { fakeDelivery } from '../../../helpers/fakes.js';

interface Published {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly options: Options.Publish;
}

function recordingPublisher(): { published: Published[]; publisher: ConfirmPublisher } {
  const published: Published[] = [];
  const publisher = {
    publish: (exchange: string, routingKey: string, body: Buffer, options: Options.Publish) => {
      published.push({ exchange, routingKey, body, options });
      return Promise.resolve();
    },
  } as unknown as ConfirmPublisher;
  return { published, publisher };
}

const n = names('p');
const body = Buffer.from('{"job":1}');
const failure = { errorType: 'TransientError', errorMessage: 'flaky', at: '2026-11-28T12:00:00.000Z' };
const brokerHeaders = { 'x-death': [{ count: 1 }], 'x-delivery-count': 2, 'x-first-death-queue': 'q' };

describe('AmqpJobBus', () => {
  it('delay: publishes through the retry ladder as the given attempt, with failure headers', async () => {
    const { published, publisher } = recordingPublisher();
    const d = fakeDelivery([], {
      body,
      messageId: 'job-1',
      headers: { ...brokerHeaders, [H.attempt]: 1, 'x-custom': 'kept' },
    });

    await new AmqpJobBus(publisher, n).delay(d, { attempt: 2, delayMs: 4_000, failure });

    expect(published).toEqual([
      {
        exchange: 'p.retry.l23',
        routingKey: retryRoutingKey(4_000),
        body,
        options: {
          persistent: true,
          contentType: 'application/json',
          messageId: 'job-1',
          headers: {
            [H.attempt]: 2,
            'x-custom': 'kept',
            [H.firstFailureAt]: failure.at,
            [H.lastFailureAt]: failure.at,
            [H.errorType]: 'TransientError',
            [H.errorMessage]: 'flaky',
            [H.redeliveries]: 0,
          },
        },
      },
    ]);
  });

  it('delay: keeps the first failure time of an earlier attempt, and adds no failure headers for a wait-out', async () => {
    const { published, publisher } = recordingPublisher();
    const bus = new AmqpJobBus(publisher, n);
    const earlier = '2026-11-28T11:00:00.000Z';
    const d = fakeDelivery([], { body, firstFailureAt: earlier, headers: { [H.firstFailureAt]: earlier } });

    await bus.delay(d, { attempt: 3, delayMs: 8_000, failure });
    await bus.delay(d, { attempt: 3, delayMs: 1_000 });

    expect(published[0]!.options.headers).toEqual({
      [H.attempt]: 3,
      [H.firstFailureAt]: earlier,
      [H.lastFailureAt]: failure.at,
      [H.errorType]: 'TransientError',
      [H.errorMessage]: 'flaky',
      [H.redeliveries]: 0,
    });
    expect(published[1]!.routingKey).toBe(retryRoutingKey(1_000));
    expect(published[1]!.options.headers).toEqual({
      [H.attempt]: 3,
      [H.firstFailureAt]: earlier,
      [H.redeliveries]: 0,
    });
  });

  it('delay: carries the redeliveries so far, and marks a job whose dead letter is already published', async () => {
    const { published, publisher } = recordingPublisher();
    const d = fakeDelivery([], { body, redeliveries: 3, headers: { [H.attempt]: 2 } });

    await new AmqpJobBus(publisher, n).delay(d, {
      attempt: 2,
      delayMs: 1_000,
      deadLettered: 'delivery_limit',
    });

    expect(published[0]!.options.headers).toEqual({
      [H.attempt]: 2,
      [H.redeliveries]: 3,
      [H.deadLettered]: 'delivery_limit',
    });
  });

  it('deadLetter: publishes to the dead-letter queue with reason, attempts and clipped error headers', async () => {
    const { published, publisher } = recordingPublisher();
    const d = fakeDelivery([], { body, headers: { ...brokerHeaders, [H.attempt]: 4 } });
    const long = { ...failure, errorMessage: 'x'.repeat(5_000) };

    await new AmqpJobBus(publisher, n).deadLetter(d, {
      reason: 'retries_exhausted',
      attempts: 4,
      failure: long,
    });

    expect(published).toHaveLength(1);
    const p = published[0]!;
    expect([p.exchange, p.routingKey]).toEqual(['', 'p.dead']);
    expect(p.options.messageId).toBeUndefined();
    const headers = p.options.headers as Record<string, unknown>;
    expect(headers[H.reason]).toBe('retries_exhausted');
    expect(headers[H.attempts]).toBe(4);
    expect(headers[H.attempt]).toBe(4);
    expect((headers[H.errorMessage] as string).length).toBe(1024);
    expect(Object.keys(headers).filter((k) => k in brokerHeaders)).toEqual([]);
  });

  it('quarantine: publishes to the suspect queue, carrying attempt and redeliveries so far', async () => {
    const { published, publisher } = recordingPublisher();
    const d = fakeDelivery([], {
      body,
      attempt: 2,
      redelivered: true,
      redeliveries: 3,
      headers: { ...brokerHeaders, [H.attempt]: 2, [H.redeliveries]: 1 },
    });

    await new AmqpJobBus(publisher, n).quarantine(d);

    expect(published.map((p): unknown[] => [p.exchange, p.routingKey, p.options.headers])).toEqual([
      ['', 'p.suspect', { [H.attempt]: 2, [H.redeliveries]: 3 }],
    ]);
  });

  it("every republish carries the producer's traceparent and tracestate, so later attempts join its trace", async () => {
    const { published, publisher } = recordingPublisher();
    const trace = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'acme=1',
    };
    const d = fakeDelivery([], { body, headers: { ...brokerHeaders, ...trace, [H.attempt]: 1 } });
    const bus = new AmqpJobBus(publisher, n);

    await bus.delay(d, { attempt: 2, delayMs: 1_000, failure });
    await bus.delay(d, { attempt: 1, delayMs: 1_000 });
    await bus.quarantine(d);
    await bus.deadLetter(d, { reason: 'permanent', attempts: 1, failure });

    expect(published).toHaveLength(4);
    for (const p of published) expect(p.options.headers).toMatchObject(trace);
  });
});
