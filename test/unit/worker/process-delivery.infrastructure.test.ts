import { InfrastructureError, ValidationError } from '../../../src/domain/errors.js';
import { flushMicrotasks } from '../../helpers/deferred.js';
import { metricValue } from '../../helpers/fakes.js';
import { WAIT_OUT_MAX_MS, world } from '../../helpers/process-world.js';

describe('processDelivery: infrastructure failing under the job', () => {
  it('waits out a failed claim at the same attempt without spending a retry', async () => {
    const w = world();
    w.history.on.claim = () => Promise.reject(new InfrastructureError('postgres unavailable'));
    const d = w.delivery({ attempt: 3 });

    expect(await w.run(d)).toBe('delayed');

    expect(w.events).toEqual(['history.claim', 'bus.delay', 'ack']);
    expect(w.bus.delays).toEqual([{ attempt: 3, delayMs: 2_000 }]);
    expect(w.enhancer.calls).toEqual([]);
    expect(await metricValue(w.metrics.waitOuts)).toBe(1);
    expect(await metricValue(w.metrics.retries)).toBe(0);
  });

  it('waits out a failed completion at the same attempt', async () => {
    const w = world();
    w.history.on.complete = () => Promise.reject(new InfrastructureError('postgres unavailable'));
    const d = w.delivery({ attempt: 2 });

    expect(await w.run(d)).toBe('delayed');

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'history.complete', 'bus.delay', 'ack']);
    expect(w.bus.delays).toEqual([{ attempt: 2, delayMs: 2_000 }]);
    expect(await metricValue(w.metrics.waitOuts)).toBe(1);
    expect(await metricValue(w.metrics.retries)).toBe(0);
    expect(await metricValue(w.metrics.tasks, { status: 'completed', tenant_id: 'acme' })).toBe(0);
  });

  it('waits out an InfrastructureError thrown by the pipeline itself', async () => {
    const w = world();
    w.enhancer.run = () => Promise.reject(new InfrastructureError('vector store down'));

    expect(await w.run(w.delivery({ attempt: 4 }))).toBe('delayed');

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'bus.delay', 'ack']);
    expect(w.bus.delays).toEqual([{ attempt: 4, delayMs: 2_000 }]);
    expect(w.bus.deadLetters).toEqual([]);
  });

  it('waits out an attempt aborted by shutdown at the same attempt', async () => {
    const w = world();
    w.enhancer.run = (_job, { signal }) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason as Error)),
      );
    const outcome = w.run(w.delivery({ attempt: 2 }));
    await flushMicrotasks();
    expect(w.events).toEqual(['history.claim', 'enhancer.enhance']);

    w.shutdown.abort();

    expect(await outcome).toBe('delayed');
    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'bus.delay', 'ack']);
    expect(w.bus.delays).toEqual([{ attempt: 2, delayMs: 2_000 }]);
    expect(await metricValue(w.metrics.retries)).toBe(0);
  });

  it('waits longer the longer this worker has seen Postgres down, and counts it by cause', async () => {
    const w = world({ outageMs: 20_000 });
    const down = new InfrastructureError('postgres unavailable', { dependency: 'postgres' });
    w.history.on.claim = () => Promise.reject(down);

    expect(await w.run(w.delivery({ attempt: 1 }))).toBe('delayed');

    expect(w.bus.delays).toEqual([{ attempt: 1, delayMs: 10_000 }]);
    expect(await metricValue(w.metrics.waitOuts, { cause: 'postgres' })).toBe(1);
    expect(await metricValue(w.metrics.waitOutDelay, { cause: 'postgres' })).toBe(10);
    const line = w.logger.lines.find((l) => l.msg === 'job delayed without spending a retry');
    expect(line?.fields).toMatchObject({ delay_ms: 10_000, cause: 'postgres' });
  });

  it('caps the wait-out at WAIT_OUT_MAX_MS however long the outage', async () => {
    const w = world({ outageMs: 3_600_000 });
    w.history.on.complete = () =>
      Promise.reject(new InfrastructureError('postgres unavailable', { dependency: 'postgres' }));

    expect(await w.run(w.delivery())).toBe('delayed');

    expect(w.bus.delays).toEqual([{ attempt: 1, delayMs: WAIT_OUT_MAX_MS }]);
  });

  it('keeps a shutdown or another cause at the first delay, each under its own label', async () => {
    const w = world({ outageMs: 60_000 });
    w.enhancer.run = () => Promise.reject(new InfrastructureError('vector store down'));
    await w.run(w.delivery());
    w.enhancer.run = (_job, { signal }) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason as Error)),
      );
    const aborted = w.run(w.delivery());
    await flushMicrotasks();
    w.shutdown.abort();
    expect(await aborted).toBe('delayed');

    expect(w.bus.delays).toEqual([
      { attempt: 1, delayMs: 2_000 },
      { attempt: 1, delayMs: 2_000 },
    ]);
    expect(await metricValue(w.metrics.waitOuts, { cause: 'other' })).toBe(1);
    expect(await metricValue(w.metrics.waitOuts, { cause: 'shutdown' })).toBe(1);
    expect(await metricValue(w.metrics.waitOuts, { cause: 'postgres' })).toBe(0);
  });

  it('nacks when the wait-out cannot be published', async () => {
    const w = world();
    w.history.on.claim = () => Promise.reject(new InfrastructureError('postgres unavailable'));
    w.bus.on.delay = () => Promise.reject(new Error('channel closed'));
    const d = w.delivery();

    expect(await w.run(d)).toBe('requeued');

    expect(w.events).toEqual(['history.claim', 'bus.delay', 'nack']);
    expect(d.acks).toBe(0);
    expect(await metricValue(w.metrics.waitOuts)).toBe(0);
  });

  it('dead-letters a job whose claim history refuses for its data', async () => {
    const w = world();
    w.history.on.claim = () => Promise.reject(new ValidationError('history write refused: RLS'));
    w.history.on.forceFail = () => Promise.reject(new ValidationError('history write refused: RLS'));

    expect(await w.run(w.delivery())).toBe('dead_lettered');

    expect(w.events).toEqual(['history.claim', 'bus.deadLetter', 'history.forceFail', 'ack']);
    expect(w.bus.deadLetters.map((i) => i.reason)).toEqual(['validation']);
    expect(w.bus.delays).toEqual([]);
  });
});
