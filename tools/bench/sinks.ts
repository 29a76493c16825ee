import amqp from 'amqplib';
import { ConfirmPublisher, jobProperties } from '../../src/adapters/amqp/confirm-publisher.js';
import { openProducer } from '../../src/adapters/amqp/producer.js';
import type { Job } from '../../src/domain/job.js';
import { baselineQueueArgs } from './baseline-queue.js';

/** Where the bench publishes a consumer's jobs; each publish resolves when the broker confirmed it. */
export interface JobSink {
  /** The underlying channel write happens synchronously, before the returned promise settles. */
  publish(job: Job): Promise<void>;
  close(): Promise<void>;
}

/** enhancer's own producer: exchange P, key `job`, confirms. */
export async function enhancerSink(
  amqpUrl: string,
  queuePrefix: string,
  deliveryLimit: number,
): Promise<JobSink> {
  const producer = await openProducer({ amqpUrl, queuePrefix, deliveryLimit });
  return { publish: (job) => producer.publishJob(job), close: () => producer.close() };
}

/** The baseline's quorum queue, through the default exchange, on a confirm channel. */
export async function baselineSink(amqpUrl: string, queue: string): Promise<JobSink> {
  const connection = await amqp.connect(amqpUrl, {
    clientProperties: { connection_name: 'enhancer-bench-producer' },
  });
  connection.on('error', () => undefined);
  try {
    const ch = await connection.createConfirmChannel();
    await ch.assertQueue(queue, { durable: true, arguments: baselineQueueArgs });
    const publisher = new ConfirmPublisher(ch);
    return {
      publish: (job) =>
        publisher.publish('', queue, Buffer.from(JSON.stringify(job)), jobProperties(job.job_id, {})),
      close: async () => {
        await ch.close().catch(() => undefined);
        await connection.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
}

/** Publishes every job with at most `window` unconfirmed at once; resolves when all are confirmed. */
export async function publishAll(sink: JobSink, jobs: readonly Job[], window = 1000): Promise<void> {
  const pending = new Set<Promise<void>>();
  for (const job of jobs) {
    const p: Promise<void> = sink.publish(job).finally(() => pending.delete(p));
    pending.add(p);
    if (pending.size >= window) await Promise.race(pending);
  }
  await Promise.all(pending);
}
