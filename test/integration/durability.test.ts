import { createTestEnv, waitFor, type TestEnv } from '../helpers/services.js';
import { makeJob, recordingEnhancer } from '../helpers/live-jobs.js';
import { runWorker, type RunningWorker } from '../../src/worker/run-worker.js';
import { openProducer, type Producer } from '../../src/adapters/amqp/producer.js';
import { silentLogger } from '../../src/observability/logger.js';

/**
 * A message is acked once its outcome is durable. The worker acks a completion or failure only after
 * its history write returned, so that write must have waited for the WAL flush: only a batch of claims
 * alone may commit with `synchronous_commit = off` (a lost pending row is claimed again on redelivery).
 *
 * A deferred constraint trigger fires at commit time, after every statement of the transaction, so it
 * sees the setting the commit itself uses, however it was turned off (SET LOCAL anywhere in the batch,
 * SET, a connection option).
 */
const COMMIT_MODES = `
  create table commit_modes (job_id uuid, change text, mode text);
  create function record_commit_mode() returns trigger language plpgsql security definer as $$
  begin
    insert into commit_modes values (new.job_id, case
      when new.status in ('completed', 'failed') then new.status
      when tg_op = 'UPDATE' and old.status = 'pending' and new.attempts = old.attempts + 1 then 'retried'
      else 'claimed' end, current_setting('synchronous_commit'));
    return null;
  end $$;
  create constraint trigger commit_mode after insert or update on enhancement_history
    deferrable initially deferred for each row execute function record_commit_mode();`;

describe('acknowledged outcomes are durable', () => {
  let t: TestEnv;
  let producer: Producer;
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    t = await createTestEnv('durable');
    await t.query(COMMIT_MODES);
    producer = await openProducer(t.config());
  });
  afterAll(async () => {
    await worker?.stop();
    await producer?.close();
    await t?.teardown();
  });

  it('commits completions, failures, retries and poison rows with a synchronous WAL flush; claims alone without', async () => {
    const enhancer = recordingEnhancer();
    worker = await runWorker(t.config({ WORKER_CONCURRENCY: '8' }), silentLogger, { enhancer });
    const jobs = [
      ...Array.from({ length: 24 }, () => makeJob({ simulate: { sleep_ms: 5 } })),
      ...Array.from({ length: 4 }, () => makeJob({ simulate: { fail_times: 1, error: 'transient' } })),
      ...Array.from({ length: 4 }, () => makeJob({ simulate: { fail_times: 1, error: 'permanent' } })),
    ];
    await Promise.all(jobs.map((j) => producer.publishJob(j)));
    // Poison whose job_id and tenant can be read: its row is written as failed.
    const poison = makeJob();
    await producer.publishRaw(Buffer.from(JSON.stringify({ ...poison, priority: 'whenever' })));
    const ids = [...jobs, poison].map((j) => j.job_id);

    await waitFor(
      'every job to end',
      async () =>
        Number(
          (
            await t.query<{ n: string }>(
              "select count(*) as n from enhancement_history where job_id = any($1) and status <> 'pending'",
              [ids],
            )
          )[0]!.n,
        ) === ids.length,
      30_000,
    );

    const modes = await t.query<{ change: string; mode: string; n: string }>(
      'select change, mode, count(*) as n from commit_modes group by change, mode order by change, mode',
    );
    const count = (change: string, mode: string) =>
      Number(modes.find((m) => m.change === change && m.mode === mode)?.n ?? 0);
    // The detector sees the setting at all: claims alone went without the wait.
    expect(count('claimed', 'off')).toBeGreaterThan(0);
    // What a message is acked after: never without the flush.
    expect(modes.filter((m) => m.change !== 'claimed' && m.mode !== 'on')).toEqual([]);
    expect(count('completed', 'on')).toBe(28);
    expect(count('failed', 'on')).toBe(5);
    expect(count('retried', 'on')).toBe(4);
  }, 60_000);
});
