/**
 * The naive consumer the bench compares enhancer with: a bare amqplib consumer on its own quorum
 * queue, and for each message two pooled round trips (insert the pending row, mark it completed),
 * then ack. No validation, retries, batching or logging. Runs as a child process of main.ts.
 */
import { parseArgs } from 'node:util';
import amqp, { type ConsumeMessage } from 'amqplib';
import pg from 'pg';
import { baselineQueueArgs } from './baseline-queue.js';
import { runChild } from './run-child.js';

interface BareJob {
  job_id: string;
  ticket_id: string;
  tenant_id: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      'amqp-url': { type: 'string' },
      'database-url': { type: 'string' },
      queue: { type: 'string' },
      prefetch: { type: 'string', default: '32' },
      'pool-max': { type: 'string', default: '32' },
    },
  });
  const amqpUrl = values['amqp-url'];
  const databaseUrl = values['database-url'];
  const queue = values.queue;
  if (!amqpUrl || !databaseUrl || !queue)
    throw new Error('--amqp-url, --database-url and --queue are required');

  const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(values['pool-max']) });
  pool.on('error', () => undefined);
  const conn = await amqp.connect(amqpUrl, { clientProperties: { connection_name: 'bench-baseline' } });
  const ch = await conn.createChannel();
  await ch.assertQueue(queue, { durable: true, arguments: baselineQueueArgs });
  await ch.prefetch(Number(values.prefetch));

  const inflight = new Set<Promise<void>>();
  const handle = async (msg: ConsumeMessage) => {
    const job = JSON.parse(msg.content.toString('utf8')) as BareJob;
    const started = Date.now();
    await pool.query(
      `insert into enhancement_history (job_id, ticket_id, tenant_id, status, attempts, created_at, updated_at)
       values ($1, $2, $3, 'pending', 1, clock_timestamp(), clock_timestamp())`,
      [job.job_id, job.ticket_id, job.tenant_id],
    );
    await pool.query(
      `update enhancement_history
          set status = 'completed', result_summary = $2, processing_time_ms = $3, updated_at = clock_timestamp()
        where job_id = $1`,
      [job.job_id, `Enhancement processing initiated for ticket ${job.ticket_id}`, Date.now() - started],
    );
    ch.ack(msg);
  };
  const { consumerTag } = await ch.consume(queue, (msg) => {
    if (!msg) return;
    const p = handle(msg).catch((err: unknown) => {
      process.stderr.write(`baseline: job failed: ${(err as Error).message}\n`);
      ch.nack(msg, false, false);
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  });

  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await ch.cancel(consumerTag);
  await Promise.all([...inflight]);
  await ch.close();
  await conn.close();
  await pool.end();
}

runChild('baseline', main);
