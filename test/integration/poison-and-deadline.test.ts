import { createTestEnv, waitFor, type TestEnv } from '../helpers/services.js';
import { makeJob, rawDeadLetters, recordingEnhancer } from '../helpers/live-jobs.js';
import { runWorker, type RunningWorker } from '../../src/worker/run-worker.js';
import { openProducer, type Producer } from '../../src/adapters/amqp/producer.js';
import { silentLogger } from '../../src/observability/logger.js';
import { H } from '../../src/adapters/amqp/headers.js';

describe('bad input and deadlines', () => {
  let t: TestEnv;
  let worker: RunningWorker;
  let producer: Producer;
  const enhancer = recordingEnhancer();
  const rows = (jobId: string) =>
    t.query<{ status: string; attempts: number; error_message: string | null }>(
      'select status, attempts, error_message from enhancement_history where job_id = $1',
      [jobId],
    );
  const metric = async (name: string) =>
    (await worker.metrics.registry.getSingleMetricAsString(name))
      .split('\n')
      .filter((l) => !l.startsWith('#'));

  beforeAll(async () => {
    t = await createTestEnv('poison');
    worker = await runWorker(
      t.config({ JOB_SOFT_TIMEOUT_MS: '300', JOB_TIMEOUT_MS: '600', RETRY_MAX: '1', RETRY_BASE_MS: '200' }),
      silentLogger,
      { enhancer },
    );
    producer = await openProducer(t.config());
  });
  afterAll(async () => {
    await producer?.close();
    await worker?.stop();
    await t?.teardown();
  });

  it('dead-letters poison bodies with a reason, records what it can, and keeps working', async () => {
    const wrongTypes = makeJob();
    const noTenant = makeJob();
    await producer.publishRaw(Buffer.from('{"job_id": oops'));
    await producer.publishRaw(Buffer.from(JSON.stringify({ ...wrongTypes, priority: 5, ticket_id: 42 })));
    await producer.publishRaw(Buffer.alloc(1024 * 1024, 'a'));
    const { tenant_id: _dropped, ...withoutTenant } = noTenant;
    await producer.publishRaw(Buffer.from(JSON.stringify(withoutTenant)));
    const good = makeJob();
    await producer.publishJob(good);

    await waitFor(
      'the good job after the poison',
      async () => (await rows(good.job_id))[0]?.status === 'completed',
    );
    const letters = await waitFor('four dead letters', async () => {
      const l = (await rawDeadLetters(t.names)).filter(
        (m) => m.properties.headers?.[H.reason] === 'validation',
      );
      return l.length === 4 ? l : undefined;
    });
    const messages = letters.map((m) => String(m.properties.headers?.[H.errorMessage]));
    expect(messages[0]).toMatch(/^body is not JSON/);
    expect(messages[1]).toMatch(/^(priority|ticket_id): /);
    expect(messages[2]).toBe('body is 1048576 bytes, over the 262144-byte limit');
    expect(messages[3]).toMatch(/^tenant_id: /);
    expect(letters[2]!.content.length).toBe(1024 * 1024); // kept whole: nothing lost

    expect(await rows(wrongTypes.job_id)).toEqual([
      { status: 'failed', attempts: 0, error_message: messages[1] },
    ]);
    expect(await rows(noTenant.job_id)).toEqual([]); // no tenant: no row can be keyed
    expect(enhancer.attempts.map((a) => a.jobId)).toEqual([good.job_id]);
    expect(await metric('enhancement_dead_letters_total')).toContain(
      'enhancement_dead_letters_total{reason="validation"} 4',
    );
    expect(await metric('enhancement_tasks_total')).toEqual(
      expect.arrayContaining([
        'enhancement_tasks_total{status="dead_lettered",tenant_id="unknown"} 3',
        'enhancement_tasks_total{status="dead_lettered",tenant_id="acme"} 1',
      ]),
    );
  });

  it('fails an attempt at the hard deadline even when the handler ignores the abort', async () => {
    const job = makeJob({ simulate: { sleep_ms: 1500, ignore_abort: true } });
    await producer.publishJob(job);
    const row = await waitFor('failed row', async () => {
      const r = (await rows(job.job_id))[0];
      return r?.status === 'failed' ? r : undefined;
    });
    expect(row).toEqual({
      status: 'failed',
      attempts: 2,
      error_message: 'attempt passed its 600 ms deadline',
    });
    const runs = enhancer.attempts.filter((a) => a.jobId === job.job_id);
    expect(runs.map((a) => a.attempt)).toEqual([1, 2]);
    // The retry started while attempt 1 was still sleeping: the deadline, not the handler, ended it.
    expect(runs[1]!.startedAt - runs[0]!.startedAt).toBeLessThan(1500);
    expect(await metric('enhancement_abandoned_attempts_total')).toContain(
      'enhancement_abandoned_attempts_total 2',
    );
    // Both abandoned handlers settle later; their results never reach the row.
    await waitFor('abandoned handlers to settle', async () =>
      (await metric('enhancement_abandoned_attempts_running')).includes(
        'enhancement_abandoned_attempts_running 0',
      ),
    );
    expect((await rows(job.job_id))[0]).toEqual(row);
  });

  it('aborts a handler that honours the signal at the soft deadline and retries it', async () => {
    const job = makeJob({ simulate: { sleep_ms: 5000 } });
    await producer.publishJob(job);
    const row = await waitFor('failed row', async () => {
      const r = (await rows(job.job_id))[0];
      return r?.status === 'failed' ? r : undefined;
    });
    expect(row.error_message).toBe('attempt aborted at its soft deadline');
    const runs = enhancer.attempts.filter((a) => a.jobId === job.job_id);
    expect(runs).toHaveLength(2);
    runs.forEach((r) => expect(r.endedAt! - r.startedAt).toBeLessThan(600));
  });
});
