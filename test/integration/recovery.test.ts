import { createTestEnv, queueDepth, waitFor, type TestEnv } from '../helpers/services.js';
import { makeJob, rawDeadLetters, recordingEnhancer } from '../helpers/live-jobs.js';
import { closeBrokerConnections, lockOutDatabase } from '../helpers/outages.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { runWorker, type RunningWorker } from '../../src/worker/run-worker.js';
import { openProducer, type Producer } from '../../src/adapters/amqp/producer.js';
import { capturedLog } from '../helpers/captured-log.js';
import type { Job } from '../../src/domain/job.js';

/** Polls /readyz in the background and remembers every answer that was not 200. */
function watchReadiness(port: number) {
  const outages: { status: number; reason: string }[] = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        const body = (await res.json()) as { reason?: string };
        if (res.status !== 200) outages.push({ status: res.status, reason: body.reason ?? '' });
      } catch {
        // The server is in this process; a failed fetch would be the test's own problem, seen below.
      }
      await new Promise((r) => setTimeout(r, 40));
    }
  })();
  return {
    outages,
    stop: async () => {
      on = false;
      await loop;
    },
  };
}

describe('recovery from broker and database outages', () => {
  let t: TestEnv;
  let producer: Producer;
  let worker: RunningWorker | undefined;

  const completedRows = async (ids: string[]) =>
    Number(
      (
        await t.query<{ n: string }>(
          "select count(*) as n from enhancement_history where job_id = any($1) and status = 'completed'",
          [ids],
        )
      )[0]!.n,
    );
  const publishAll = (jobs: Job[]) => Promise.all(jobs.map((j) => producer.publishJob(j)));

  beforeAll(async () => {
    t = await createTestEnv('recovery');
    producer = await openProducer(t.config());
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });
  afterAll(async () => {
    await producer?.close();
    await t?.teardown();
  });

  it('the broker drops the connection twice under 500 jobs: it reconnects, and every job runs once', async () => {
    const pod = `recovery-${t.prefix}`;
    const { log, lines } = capturedLog(pod);
    const enhancer = recordingEnhancer();
    worker = await runWorker(
      t.config({ POD_NAME: pod, WORKER_CONCURRENCY: '8', AMQP_RECONNECT_BASE_MS: '1000' }),
      log,
      { enhancer },
    );
    const readiness = watchReadiness(worker.http.port);
    const jobs = Array.from({ length: 500 }, () => makeJob({ simulate: { sleep_ms: 50 } }));
    const ids = jobs.map((j) => j.job_id);
    await publishAll(jobs);

    for (const after of [100, 300]) {
      await waitFor(`${after} attempts`, () => enhancer.attempts.length >= after, 30_000);
      expect(await closeBrokerConnections(`enhancer-worker ${pod}`)).toBe(1);
      await waitFor(
        'reconnected',
        () => worker!.worker.state === 'running' && !worker!.worker.notReadyReason(),
        30_000,
      );
    }
    await waitFor('all 500 completed', async () => (await completedRows(ids)) === 500, 60_000);
    await readiness.stop();

    const runs = new Map<string, number>();
    for (const a of enhancer.attempts) runs.set(a.jobId, (runs.get(a.jobId) ?? 0) + 1);
    expect([...runs.values()].filter((n) => n !== 1)).toEqual([]);
    expect(runs.size).toBe(500);
    const rows = await t.query<{ attempts: number }>(
      'select attempts from enhancement_history where job_id = any($1)',
      [ids],
    );
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    expect(await rawDeadLetters(t.names)).toHaveLength(0);
    await waitFor('queues drained', async () =>
      (await queueDepth(t.names.jobs)) + (await queueDepth(t.names.suspect)) === 0 ? true : undefined,
    );
    expect(readiness.outages.length).toBeGreaterThan(0);
    expect(readiness.outages.every((o) => o.status === 503)).toBe(true);
    expect(readiness.outages.map((o) => o.reason)).toContain('AMQP connection lost; reconnecting');
    expect(lines.filter((l) => l.msg === 'lost the broker connection; reconnecting')).toHaveLength(2);
    expect(lines.filter((l) => l.msg === 'reconnected to the broker')).toHaveLength(2);
    // Jobs this worker held when its link dropped came back trusted, not as suspects to run alone.
    const suspects = (await worker.metrics.suspects.get()).values[0]?.value ?? 0;
    const held = lines
      .filter((l) => l.msg === 'lost the broker connection; reconnecting')
      .reduce((sum, l) => sum + Number(l.jobs_held), 0);
    expect(held).toBeGreaterThan(0);
    // Only messages prefetched but not yet handed to the worker when a link dropped (at most the
    // prefetch, 8, per drop) may come back as suspects; every job it was running is trusted.
    expect(suspects).toBeLessThanOrEqual(2 * 8);
  }, 120_000);

  it('the broker is unreachable for 3 s: reconnects back off, readiness stays 503, then it resumes', async () => {
    const proxy = await startTcpProxy(5672);
    try {
      const { log, lines } = capturedLog(`partition-${t.prefix}`);
      const enhancer = recordingEnhancer();
      worker = await runWorker(
        t.config({
          AMQP_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}`,
          AMQP_RECONNECT_BASE_MS: '200',
          AMQP_RECONNECT_MAX_MS: '800',
        }),
        log,
        { enhancer },
      );
      const readiness = watchReadiness(worker.http.port);
      const before = makeJob();
      await producer.publishJob(before);
      await waitFor('first job', async () => (await completedRows([before.job_id])) === 1);

      proxy.cut();
      await new Promise((r) => setTimeout(r, 3_000));
      const during = makeJob();
      await producer.publishJob(during); // the producer's own connection is not cut
      expect(worker.worker.notReadyReason()).toBe('AMQP connection lost; reconnecting');
      proxy.restore();
      await waitFor('job after the outage', async () => (await completedRows([during.job_id])) === 1, 15_000);
      await readiness.stop();

      const failed = lines.filter((l) => l.msg === 'broker reconnect failed');
      // 200 ms base, doubling to an 800 ms cap, less up to half: about 4–10 tries in 3 s.
      expect(failed.length).toBeGreaterThanOrEqual(3);
      expect(failed.every((l) => Number(l.next_delay_ms) <= 800)).toBe(true);
      expect(readiness.outages.length).toBeGreaterThan(10);
      expect(lines.filter((l) => l.msg === 'reconnected to the broker')).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('stops promptly while the broker is unreachable', async () => {
    const proxy = await startTcpProxy(5672);
    try {
      worker = await runWorker(
        t.config({ AMQP_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}`, AMQP_RECONNECT_BASE_MS: '5000' }),
        capturedLog(`stop-${t.prefix}`).log,
      );
      proxy.cut();
      await waitFor('reconnecting', () => worker!.worker.state === 'reconnecting');
      const started = Date.now();
      await worker.stop();
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(worker.worker.state).toBe('stopped');
    } finally {
      worker = undefined;
      await proxy.close();
    }
  });

  it('stops promptly while a reconnect try hangs on a broker that accepts and never answers', async () => {
    const proxy = await startTcpProxy(5672);
    try {
      const { log, lines } = capturedLog(`silent-${t.prefix}`);
      worker = await runWorker(
        t.config({ AMQP_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}`, AMQP_RECONNECT_BASE_MS: '50' }),
        log,
      );
      proxy.hold();
      proxy.cut();
      await waitFor('reconnecting', () => worker!.worker.state === 'reconnecting');
      // Past the first backoff wait: a try is now stuck in the AMQP handshake.
      await new Promise((r) => setTimeout(r, 500));
      const began = Date.now();
      await worker.stop();
      expect(Date.now() - began).toBeLessThan(1_000);
      expect(worker.worker.state).toBe('stopped');
      expect(lines.filter((l) => l.msg === 'reconnected to the broker')).toEqual([]);
    } finally {
      worker = undefined;
      await proxy.close();
    }
  });

  it('Postgres locked out for a few seconds: readiness goes 503, then every job completes on its first attempt', async () => {
    const enhancer = recordingEnhancer();
    const { log, lines } = capturedLog(`pg-${t.prefix}`);
    worker = await runWorker(t.config({ WORKER_CONCURRENCY: '8' }), log, { enhancer });
    const readiness = watchReadiness(worker.http.port);
    const jobs = Array.from({ length: 100 }, () => makeJob({ simulate: { sleep_ms: 20 } }));
    const ids = jobs.map((j) => j.job_id);
    await publishAll(jobs.slice(0, 50));
    await waitFor('some completed', async () => (await completedRows(ids)) >= 10);

    const [own] = await t.query<{ pid: number }>('select pg_backend_pid() as pid');
    const letIn = await lockOutDatabase(t.dbName, own!.pid);
    try {
      await publishAll(jobs.slice(50));
      await waitFor('readiness to fail', () => readiness.outages.length > 0, 10_000);
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      await letIn();
    }
    await waitFor('all 100 completed', async () => (await completedRows(ids)) === 100, 60_000);
    await readiness.stop();

    expect(readiness.outages[0]!.status).toBe(503);
    expect(readiness.outages[0]!.reason).toMatch(/not currently accepting connections|terminat/);
    const rows = await t.query<{ attempts: number }>(
      'select attempts from enhancement_history where job_id = any($1)',
      [ids],
    );
    expect(rows.map((r) => r.attempts).filter((a) => a !== 1)).toEqual([]);
    expect(await rawDeadLetters(t.names)).toHaveLength(0);
    const delays = (await worker.metrics.waitOuts.get()).values[0]?.value ?? 0;
    expect(delays).toBeGreaterThan(0);
    expect(lines.some((l) => l.msg === 'job delayed without spending a retry')).toBe(true);
  }, 120_000);
});
