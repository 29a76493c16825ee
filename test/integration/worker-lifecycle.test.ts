import { createTestEnv, waitFor, type TestEnv } from '../helpers/services.js';
import { makeJob, rawDeadLetters, recordingEnhancer } from '../helpers/live-jobs.js';
import { runWorker, type RunningWorker } from '../../src/worker/run-worker.js';
import { openProducer, type Producer } from '../../src/adapters/amqp/producer.js';
import { silentLogger } from '../../src/observability/logger.js';
import { H } from '../../src/adapters/amqp/headers.js';

interface Row {
  status: string;
  attempts: number;
  result_summary: string | null;
  error_message: string | null;
  processing_time_ms: number | null;
}

describe('worker against real RabbitMQ and Postgres', () => {
  let t: TestEnv;
  let worker: RunningWorker;
  let producer: Producer;
  const enhancer = recordingEnhancer();

  const row = async (jobId: string) =>
    (await t.query<Row>('select * from enhancement_history where job_id = $1', [jobId]))[0];
  const final = (jobId: string) =>
    waitFor(`job ${jobId} to end`, async () => {
      const r = await row(jobId);
      return r && r.status !== 'pending' ? r : undefined;
    });

  beforeAll(async () => {
    t = await createTestEnv('lifecycle');
    worker = await runWorker(t.config({ RETRY_BASE_MS: '400' }), silentLogger, { enhancer });
    producer = await openProducer(t.config());
  });
  afterAll(async () => {
    await producer?.close();
    await worker?.stop();
    await t?.teardown();
  });

  it('completes a job: pending → completed with a summary and its processing time', async () => {
    const job = makeJob({ ticket_id: 'T-happy' });
    await producer.publishJob(job);
    const r = await final(job.job_id);
    expect(r).toMatchObject({ status: 'completed', attempts: 1, error_message: null });
    expect(r.result_summary).toContain('T-happy');
    expect(r.processing_time_ms).toBeGreaterThanOrEqual(0);
    expect(enhancer.attempts.filter((a) => a.jobId === job.job_id)).toHaveLength(1);
  });

  it('retries twice on the backoff schedule, then completes with attempts = 3', async () => {
    const job = makeJob({ simulate: { fail_times: 2 } });
    await producer.publishJob(job);
    const r = await final(job.job_id);
    expect(r).toMatchObject({ status: 'completed', attempts: 3 });
    const runs = enhancer.attempts.filter((a) => a.jobId === job.job_id);
    expect(runs.map((a) => a.attempt)).toEqual([1, 2, 3]);
    // Retry n waits RETRY_BASE_MS · 2^(n−1): 400 ms, then 800 ms (jitter 0).
    [400, 800].forEach((expected, i) => {
      const measured = runs[i + 1]!.startedAt - runs[i]!.endedAt!;
      expect(Math.abs(measured - expected)).toBeLessThanOrEqual(expected * 0.15 + 200);
    });
  });

  it('exhausts its retries: history failed, one dead letter with reason, error, attempts and times', async () => {
    const job = makeJob({ simulate: { fail_times: 99 } });
    await producer.publishJob(job);
    const r = await waitFor('failed row', async () => {
      const x = await row(job.job_id);
      return x?.status === 'failed' ? x : undefined;
    });
    expect(r.attempts).toBe(4);
    expect(r.error_message).toBe('simulated transient failure on attempt 4');
    const letters = (await rawDeadLetters(t.names)).filter((m) => m.properties.messageId === job.job_id);
    expect(letters).toHaveLength(1);
    const h = letters[0]!.properties.headers!;
    expect(h[H.reason]).toBe('retries_exhausted');
    expect(h[H.errorType]).toBe('TransientError');
    expect(h[H.errorMessage]).toBe('simulated transient failure on attempt 4');
    expect(h[H.attempts]).toBe(4);
    const first = Date.parse(String(h[H.firstFailureAt]));
    const last = Date.parse(String(h[H.lastFailureAt]));
    expect(last - first).toBeGreaterThanOrEqual(400 + 800 + 1600 - 100);
    expect(JSON.parse(letters[0]!.content.toString())).toEqual(job);
    expect(enhancer.attempts.filter((a) => a.jobId === job.job_id)).toHaveLength(4);
  });

  it('dead-letters a permanent error after one attempt', async () => {
    const job = makeJob({ simulate: { fail_times: 1, error: 'permanent' } });
    await producer.publishJob(job);
    const r = await final(job.job_id);
    expect(r).toMatchObject({ status: 'failed', attempts: 1 });
    const letters = (await rawDeadLetters(t.names)).filter((m) => m.properties.messageId === job.job_id);
    expect(letters.map((m) => String(m.properties.headers![H.reason]))).toEqual(['permanent']);
    expect(enhancer.attempts.filter((a) => a.jobId === job.job_id)).toHaveLength(1);
  });

  it('acks a duplicate delivery of a completed job without running the pipeline again', async () => {
    const job = makeJob();
    await producer.publishJob(job);
    await final(job.job_id);
    const duplicates = async () => (await worker.metrics.duplicates.get()).values[0]?.value ?? 0;
    const before = await duplicates();
    await producer.publishJob(job);
    await waitFor('duplicate counted', async () => (await duplicates()) === before + 1);
    expect(enhancer.attempts.filter((a) => a.jobId === job.job_id)).toHaveLength(1);
    expect(await row(job.job_id)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('serves readiness and Prometheus metrics on its HTTP port', async () => {
    const base = `http://127.0.0.1:${worker.http.port}`;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok' });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/enhancement_tasks_total\{status="completed",tenant_id="acme"\} \d+/);
    expect(text).toContain('enhancement_task_retries_total');
    expect(text).toContain('enhancement_dead_letters_total{reason="permanent"} 1');
    expect(text).toContain('enhancement_tasks_in_flight 0');
  });
});
