/**
 * What an operator sees of a worker process: its log lines, its /metrics, its SIGTERM drain and its
 * liveness probe, against the real RabbitMQ and Postgres. (An idle worker's SIGTERM exit code is in
 * cli.test.ts; here the drain of a job in flight.)
 */
import { randomBytes } from 'node:crypto';
import {
  createTestEnv,
  queueDepth,
  spawnWorker,
  started,
  waitFor,
  type ChildWorker,
  type TestEnv,
} from '../helpers/services.js';
import { makeJob } from '../helpers/live-jobs.js';
import { parsePromText, samplesOf, valueOf, type Sample } from '../helpers/prom-text.js';
import { openProducer, type Producer } from '../../src/adapters/amqp/producer.js';
import type { Job } from '../../src/domain/job.js';

type Line = Record<string, unknown>;

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Every stdout line as JSON; fails on the first line that is not. */
function jsonLines(w: ChildWorker): Line[] {
  return w.lines
    .filter((l) => !l.startsWith('stderr: '))
    .map((l) => {
      try {
        return JSON.parse(l) as Line;
      } catch {
        throw new Error(`not a JSON line on stdout: ${l}`);
      }
    });
}

const jobFields = (job: Job, attempt: number) => ({
  job_id: job.job_id,
  ticket_id: job.ticket_id,
  tenant_id: job.tenant_id,
  attempt,
});

describe('operating a worker: logs, metrics, SIGTERM and liveness', () => {
  let t: TestEnv;
  let producer: Producer;
  const workers: ChildWorker[] = [];

  const worker = (env: Record<string, string> = {}) => {
    const w = spawnWorker({ ...t.env, ENHANCER_PIPELINE: 'simulate', ...env });
    workers.push(w);
    return w;
  };
  const stop = (w: ChildWorker) => {
    w.proc.kill('SIGTERM');
    return w.exited;
  };
  const status = async (jobId: string) =>
    (
      await t.query<{ status: string; attempts: number }>(
        'select status, attempts from enhancement_history where job_id = $1',
        [jobId],
      )
    )[0];
  const settled = (...jobs: Job[]) =>
    waitFor(`${jobs.length} job(s) to end`, async () => {
      const rows = await t.query<{ status: string }>(
        'select status from enhancement_history where job_id = any($1::uuid[])',
        [jobs.map((j) => j.job_id)],
      );
      return rows.length === jobs.length && rows.every((r) => r.status !== 'pending');
    });
  const base = (w: ChildWorker) => {
    const line = jsonLines(w).find((l) => l.msg === 'worker started');
    return `http://127.0.0.1:${String(line?.http_port)}`;
  };
  const scrape = async (w: ChildWorker): Promise<Sample[]> =>
    parsePromText(await (await fetch(`${base(w)}/metrics`)).text());

  beforeAll(async () => {
    t = await createTestEnv('observability');
    producer = await openProducer(t.config());
  });
  afterEach(async () => {
    // A failed test must not leave its worker consuming the next test's jobs.
    const live = workers.splice(0).filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
    await Promise.all(live.map(stop));
  });
  afterAll(async () => {
    await producer?.close();
    await t?.teardown();
  });

  it('logs one JSON object a line, with pod and job fields, and never the description', async () => {
    const pod = `obs-${randomBytes(4).toString('hex')}`;
    const description = `Zebracorn-${randomBytes(6).toString('hex')}: the VPN drops at noon`;
    const w = worker({ POD_NAME: pod });
    await started(w);
    const ok = makeJob({ description });
    const retried = makeJob({ description, simulate: { fail_times: 1 } });
    const dead = makeJob({
      description,
      tenant_id: 'globex',
      simulate: { fail_times: 1, error: 'permanent' },
    });
    for (const job of [ok, retried, dead]) await producer.publishJob(job);
    await settled(ok, retried, dead);
    expect((await stop(w)).code).toBe(0);

    const lines = jsonLines(w);
    for (const line of lines) {
      expect(line).toMatchObject({
        level: expect.any(String),
        msg: expect.any(String),
        service: 'enhancer',
        pod,
      });
      expect(line.ts).toMatch(ISO);
    }
    const of = (job: Job, msg: string) => lines.filter((l) => l.job_id === job.job_id && l.msg === msg);
    const started1 = (job: Job): unknown[] => [
      expect.objectContaining({ level: 'info', ...jobFields(job, 1) }),
    ];

    expect(of(ok, 'job started')).toEqual(started1(ok));
    expect(of(ok, 'job completed')).toEqual([
      expect.objectContaining({ ...jobFields(ok, 1), duration_ms: expect.any(Number) }),
    ]);

    expect(of(retried, 'job started')).toEqual([
      expect.objectContaining(jobFields(retried, 1)),
      expect.objectContaining(jobFields(retried, 2)),
    ]);
    expect(of(retried, 'attempt failed')).toEqual([
      expect.objectContaining({
        level: 'warn',
        ...jobFields(retried, 1),
        error_type: 'TransientError',
        error_message: 'simulated transient failure on attempt 1',
      }),
    ]);
    expect(of(retried, 'retry scheduled')).toEqual([
      expect.objectContaining({ level: 'warn', ...jobFields(retried, 1), delay_ms: 300 }),
    ]);
    expect(of(retried, 'job completed')).toEqual([
      expect.objectContaining({ ...jobFields(retried, 2), duration_ms: expect.any(Number) }),
    ]);

    expect(of(dead, 'job started')).toEqual(started1(dead));
    expect(of(dead, 'attempt failed')).toEqual([
      expect.objectContaining({
        ...jobFields(dead, 1),
        error_type: 'PermanentError',
        error_message: 'simulated permanent failure on attempt 1',
      }),
    ]);
    expect(of(dead, 'job dead-lettered')).toEqual([
      expect.objectContaining({ level: 'error', ...jobFields(dead, 1), reason: 'permanent' }),
    ]);

    // Every line of a job carries W3C trace and span ids (tracing is off here): one trace per job,
    // the producer's, and one span per attempt.
    for (const job of [ok, retried, dead]) {
      const mine = lines.filter((l) => l.job_id === job.job_id);
      expect(mine.every((l) => /^[0-9a-f]{32}$/.test(String(l.trace_id)))).toBe(true);
      expect(mine.every((l) => /^[0-9a-f]{16}$/.test(String(l.span_id)))).toBe(true);
      expect(new Set(mine.map((l) => l.trace_id)).size).toBe(1);
      expect(new Set(mine.map((l) => `${String(l.attempt)}/${String(l.span_id)}`)).size).toBe(
        new Set(mine.map((l) => l.attempt)).size,
      );
    }

    expect(lines.filter((l) => 'description' in l)).toEqual([]);
    expect(w.lines.join('\n')).not.toContain('Zebracorn');
  });

  it('with LOG_DESCRIPTION_CHARS=5, the job started line shows the first 5 characters only', async () => {
    const description = `Quokka-${randomBytes(6).toString('hex')}`;
    const w = worker({ LOG_DESCRIPTION_CHARS: '5' });
    await started(w);
    const job = makeJob({ description });
    await producer.publishJob(job);
    await settled(job);
    expect((await stop(w)).code).toBe(0);

    const lines = jsonLines(w);
    expect(lines.filter((l) => 'description' in l)).toEqual([
      expect.objectContaining({ msg: 'job started', job_id: job.job_id, description: 'Quokk…' }),
    ]);
    expect(w.lines.join('\n')).not.toContain(description);
  });

  it('with LOG_LEVEL=warn, drops the info lines and keeps the warnings', async () => {
    const w = worker({ LOG_LEVEL: 'warn' });
    const job = makeJob({ simulate: { fail_times: 1 } });
    await producer.publishJob(job);
    await settled(job);
    expect(await status(job.job_id)).toEqual({ status: 'completed', attempts: 2 });
    expect((await stop(w)).code).toBe(0);

    const lines = jsonLines(w);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['attempt failed', 'retry scheduled']));
    expect(lines.filter((l) => l.level !== 'warn' && l.level !== 'error')).toEqual([]);
  });

  it('counts a known mix exactly on /metrics, tenants past METRICS_MAX_TENANTS as "other"', async () => {
    const w = worker({ METRICS_MAX_TENANTS: '2' });
    await started(w);
    const first = [
      makeJob(),
      makeJob(),
      makeJob(),
      makeJob({ simulate: { fail_times: 1 } }),
      makeJob({ tenant_id: 'globex', simulate: { fail_times: 1, error: 'permanent' } }),
    ];
    for (const job of first) await producer.publishJob(job);
    await producer.publishRaw(Buffer.from('this is not JSON'));
    // Counted after the history row is written: wait for the counters, not the rows.
    const tasks = 'enhancement_tasks_total';
    const total = (samples: Sample[]) => samplesOf(samples, tasks).reduce((sum, s) => sum + s.value, 0);
    await waitFor('the first seven outcomes counted', async () => total(await scrape(w)) >= 7);
    // acme and globex took the two tenant labels; a third tenant is counted as "other".
    await producer.publishJob(makeJob({ tenant_id: 'initech' }));
    const samples = await waitFor('the third tenant counted', async () => {
      const s = await scrape(w);
      return valueOf(s, tasks, { status: 'completed', tenant_id: 'other' }) === 1 ? s : undefined;
    });

    const series = (name: string) =>
      samplesOf(samples, name)
        .map((s) => ({ ...s.labels, value: s.value }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(series(tasks)).toEqual([
      { status: 'completed', tenant_id: 'acme', value: 4 },
      { status: 'completed', tenant_id: 'other', value: 1 },
      { status: 'dead_lettered', tenant_id: 'unknown', value: 1 },
      { status: 'failed', tenant_id: 'globex', value: 1 },
      { status: 'retried', tenant_id: 'acme', value: 1 },
    ]);
    expect(series('enhancement_task_retries_total')).toEqual([{ value: 1 }]);
    expect(series('enhancement_dead_letters_total')).toEqual([
      { reason: 'permanent', value: 1 },
      { reason: 'validation', value: 1 },
    ]);
    expect(series('enhancement_tasks_in_flight')).toEqual([{ value: 0 }]);
    expect(series('enhancement_abandoned_attempts_running')).toEqual([{ value: 0 }]);
    const count = 'enhancement_task_duration_seconds_count';
    expect(valueOf(samples, count, { status: 'completed', tenant_id: 'acme' })).toBe(4);
    expect(valueOf(samples, count, { status: 'failed', tenant_id: 'globex' })).toBe(1);
    expect(
      valueOf(samples, 'enhancement_task_duration_seconds_bucket', {
        le: '+Inf',
        status: 'completed',
        tenant_id: 'acme',
      }),
    ).toBe(4);
    // Node's and the process's default metrics come along.
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(samplesOf(samples, name).length).toBeGreaterThan(0);
    }
  });

  it('SIGTERM during a 2 s job: the job completes, nothing is left in the queue, the process exits 0', async () => {
    const w = worker();
    await started(w);
    const job = makeJob({ simulate: { sleep_ms: 2_000 } });
    await producer.publishJob(job);
    await waitFor('the job to start', () =>
      jsonLines(w).some((l) => l.msg === 'job started' && l.job_id === job.job_id),
    );
    const exit = await stop(w);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(await status(job.job_id)).toEqual({ status: 'completed', attempts: 1 });
    // The process is gone, so an unacked message would be back in the queue as ready by now.
    expect(await queueDepth(t.names.jobs)).toBe(0);
    const msgs = jsonLines(w).map((l) => (l.job_id === job.job_id ? `${String(l.msg)} (job)` : l.msg));
    const stopping = msgs.indexOf('stopping: no new jobs; waiting for in-flight ones');
    expect(stopping).toBeGreaterThan(msgs.indexOf('job started (job)'));
    expect(msgs.indexOf('job completed (job)')).toBeGreaterThan(stopping);
    expect(msgs.at(-1)).toBe('worker stopped');
    expect(jsonLines(w)[stopping]).toMatchObject({ signal: 'SIGTERM' });
  });

  it('a handler that blocks the event loop fails /healthz until the lag leaves the window', async () => {
    const w = worker({ HEALTH_MAX_LOOP_LAG_MS: '1000', HEALTH_LAG_WINDOW_MS: '2000' });
    await started(w);
    const get = async (path: string) => {
      const res = await fetch(`${base(w)}${path}`);
      return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
    };
    // Start-up work may itself lag on a loaded machine; the drill begins from a healthy process.
    await waitFor('/healthz to pass', async () => (await get('/healthz')).status === 200, 5_000, 100);
    expect(await get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });

    const job = makeJob({ simulate: { block_ms: 2_500 } });
    await producer.publishJob(job);
    // Probes sent during the block are answered when it ends, and see the lag.
    const failed = await waitFor(
      '/healthz to fail',
      async () => {
        const r = await get('/healthz');
        return r.status === 503 ? r : undefined;
      },
      10_000,
      100,
    );
    expect(failed.body).toEqual({
      status: 'unavailable',
      reason: expect.stringMatching(/^event loop lag \d+ ms in the last 2000 ms, over the 1000 ms bound$/),
    });
    // Readiness is about the broker and Postgres: the loop is free again, so the pod may take work.
    expect((await get('/readyz')).status).toBe(200);
    await waitFor('/healthz to recover', async () => (await get('/healthz')).status === 200, 5_000, 100);
    await settled(job);
    expect(await status(job.job_id)).toEqual({ status: 'completed', attempts: 1 });
    expect((await stop(w)).code).toBe(0);
  });
});
