import { deferred, flushMicrotasks } from '../../helpers/deferred.js';
import { metricValue } from '../../helpers/fakes.js';
import { JOB_ID } from '../../helpers/jobs.js';
import { world } from '../../helpers/process-world.js';

describe('processDelivery: a job that succeeds', () => {
  it('claims, enhances, completes, then acks', async () => {
    const w = world();
    w.enhancer.run = (job) => {
      w.clock.advance(30);
      return Promise.resolve({ summary: `enhanced ${job.ticket_id}` });
    };
    const d = w.delivery({ attempt: 2 });

    expect(await w.run(d)).toBe('completed');

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'history.complete', 'ack']);
    expect(w.history.claims).toEqual([
      { jobId: JOB_ID, tenantId: 'acme', ticketId: 'TICKET-42', attempt: 2 },
    ]);
    expect(w.enhancer.calls.map((c) => c.attempt)).toEqual([2]);
    expect(w.history.completions).toEqual([
      { jobId: JOB_ID, tenantId: 'acme', attempt: 2, summary: 'enhanced TICKET-42', processingMs: 30 },
    ]);
    expect(d.acks).toBe(1);
    expect(d.nacks).toBe(0);
    expect(await metricValue(w.metrics.tasks, { status: 'completed', tenant_id: 'acme' })).toBe(1);
    expect(await metricValue(w.metrics.inFlight)).toBe(0);
    expect(w.clock.pending).toBe(0);
  });

  it('acks only after the completion is durable', async () => {
    const w = world();
    const durable = deferred<boolean>();
    w.history.on.complete = () => durable.promise;
    const d = w.delivery();

    const outcome = w.run(d);
    await flushMicrotasks();
    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'history.complete']);
    expect(d.acks).toBe(0);

    durable.resolve(true);
    expect(await outcome).toBe('completed');
    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'history.complete', 'ack']);
  });

  it('still acks when the completion was fenced out by a newer attempt', async () => {
    const w = world();
    w.history.on.complete = () => Promise.resolve(false);
    const d = w.delivery();

    expect(await w.run(d)).toBe('completed');

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'history.complete', 'ack']);
    expect(w.logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'result not recorded: a newer attempt owns the job',
    ]);
  });

  it.each(['completed', 'failed'] as const)(
    'acks a job whose claim finds it already %s, without running it',
    async (state) => {
      const w = world();
      w.history.on.claim = () => Promise.resolve(state);
      const d = w.delivery();

      expect(await w.run(d)).toBe('duplicate');

      expect(w.events).toEqual(['history.claim', 'ack']);
      expect(w.enhancer.calls).toEqual([]);
      expect(await metricValue(w.metrics.duplicates)).toBe(1);
      expect(await metricValue(w.metrics.inFlight)).toBe(0);
    },
  );

  it('runs a redelivered job in solo mode instead of moving it aside', async () => {
    const w = world();
    const d = w.delivery({ redelivered: true, redeliveries: 5 });

    expect(await w.run(d, 'solo')).toBe('completed');

    expect(w.events).toEqual(['history.claim', 'enhancer.enhance', 'history.complete', 'ack']);
    expect(w.bus.quarantined).toEqual([]);
  });

  it('stamps the job fields on its log lines', async () => {
    const w = world();
    await w.run(w.delivery({ attempt: 3 }));
    const started = w.logger.lines.find((l) => l.msg === 'job started');
    expect(started?.fields).toEqual({
      job_id: JOB_ID,
      ticket_id: 'TICKET-42',
      tenant_id: 'acme',
      attempt: 3,
      priority: 'high',
      // Fresh W3C ids when the message brought none (tracing is off here).
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) as string,
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/) as string,
    });
  });
});
