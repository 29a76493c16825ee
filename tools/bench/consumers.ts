import net from 'node:net';
import path from 'node:path';
import { migrate } from '../../src/adapters/db/orm';
import { deleteTopology, describeTopology } from '../../src/adapters/amqp/topology';
import type { BenchOptions } from './args';
import { baselineQueueName } from './baseline-queue';
import { Cleanup, onBroker } from './cleanup';
import { ConsumerProcess } from './consumer-process';
import { databaseUrlFor, dropDatabase } from './databases';
import { childEnv } from '../../src/config/load';

import { baselineSink, enhancerSink, type JobSink } from './sinks';
import { PRODUCT_CLI } from '../product';

export const WORKER_NODE_FLAGS = ['--max-semi-space-size=4'];

/**
 * How the enhancer worker runs: `observed` as deployed (info logs, /metrics scraped every second,
 * tracing off), `traced` the same with tracing on into an exporter that drops spans, `quiet` with
 * logging at error and nothing scraping it (the overhead figures' reference).
 */
export type Variant = 'observed' | 'traced' | 'quiet';

/** enhancer's default; the bench sets it explicitly so producer and worker declare the same queues. */
const DELIVERY_LIMIT = 5;
/*
 * Postgres connections (issue 11, "a fair baseline"). The naive consumer gets a pool as large as its
 * prefetch, as anyone writing it would: with fewer connections than jobs in flight it queues on its
 * own pool and the comparison flatters enhancer. enhancer runs with its defaults except concurrency,
 * so it keeps DATABASE_POOL_MAX at its default (4, src/config/schema.ts): how few connections it
 * needs for 32 jobs in flight is part of what is measured, and a deployment gets exactly that.
 */

/** One consumer, its database and queue ready, not yet started. */
export interface ConsumerUnderTest {
  readonly name: 'baseline' | 'enhancer' | `enhancer-${Exclude<Variant, 'observed'>}`;
  /** Where its Prometheus metrics are, to scrape while it works (none: not scraped). */
  readonly metricsUrl?: string;
  /** Its own database, holding enhancement_history. */
  readonly databaseUrl: string;
  openSink(): Promise<JobSink>;
  start(): ConsumerProcess;
}

export async function prepareBaseline(
  o: BenchOptions,
  id: string,
  cleanup: Cleanup,
): Promise<ConsumerUnderTest> {
  const db = `enhancer_bench_${id}_baseline`;
  const databaseUrl = databaseUrlFor(o.databaseUrl, db);
  const queue = baselineQueueName(`enhancer-bench-${id}`);
  cleanup.add(`dropped database ${db}`, () => dropDatabase(o.databaseUrl, db));
  // The same table (and indexes) the service writes; the superuser connection bypasses its RLS.
  await migrate(databaseUrl);
  cleanup.add(`deleted queue ${queue}`, () =>
    onBroker(o.amqpUrl, async (ch) => {
      await ch.deleteQueue(queue);
    }),
  );
  return {
    name: 'baseline',
    databaseUrl,
    openSink: () => baselineSink(o.amqpUrl, queue),
    start: () =>
      new ConsumerProcess('baseline', path.join(__dirname, 'baseline-consumer.js'), [
        `--amqp-url=${o.amqpUrl}`,
        `--database-url=${databaseUrl}`,
        `--queue=${queue}`,
        `--prefetch=${o.concurrency}`,
        `--pool-max=${o.concurrency}`,
      ]),
  };
}

export async function prepareEnhancer(
  o: BenchOptions,
  id: string,
  cleanup: Cleanup,
  variant: Variant = 'observed',
): Promise<ConsumerUnderTest> {
  const db = `enhancer_bench_${id}_enhancer_${variant}`;
  const httpPort = await freePort();
  const databaseUrl = databaseUrlFor(o.databaseUrl, db);
  const prefix = `enhancer-bench-${id}`;
  cleanup.add(`dropped database ${db}`, () => dropDatabase(o.databaseUrl, db));
  await migrate(databaseUrl);
  cleanup.add(`deleted queues and exchanges ${prefix}*`, () =>
    onBroker(o.amqpUrl, (ch) => deleteTopology(ch, describeTopology(prefix, DELIVERY_LIMIT))),
  );
  const env = childEnv({
    AMQP_URL: o.amqpUrl,
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: prefix,
    QUEUE_DELIVERY_LIMIT: String(DELIVERY_LIMIT),
    WORKER_CONCURRENCY: String(o.concurrency),
    ENHANCER_PIPELINE: 'placeholder',
    LOG_LEVEL: variant === 'quiet' ? 'error' : 'info',
    LOG_FORMAT: 'json',
    HTTP_PORT: String(httpPort),
  });
  // The V8 flag the worker is deployed with (README, "Memory"): a small young generation keeps RSS
  // after a burst near the idle figure instead of 25 MB above it.
  const nodeArgs = [
    ...WORKER_NODE_FLAGS,
    ...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []),
  ];
  const name = variant === 'observed' ? 'enhancer' : (`enhancer-${variant}` as const);
  const [script, args] =
    variant === 'traced' ? [path.join(__dirname, 'traced-worker.js'), []] : [PRODUCT_CLI, ['worker']];
  return {
    name,
    databaseUrl,
    metricsUrl: variant === 'quiet' ? undefined : `http://127.0.0.1:${httpPort}/metrics`,
    openSink: () => enhancerSink(o.amqpUrl, prefix, DELIVERY_LIMIT),
    start: () => new ConsumerProcess(name, script, args, { env, nodeArgs }),
  };
}

/** A TCP port nothing listens on right now (the bench must know the worker's metrics port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
