import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InfrastructureError, PermanentError, TransientError } from '../../../src/domain/errors.js';
import { JOB_ID, jobBody } from '../../helpers/jobs.js';
import { world } from '../../helpers/process-world.js';
import { childrenOf, onlySpan, recordingTracer } from '../../helpers/spans.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN = '00f067aa0ba902b7';
const traced = { traceparent: `00-${TRACE_ID}-${PRODUCER_SPAN}-01` };

function setup() {
  const { tracer, exporter } = recordingTracer();
  const w = world({ tracer });
  const spans = () => exporter.getFinishedSpans();
  const consumer = () => onlySpan(spans(), 'enhancement.process');
  return { w, spans, consumer };
}

const status = (s: ReadableSpan) => s.status.code;

describe('processDelivery: traces', () => {
  it("one CONSUMER span per attempt, child of the producer's span from the traceparent header", async () => {
    const { w, spans, consumer } = setup();

    expect(await w.run(w.delivery({ headers: traced, messageId: JOB_ID, attempt: 2 }))).toBe('completed');

    const c = consumer();
    expect(c.kind).toBe(SpanKind.CONSUMER);
    expect(c.spanContext().traceId).toBe(TRACE_ID);
    expect(c.parentSpanContext).toMatchObject({ traceId: TRACE_ID, spanId: PRODUCER_SPAN, isRemote: true });
    expect(c.attributes).toEqual({
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'p.jobs',
      'messaging.message.id': JOB_ID,
      'enhancement.attempt': 2,
      'enhancement.job_id': JOB_ID,
      'enhancement.tenant_id': 'acme',
      'enhancement.ticket_id': 'TICKET-42',
      'enhancement.outcome': 'completed',
    });
    expect(status(c)).toBe(SpanStatusCode.UNSET);
    expect(spans().every((s) => s.ended)).toBe(true);
  });

  it('db and pipeline spans are children of the consumer span, in order', async () => {
    const { w, spans, consumer } = setup();

    await w.run(w.delivery({ headers: traced }));

    expect(childrenOf(spans(), consumer())).toEqual(['db claim', 'enhancement.pipeline', 'db complete']);
    const claim = onlySpan(spans(), 'db claim');
    expect(claim.kind).toBe(SpanKind.CLIENT);
    expect(claim.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.operation.name': 'claim' });
    expect(spans().every((s) => s.spanContext().traceId === TRACE_ID)).toBe(true);
  });

  it('every log line of the job carries the trace_id and the consumer span_id', async () => {
    const { w, consumer } = setup();

    await w.run(w.delivery({ headers: traced, body: jobBody({ trace_id: 'ticket-trace-7' }) }));

    const jobLines = w.logger.lines.filter((l) => l.fields.job_id === JOB_ID);
    expect(jobLines.map((l) => l.msg)).toEqual(['job started', 'job completed']);
    for (const line of jobLines) {
      expect(line.fields).toMatchObject({
        trace_id: TRACE_ID,
        span_id: consumer().spanContext().spanId,
        job_trace_id: 'ticket-trace-7',
      });
    }
  });

  it('starts a new trace when the message carries no traceparent', async () => {
    const { w, consumer } = setup();

    await w.run(w.delivery());

    expect(consumer().parentSpanContext).toBeUndefined();
    expect(w.logger.lines[0]!.fields.trace_id).toBe(consumer().spanContext().traceId);
  });

  it('a failed attempt: ERROR status and an exception event on the consumer and pipeline spans', async () => {
    const { w, spans, consumer } = setup();
    w.enhancer.run = () => Promise.reject(new PermanentError('ticket is unreadable'));

    expect(await w.run(w.delivery({ headers: traced }))).toBe('failed');

    const c = consumer();
    expect(c.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ticket is unreadable' });
    expect(c.events.map((e) => [e.name, e.attributes?.['exception.type']])).toEqual([
      ['exception', 'PermanentError'],
    ]);
    expect(c.attributes['enhancement.outcome']).toBe('failed');
    expect(status(onlySpan(spans(), 'enhancement.pipeline'))).toBe(SpanStatusCode.ERROR);
    expect(childrenOf(spans(), c)).toEqual(['db claim', 'enhancement.pipeline', 'db fail']);
  });

  it('a retried attempt is an error too, and records the retry in a db span', async () => {
    const { w, spans, consumer } = setup();
    w.enhancer.run = () => Promise.reject(new TransientError('flaky'));

    expect(await w.run(w.delivery({ headers: traced }))).toBe('retried');

    expect(status(consumer())).toBe(SpanStatusCode.ERROR);
    expect(consumer().attributes['enhancement.outcome']).toBe('retried');
    expect(childrenOf(spans(), consumer())).toEqual(['db claim', 'enhancement.pipeline', 'db retry']);
  });

  it('a failing history call: its db span is the error, and the attempt waits out', async () => {
    const { w, spans, consumer } = setup();
    w.history.on.claim = () => Promise.reject(new InfrastructureError('postgres is down'));

    expect(await w.run(w.delivery({ headers: traced }))).toBe('delayed');

    const claim = onlySpan(spans(), 'db claim');
    expect(claim.status).toEqual({ code: SpanStatusCode.ERROR, message: 'postgres is down' });
    expect(status(consumer())).toBe(SpanStatusCode.ERROR);
    expect(consumer().attributes['enhancement.outcome']).toBe('delayed');
  });

  it('ends the span of a quarantined delivery, in the suspect queue name when run solo', async () => {
    const { w, spans } = setup();

    expect(await w.run(w.delivery({ headers: traced, redelivered: true }))).toBe('quarantined');
    expect(await w.run(w.delivery({ headers: traced, redelivered: true }), 'solo')).toBe('completed');

    const [moved, solo] = spans().filter((s) => s.name === 'enhancement.process');
    expect(moved!.attributes).toMatchObject({
      'messaging.destination.name': 'p.jobs',
      'enhancement.outcome': 'quarantined',
    });
    expect(status(moved!)).toBe(SpanStatusCode.UNSET);
    expect(childrenOf(spans(), moved!)).toEqual([]);
    expect(solo!.attributes['messaging.destination.name']).toBe('p.suspect');
    expect(w.logger.lines[0]).toMatchObject({
      msg: 'redelivered job moved aside to run alone',
      fields: { trace_id: TRACE_ID },
    });
  });

  it('ends the span of a poison message as an error, and its one log line carries the trace', async () => {
    const { w, consumer } = setup();

    expect(await w.run(w.delivery({ headers: traced, body: Buffer.from('not json') }))).toBe('dead_lettered');

    expect(status(consumer())).toBe(SpanStatusCode.ERROR);
    expect(consumer().attributes['enhancement.outcome']).toBe('dead_lettered');
    expect(w.logger.lines).toMatchObject([
      {
        msg: 'invalid job dead-lettered',
        fields: { trace_id: TRACE_ID, span_id: consumer().spanContext().spanId },
      },
    ]);
  });

  it('ends the span when a republish fails and the message is handed back', async () => {
    const { w, consumer } = setup();
    w.enhancer.run = () => Promise.reject(new TransientError('flaky'));
    w.bus.on.delay = () => Promise.reject(new Error('channel closed'));

    expect(await w.run(w.delivery({ headers: traced }))).toBe('requeued');

    expect(consumer().attributes['enhancement.outcome']).toBe('requeued');
    expect(consumer().status.code).toBe(SpanStatusCode.ERROR);
    expect(w.logger.lines.at(-1)).toMatchObject({
      msg: 'could not settle job; returning it to the queue',
      fields: { trace_id: TRACE_ID },
    });
  });
});

describe('processDelivery: trace fields with tracing off (non-recording spans)', () => {
  it("log lines carry the producer's trace_id and a span_id of the attempt's own", async () => {
    const w = world();

    await w.run(w.delivery({ headers: traced }));

    const ids = w.logger.lines.map((l) => [l.fields.trace_id, l.fields.span_id]);
    expect(ids).toHaveLength(2);
    expect(new Set(ids.map((x) => x.join('/'))).size).toBe(1);
    const [traceId, spanId] = ids[0]!;
    expect(traceId).toBe(TRACE_ID);
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe(PRODUCER_SPAN);
  });

  it("without a traceparent, lines get fresh ids, and the job's own trace_id as job_trace_id", async () => {
    const w = world();

    await w.run(w.delivery({ body: jobBody({ trace_id: 'ticket-trace-7' }) }));

    for (const l of w.logger.lines) {
      expect(l.fields.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(l.fields.span_id).toMatch(/^[0-9a-f]{16}$/);
      expect(l.fields.job_trace_id).toBe('ticket-trace-7');
    }
    const other = world();
    await other.run(other.delivery({}));
    expect(other.logger.lines[0]!.fields.trace_id).not.toBe(w.logger.lines[0]!.fields.trace_id);
  });
});
