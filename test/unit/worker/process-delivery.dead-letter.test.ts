import {
  InfrastructureError,
  PermanentError,
  TransientError,
  ValidationError,
} from '../../../src/domain/errors.js';
import { deferred, flushMicrotasks } from '../../helpers/deferred.js';
import { metricValue } from '../../helpers/fakes.js';
import { JOB_ID } from '../../helpers/jobs.js';
import { START, world } from '../../helpers/process-world.js';
import { processDelivery } from '../../../src/worker/process-delivery.js';

const AT = new Date(START).toISOString();

describe('processDelivery: a failed attempt that ends the job', () => {
  it('dead-letters once the retries are spent, before recording the failure, then acks', async () => {
    const w = world();
    w.enhancer.run = () => {
      w.clock.advance(40);
      return Promise.reject(new TransientError('still broken'));
    };
    const d = w.delivery({ attempt: 4 });

    expect(await w.run(d)).toBe('failed');

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'bus.deadLetter', 'history.fail', 'ack']);
    expect(w.bus.deadLetters).toEqual([
      {
        reason: 'retries_exhausted',
        attempts: 4,
        failure: {
          errorType: 'TransientError',
          errorMessage: 'still broken',
          at: new Date(START + 40).toISOString(),
        },
      },
    ]);
    expect(w.history.failures).toEqual([
      { jobId: JOB_ID, tenantId: 'acme', attempt: 4, error: 'still broken', processingMs: 40 },
    ]);
    expect(await metricValue(w.metrics.deadLetters, { reason: 'retries_exhausted' })).toBe(1);
    expect(await metricValue(w.metrics.tasks, { status: 'failed', tenant_id: 'acme' })).toBe(1);
    expect(await metricValue(w.metrics.retries)).toBe(0);
  });

  it('waits for the dead letter to be confirmed before the row, and for the row before the ack', async () => {
    const w = world();
    w.enhancer.run = () => Promise.reject(new TransientError('still broken'));
    const confirmed = deferred();
    const recorded = deferred<boolean>();
    w.bus.on.deadLetter = () => confirmed.promise;
    w.history.on.fail = () => recorded.promise;
    const d = w.delivery({ attempt: 4 });

    const outcome = w.run(d);
    await flushMicrotasks();
    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'bus.deadLetter']);
    confirmed.resolve();
    await flushMicrotasks();
    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'bus.deadLetter', 'history.fail']);
    expect(d.acks).toBe(0);
    recorded.resolve(true);

    expect(await outcome).toBe('failed');
    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'bus.deadLetter', 'history.fail', 'ack']);
  });

  it('dead-letters a PermanentError at attempt 1 without retrying', async () => {
    const w = world();
    w.enhancer.run = () => Promise.reject(new PermanentError('ticket deleted'));

    expect(await w.run(w.delivery({ attempt: 1 }))).toBe('failed');

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'bus.deadLetter', 'history.fail', 'ack']);
    expect(w.bus.deadLetters).toEqual([
      {
        reason: 'permanent',
        attempts: 1,
        failure: { errorType: 'PermanentError', errorMessage: 'ticket deleted', at: AT },
      },
    ]);
    expect(w.history.failures.map((f) => f.attempt)).toEqual([1]);
    expect(w.bus.delays).toEqual([]);
    expect(await metricValue(w.metrics.deadLetters, { reason: 'permanent' })).toBe(1);
  });

  it('waits out an outage when the failure cannot be recorded, at the same attempt, and acks', async () => {
    const w = world();
    w.enhancer.run = () => Promise.reject(new TransientError('still broken'));
    w.history.on.fail = () => Promise.reject(new InfrastructureError('postgres unavailable'));
    const d = w.delivery({ attempt: 4 });

    expect(await w.run(d)).toBe('delayed');

    expect(w.events).toEqual([
      'history.claim',
      'enhancer.enhance',
      'bus.deadLetter',
      'history.fail',
      'bus.delay',
      'ack',
    ]);
    expect(w.bus.delays).toEqual([{ attempt: 4, delayMs: 2_000 }]);
    expect(d.acks).toBe(1);
    expect(await metricValue(w.metrics.waitOuts)).toBe(1);
    // In the dead-letter queue already, so counted now: an outage must not hide the dead letters it
    // causes. The delivery that later writes the row counts nothing more (owed-row tests).
    expect(await metricValue(w.metrics.deadLetters, { reason: 'retries_exhausted' })).toBe(1);
    expect(await metricValue(w.metrics.tasks, { status: 'failed', tenant_id: 'acme' })).toBe(1);
  });

  it('acks when history refuses the row for its data, instead of looping', async () => {
    const w = world();
    w.enhancer.run = () => Promise.reject(new PermanentError('ticket deleted'));
    w.history.on.fail = () => Promise.reject(new ValidationError('history write refused: RLS'));
    const d = w.delivery();

    expect(await w.run(d)).toBe('failed');

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'bus.deadLetter', 'history.fail', 'ack']);
    expect(w.bus.delays).toEqual([]);
  });

  it('nacks when the dead letter cannot be published, and records nothing', async () => {
    const w = world();
    w.enhancer.run = () => Promise.reject(new PermanentError('ticket deleted'));
    w.bus.on.deadLetter = () => Promise.reject(new Error('channel closed'));
    const d = w.delivery();

    expect(await w.run(d)).toBe('requeued');

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'bus.deadLetter', 'nack']);
    expect(d.acks).toBe(0);
  });

  it('says on its one dead-letter line that the row waits for Postgres, and logs no separate wait-out', async () => {
    const w = world();
    w.enhancer.run = () => Promise.reject(new TransientError('still broken'));
    w.history.on.fail = () => Promise.reject(new InfrastructureError('postgres unavailable'));

    expect(await w.run(w.delivery({ attempt: 4 }))).toBe('delayed');

    expect(w.logger.lines.map((l) => l.msg)).toEqual(['job started', 'attempt failed', 'job dead-lettered']);
    expect(w.logger.lines.at(-1)).toMatchObject({
      level: 'error',
      fields: {
        reason: 'retries_exhausted',
        error_message: 'still broken',
        history_recorded: false,
        history_error: 'postgres unavailable',
        delay_ms: 2_000,
      },
    });
  });

  it('still counts a published dead letter when the wait-out for its row cannot be published', async () => {
    const w = world();
    const told: string[] = [];
    const deps = { ...w.deps, onDeadLetter: (n: { reason: string }) => told.push(n.reason) };
    w.enhancer.run = () => Promise.reject(new TransientError('still broken'));
    w.history.on.fail = () => Promise.reject(new InfrastructureError('postgres unavailable'));
    w.bus.on.delay = () => Promise.reject(new Error('channel closed'));
    const d = w.delivery({ attempt: 4 });

    expect(await processDelivery(d, deps, 'fresh')).toBe('requeued');

    expect(w.events).toEqual([
      'history.claim',
      'enhancer.enhance',
      'bus.deadLetter',
      'history.fail',
      'bus.delay',
      'nack',
    ]);
    expect(told).toEqual(['retries_exhausted']);
    expect(await metricValue(w.metrics.deadLetters, { reason: 'retries_exhausted' })).toBe(1);
    expect(await metricValue(w.metrics.tasks, { status: 'failed', tenant_id: 'acme' })).toBe(1);
    expect(await metricValue(w.metrics.waitOuts)).toBe(0);
    expect(w.logger.lines.at(-1)).toMatchObject({
      msg: 'could not settle job; returning it to the queue',
      fields: { reason: 'retries_exhausted', error_message: 'channel closed', job_id: JOB_ID },
    });
  });

  it('records the row of a dead letter and says so on its one line', async () => {
    const w = world();
    w.enhancer.run = () => Promise.reject(new PermanentError('ticket deleted'));

    expect(await w.run(w.delivery())).toBe('failed');

    expect(w.logger.lines.filter((l) => l.msg === 'job dead-lettered')).toMatchObject([
      { fields: { reason: 'permanent', history_recorded: true } },
    ]);
  });
});
