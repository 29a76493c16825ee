import { InfrastructureError, TransientError } from '../../../src/domain/errors.js';
import { flushMicrotasks } from '../../helpers/deferred.js';
import { metricValue } from '../../helpers/fakes.js';
import { JOB_ID } from '../../helpers/jobs.js';
import { HARD_MS, SOFT_MS, START, world } from '../../helpers/process-world.js';

const AT = new Date(START).toISOString();

describe('processDelivery: a failed attempt with retries left', () => {
  it('records the failure, republishes as the next attempt after the backoff, then acks', async () => {
    const w = world({ random: 0 });
    w.enhancer.run = () => Promise.reject(new TransientError('upstream 503'));
    const d = w.delivery({ attempt: 1 });

    expect(await w.run(d)).toBe('retried');

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'history.retry', 'bus.delay', 'ack']);
    expect(w.history.retries).toEqual([
      { jobId: JOB_ID, tenantId: 'acme', attempt: 1, error: 'upstream 503' },
    ]);
    expect(w.bus.delays).toEqual([
      {
        attempt: 2,
        delayMs: 2_000,
        failure: { errorType: 'TransientError', errorMessage: 'upstream 503', at: AT },
      },
    ]);
    expect(await metricValue(w.metrics.retries)).toBe(1);
    expect(await metricValue(w.metrics.tasks, { status: 'retried', tenant_id: 'acme' })).toBe(1);
    expect(await metricValue(w.metrics.waitOuts)).toBe(0);
  });

  it('doubles the delay per attempt and applies the jitter', async () => {
    const w = world({ random: 0.5 });
    w.enhancer.run = () => Promise.reject(new Error('boom'));

    expect(await w.run(w.delivery({ attempt: 3 }))).toBe('retried');

    expect(w.bus.delays.map(({ attempt, delayMs }) => ({ attempt, delayMs }))).toEqual([
      { attempt: 4, delayMs: 7_200 },
    ]);
  });

  it('still schedules the retry when recording it fails', async () => {
    const w = world();
    w.enhancer.run = () => Promise.reject(new TransientError('flaky'));
    w.history.on.retry = () => Promise.reject(new InfrastructureError('postgres unavailable'));

    expect(await w.run(w.delivery())).toBe('retried');

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'history.retry', 'bus.delay', 'ack']);
    expect(w.bus.delays.map((c) => c.attempt)).toEqual([2]);
  });

  it('nacks instead of acking when the republish fails', async () => {
    const w = world();
    w.enhancer.run = () => Promise.reject(new TransientError('flaky'));
    w.bus.on.delay = () => Promise.reject(new Error('channel closed'));
    const d = w.delivery();

    expect(await w.run(d)).toBe('requeued');

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'history.retry', 'bus.delay', 'nack']);
    expect(d.acks).toBe(0);
    expect(d.nacks).toBe(1);
    expect(await metricValue(w.metrics.retries)).toBe(0);
    expect(await metricValue(w.metrics.inFlight)).toBe(0);
  });

  it('retries an attempt aborted at the soft deadline as a DeadlineError', async () => {
    const w = world();
    w.enhancer.run = (_job, { signal }) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason as Error)),
      );
    const outcome = w.run(w.delivery());
    await flushMicrotasks();
    expect(w.events).toEqual(['history.claim', 'enhancer.enhance']);

    w.clock.advance(SOFT_MS);

    expect(await outcome).toBe('retried');
    expect(w.bus.delays).toEqual([
      {
        attempt: 2,
        delayMs: 2_000,
        failure: {
          errorType: 'DeadlineError',
          errorMessage: 'attempt aborted at its soft deadline',
          at: new Date(START + SOFT_MS).toISOString(),
        },
      },
    ]);
    expect(await metricValue(w.metrics.abandoned)).toBe(0);
  });

  it('abandons a handler that never settles at the hard deadline and schedules a retry', async () => {
    const w = world();
    let finish: (() => void) | undefined;
    w.enhancer.run = () => new Promise((resolve) => (finish = () => resolve({ summary: 'late' })));
    const d = w.delivery();
    const outcome = w.run(d);
    await flushMicrotasks();
    expect(w.events).toEqual(['history.claim', 'enhancer.enhance']);

    w.clock.advance(HARD_MS - 1);
    await flushMicrotasks();
    expect(w.events).toEqual(['history.claim', 'enhancer.enhance']);
    w.clock.advance(1);

    expect(await outcome).toBe('retried');
    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'history.retry', 'bus.delay', 'ack']);
    expect(w.bus.delays).toEqual([
      {
        attempt: 2,
        delayMs: 2_000,
        failure: {
          errorType: 'DeadlineError',
          errorMessage: `attempt passed its ${HARD_MS} ms deadline`,
          at: new Date(START + HARD_MS).toISOString(),
        },
      },
    ]);
    expect(await metricValue(w.metrics.abandoned)).toBe(1);
    expect(await metricValue(w.metrics.abandonedRunning)).toBe(1);
    expect(w.metrics.abandonedStillRunning).toBe(1);

    finish!();
    await flushMicrotasks();
    expect(await metricValue(w.metrics.abandonedRunning)).toBe(0);
    expect(w.metrics.abandonedStillRunning).toBe(0);
    expect(w.history.completions).toEqual([]);
    expect(d.acks).toBe(1);
  });
});
