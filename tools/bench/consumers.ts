import net from 'node:net';
import path from 'node:path';
import { migrate } from '../../src/adapters/db/orm.js';
import { deleteTopology, describeTopology, names } from '../../src/adapters/amqp/topology.js';
import type { BenchOptions } from './args.js';
import { baselineQueueName, ceilingQueueName } from './baseline-queue.js';
import { CeilingProbe } from './ceiling-probe.js';
import { Cleanup, onBroker } from './cleanup.js';
import { ConsumerProcess } from './consumer-process.js';
import { databaseUrlFor, dropDatabase } from './databases.js';
import { HistoryProbe, type CompletionProbe } from './history-probe.js';
import { childEnv } from '../../src/config/load.js';

import { baselineSink, enhancerSink, type JobSink } from './sinks.js';
import { PRODUCT_CLI } from '../product.js';

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

export type ConsumerName =
  'ceiling' | 'baseline' | 'enhancer' | `enhancer-${Exclude<Variant, 'observed'>}` | `enhancer×${number}`;

/** One consumer (one or more processes on one queue), its database and queue ready, not yet started. */
export interface ConsumerUnderTest {
  readonly name: ConsumerName;
  /** The queue its processes consume (the bench waits until each has attached). */
  readonly queue: string;
  /** How many processes run it (more than one: the scale-out curve). */
  readonly replicas: number;
  /** Where each process's Prometheus metrics are, to scrape while it works (empty: not scraped). */
  readonly metricsUrls: readonly string[];
  openSink(): Promise<JobSink>;
  /** Opened before the processes start; tells which jobs completed and when. */
  openProbe(): Promise<CompletionProbe>;
  /** Starts process number `replica` (0 ≤ replica < replicas). */
  start(replica: number): ConsumerProcess;
}

/** Consume and ack only, no database: the broker's limit, shown beside every worker. */
export function prepareCeiling(o: BenchOptions, id: string, cleanup: Cleanup): ConsumerUnderTest {
  const queue = ceilingQueueName(`enhancer-bench-${id}`);
  cleanup.add(`deleted queue ${queue}`, () =>
    onBroker(o.amqpUrl, async (ch) => {
      await ch.deleteQueue(queue);
    }),
  );
  let current: ConsumerProcess | undefined;
  return {
    name: 'ceiling',
    queue,
    replicas: 1,
    metricsUrls: [],
    openSink: () => baselineSink(o.amqpUrl, queue),
    openProbe: () => Promise.resolve(new CeilingProbe(() => current)),
    start: () =>
      (current = new ConsumerProcess(
        'ceiling',
        path.join(__dirname, 'ceiling-consumer.js'),
        [`--amqp-url=${o.amqpUrl}`, `--queue=${queue}`, `--prefetch=${o.concurrency}`],
        { ipc: true },
      )),
  };
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
    queue,
    replicas: 1,
    metricsUrls: [],
    openSink: () => baselineSink(o.amqpUrl, queue),
    openProbe: () => HistoryProbe.open(databaseUrl),
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
  replicas = 1,
): Promise<ConsumerUnderTest> {
  const db = `enhancer_bench_${id}_enhancer_${variant}${replicas > 1 ? `_x${replicas}` : ''}`;
  const httpPorts: number[] = [];
  for (let i = 0; i < replicas; i++) httpPorts.push(await freePort());
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
    ...(o.prefetch !== undefined ? { WORKER_PREFETCH: String(o.prefetch) } : {}),
    ENHANCER_PIPELINE: 'placeholder',
    LOG_LEVEL: variant === 'quiet' ? 'error' : 'info',
    LOG_FORMAT: 'json',
  });
  // The V8 flag the worker is deployed with (docs/operations.md, "Memory"): a small young generation keeps RSS
  // after a burst near the idle figure instead of 25 MB above it.
  const nodeArgs = [
    ...WORKER_NODE_FLAGS,
    ...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []),
  ];
  const name: ConsumerName =
    replicas > 1 ? `enhancer×${replicas}` : variant === 'observed' ? 'enhancer' : `enhancer-${variant}`;
  const [script, args] =
    variant === 'traced' ? [path.join(__dirname, 'traced-worker.js'), []] : [PRODUCT_CLI, ['worker']];
  return {
    name,
    queue: names(prefix).jobs,
    replicas,
    metricsUrls: variant === 'quiet' ? [] : httpPorts.map((port) => `http://127.0.0.1:${port}/metrics`),
    openSink: () => enhancerSink(o.amqpUrl, prefix, DELIVERY_LIMIT),
    openProbe: () => HistoryProbe.open(databaseUrl),
    start: (replica) =>
      new ConsumerProcess(replicas > 1 ? `${name}#${replica}` : name, script, args, {
        env: { ...env, HTTP_PORT: String(httpPorts[replica]) },
        nodeArgs,
      }),
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
