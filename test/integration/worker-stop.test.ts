/**
 * A stop against the real broker, with jobs held past WORKER_CONCURRENCY: those not started go back to
 * the queue at once, and those that finish while the worker drains are acked before its channel
 * closes (acks wait for the end of the event-loop turn; the close must send the last of them, or the
 * broker would requeue finished jobs as redelivered, and they would come back as suspects).
 */
import { runWorker, type RunningWorker } from '../../src/worker/run-worker.js';
import { openProducer, type Producer } from '../../src/adapters/amqp/producer.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { Enhancer } from '../../src/pipeline/enhancer.js';
import { deferred } from '../helpers/deferred.js';
import { makeJob } from '../helpers/live-jobs.js';
import { createTestEnv, queueDepth, waitFor, type TestEnv } from '../helpers/services.js';

let t: TestEnv;
let producer: Producer;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  t = await createTestEnv('stop');
  producer = await openProducer(t.config());
});
afterAll(async () => {
  await worker?.stop();
  await producer?.close();
  await t?.teardown();
});

it('hands held jobs back at once, and acks the jobs it finishes while draining before it closes', async () => {
  const gate = deferred<void>();
  const started: string[] = [];
  const enhancer: Enhancer = {
    name: 'gated',
    async enhance(job) {
      started.push(job.job_id);
      await gate.promise;
      return { summary: `enhanced ${job.ticket_id}` };
    },
  };
  worker = await runWorker(t.config({ WORKER_CONCURRENCY: '2', WORKER_PREFETCH: '4' }), silentLogger, {
    enhancer,
  });
  const jobs = [1, 2, 3, 4].map((i) => makeJob({ ticket_id: `T-stop-${i}` }));
  for (const job of jobs) await producer.publishJob(job);
  await waitFor('two jobs running', () => started.length === 2);
  await waitFor('all four in the worker', async () => (await queueDepth(t.names.jobs)) === 0);

  const stopping = worker.stop();
  await waitFor('the two held jobs back in the queue', async () => (await queueDepth(t.names.jobs)) === 2);
  expect(started).toHaveLength(2);
  gate.resolve();
  await stopping;
  worker = undefined;

  // The two that ran were acked, not requeued by the close: only the two handed back wait.
  expect(await queueDepth(t.names.jobs)).toBe(2);
  const rows = await t.query<{ job_id: string; status: string }>(
    'select job_id::text, status from enhancement_history order by job_id',
  );
  expect(rows).toEqual(
    started
      .map((id) => ({ job_id: id, status: 'completed' }))
      .sort((a, b) => a.job_id.localeCompare(b.job_id)),
  );
});
