import { InfrastructureError, ValidationError } from '../../../src/domain/errors.js';
import { metricValue } from '../../helpers/fakes.js';
import { JOB_ID, jobBody } from '../../helpers/jobs.js';
import { DELIVERY_LIMIT, START, world } from '../../helpers/process-world.js';

const AT = new Date(START).toISOString();

describe('processDelivery: before the job runs', () => {
  it('moves a redelivered fresh delivery to the suspect queue, acks, and does nothing else', async () => {
    const w = world();
    const d = w.delivery({ redelivered: true, redeliveries: 1 });

    expect(await w.run(d, 'fresh')).toBe('quarantined');

    expect(w.events).toEqual(['bus.quarantine', 'ack']);
    expect(w.bus.quarantined).toEqual([d]);
    expect(await metricValue(w.metrics.suspects)).toBe(1);
  });

  it('names the job it moved aside (its message id), without decoding the body', async () => {
    const w = world();
    const d = w.delivery({ redelivered: true, redeliveries: 2, messageId: JOB_ID, body: Buffer.from('??') });

    expect(await w.run(d, 'fresh')).toBe('quarantined');

    expect(w.logger.lines).toMatchObject([
      { msg: 'redelivered job moved aside to run alone', fields: { job_id: JOB_ID, redeliveries: 2 } },
    ]);
  });

  it('nacks a redelivered delivery it could not move aside', async () => {
    const w = world();
    w.bus.on.quarantine = () => Promise.reject(new Error('channel closed'));

    expect(await w.run(w.delivery({ redelivered: true, redeliveries: 1 }), 'fresh')).toBe('requeued');

    expect(w.events).toEqual(['bus.quarantine', 'nack']);
  });

  it('dead-letters a body that is not JSON, acks, and never runs or records it', async () => {
    const w = world();
    const d = w.delivery({ body: Buffer.from('not json') });

    expect(await w.run(d)).toBe('dead_lettered');

    expect(w.events).toEqual(['bus.deadLetter', 'ack']);
    expect(w.bus.deadLetters).toHaveLength(1);
    const info = w.bus.deadLetters[0]!;
    expect(info.reason).toBe('validation');
    expect(info.attempts).toBe(1);
    expect(info.failure.errorType).toBe('ValidationError');
    expect(info.failure.errorMessage).toMatch(/^body is not JSON: /);
    expect(info.failure.at).toBe(AT);
    expect(w.enhancer.calls).toEqual([]);
    expect(await metricValue(w.metrics.deadLetters, { reason: 'validation' })).toBe(1);
    expect(await metricValue(w.metrics.tasks, { status: 'dead_lettered', tenant_id: 'unknown' })).toBe(1);
  });

  it('records an invalid job as failed when its job_id and tenant_id are readable', async () => {
    const w = world();
    const d = w.delivery({ body: jobBody({ job_id: JOB_ID.toUpperCase(), priority: 'urgent' }) });

    expect(await w.run(d)).toBe('dead_lettered');

    expect(w.events).toEqual(['bus.deadLetter', 'history.forceFail', 'ack']);
    expect(w.history.forceFails).toHaveLength(1);
    expect(w.history.forceFails[0]).toEqual({
      jobId: JOB_ID,
      tenantId: 'acme',
      ticketId: 'TICKET-42',
      error: w.bus.deadLetters[0]!.failure.errorMessage,
    });
    expect(w.history.forceFails[0]!.error).toMatch(/^priority: /);
    expect(await metricValue(w.metrics.tasks, { status: 'dead_lettered', tenant_id: 'acme' })).toBe(1);
  });

  it('does not record an invalid job without a readable tenant_id', async () => {
    const w = world();

    expect(await w.run(w.delivery({ body: jobBody({ tenant_id: '' }) }))).toBe('dead_lettered');

    expect(w.events).toEqual(['bus.deadLetter', 'ack']);
  });

  it('still acks an invalid job when recording it fails', async () => {
    const w = world();
    w.history.on.forceFail = () => Promise.reject(new InfrastructureError('postgres unavailable'));

    expect(await w.run(w.delivery({ body: jobBody({ priority: 'urgent' }) }))).toBe('dead_lettered');

    expect(w.events).toEqual(['bus.deadLetter', 'history.forceFail', 'ack']);
    expect(w.bus.delays).toEqual([]);
  });

  it('nacks an invalid job whose dead letter cannot be published', async () => {
    const w = world();
    w.bus.on.deadLetter = () => Promise.reject(new Error('channel closed'));
    const d = w.delivery({ body: Buffer.from('{') });

    expect(await w.run(d)).toBe('requeued');

    expect(w.events).toEqual(['bus.deadLetter', 'nack']);
  });

  it('dead-letters a suspect over the delivery limit in solo mode and force-fails its row', async () => {
    const w = world();
    const d = w.delivery({ redelivered: true, redeliveries: DELIVERY_LIMIT + 1, attempt: 2 });

    expect(await w.run(d, 'solo')).toBe('dead_lettered');

    expect(w.events).toEqual(['bus.deadLetter', 'history.forceFail', 'ack']);
    expect(w.bus.deadLetters).toEqual([
      {
        reason: 'delivery_limit',
        attempts: 2,
        failure: {
          errorType: 'DeliveryLimitError',
          errorMessage: 'redelivered 6 times: the job keeps losing or killing its worker',
          at: AT,
        },
      },
    ]);
    expect(w.history.forceFails).toEqual([
      {
        jobId: JOB_ID,
        tenantId: 'acme',
        ticketId: 'TICKET-42',
        error: 'redelivered 6 times: the job keeps losing or killing its worker',
      },
    ]);
    expect(w.enhancer.calls).toEqual([]);
    expect(await metricValue(w.metrics.deadLetters, { reason: 'delivery_limit' })).toBe(1);
    expect(await metricValue(w.metrics.tasks, { status: 'dead_lettered', tenant_id: 'acme' })).toBe(1);
  });

  it('acks a job over the delivery limit even when history refuses the row (no loop)', async () => {
    const w = world();
    w.history.on.forceFail = () => Promise.reject(new ValidationError('history write refused: RLS'));
    const d = w.delivery({ redelivered: true, redeliveries: DELIVERY_LIMIT + 1 });

    expect(await w.run(d, 'solo')).toBe('dead_lettered');

    expect(w.events).toEqual(['bus.deadLetter', 'history.forceFail', 'ack']);
    expect(w.bus.delays).toEqual([]);
  });

  it('runs a suspect exactly at the delivery limit', async () => {
    const w = world();

    expect(await w.run(w.delivery({ redelivered: true, redeliveries: DELIVERY_LIMIT }), 'solo')).toBe(
      'completed',
    );

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'history.complete', 'ack']);
  });
});
