/**
 * The ceiling peer: a bare amqplib consumer on a quorum queue (declared as the naive baseline's) that
 * acks each message as it arrives and does nothing else; no database. What it reaches is the broker's
 * limit on this machine, the figure every worker is read against. Runs as a child process of
 * main.ts, spawned with an IPC channel: having no table to look at, the bench asks it when each job
 * was acknowledged (see CeilingRequest).
 */
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { baselineQueueArgs } from './baseline-queue.js';
import type { CeilingReply, CeilingRequest } from './ceiling-probe.js';
import { runChild } from './run-child.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      'amqp-url': { type: 'string' },
      queue: { type: 'string' },
      prefetch: { type: 'string', default: '32' },
    },
  });
  const amqpUrl = values['amqp-url'];
  const queue = values.queue;
  if (!amqpUrl || !queue) throw new Error('--amqp-url and --queue are required');
  if (!process.send) throw new Error('must be spawned with an IPC channel');

  // Date.now() at each ack, by message id (the job id): the bench's "completed at".
  const ackedAt = new Map<string, number>();
  let first = 0;
  let last = 0;
  let anonymous = 0;
  const conn = await amqp.connect(amqpUrl, { clientProperties: { connection_name: 'bench-ceiling' } });
  const ch = await conn.createChannel();
  await ch.assertQueue(queue, { durable: true, arguments: baselineQueueArgs });
  await ch.prefetch(Number(values.prefetch));
  const { consumerTag } = await ch.consume(queue, (msg) => {
    if (!msg) return;
    ch.ack(msg);
    const now = Date.now();
    if (!first) first = now;
    last = now;
    const id = msg.properties.messageId as string | undefined;
    if (id) ackedAt.set(id, now);
    else anonymous++;
  });

  process.on('message', (m: CeilingRequest) => {
    const completed = ackedAt.size + anonymous;
    let reply: CeilingReply;
    if (m.op === 'counts') reply = { id: m.id, completed };
    else if (m.op === 'span') reply = { id: m.id, count: completed, firstMs: first, lastMs: last };
    else reply = { id: m.id, at: m.jobIds.flatMap((j) => (ackedAt.has(j) ? [[j, ackedAt.get(j)!]] : [])) };
    process.send!(reply);
  });

  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await ch.cancel(consumerTag);
  await ch.close();
  await conn.close();
  process.disconnect?.();
}

runChild('ceiling', main);
