import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/services.js';
import { recordingEnhancer } from '../helpers/live-jobs.js';
import { RecordingLogger } from '../helpers/fakes.js';
import { KeepingSpanExporter, childrenOf, onlySpan, spansNamed } from '../helpers/spans.js';
import { enqueue } from '../../src/cli/enqueue.js';
import type { Enhancer } from '../../src/pipeline/enhancer.js';
import { runWorker, type RunningWorker } from '../../src/worker/run-worker.js';

describe('traces against real RabbitMQ and Postgres', () => {
  let t: TestEnv;
  let worker: RunningWorker;
  // The worker starts the SDK with this exporter; it registers globally in this jest worker process,
  // so the producer spans `enqueue` makes land here too.
  const exporter = new KeepingSpanExporter();
  const log = new RecordingLogger();
  const inner = recordingEnhancer();
  /** The span a pipeline sees as active, and the one it is handed, by attempt. */
  const activeInPipeline = new Map<number, string | undefined>();
  const handedToPipeline = new Map<number, string | undefined>();
  const enhancer: Enhancer = {
    name: 'traced',
    enhance: (job, ctx) => {
      activeInPipeline.set(ctx.attempt, trace.getActiveSpan()?.spanContext().spanId);
      handedToPipeline.set(ctx.attempt, trace.getSpan(ctx.trace)?.spanContext().spanId);
      return inner.enhance(job, ctx);
    },
  };

  beforeAll(async () => {
    t = await createTestEnv('tracing');
    worker = await runWorker(t.config(), log, { enhancer, traceExporter: exporter });
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.teardown();
  });

  it("the consumer span of every attempt is a child of the producer's span", async () => {
    const ids: string[] = [];
    // `enhancer enqueue`'s own code: it starts a trace with its PRODUCER span.
    await enqueue(
      {
        tenantId: 'acme',
        ticketId: 'T-traced',
        description: '',
        priority: 'medium',
        simulate: '{"fail_times":1}',
      },
      t.config(),
      (id) => ids.push(id),
    );
    const jobId = ids[0]!;
    await waitFor('the job to complete on its second attempt', async () => {
      const rows = await t.query<{ status: string }>(
        'select status from enhancement_history where job_id = $1',
        [jobId],
      );
      return rows[0]?.status === 'completed';
    });
    await worker.stop(); // flushes the spans

    const spans = exporter.getFinishedSpans();
    const producer = onlySpan(spans, 'enhancement.enqueue');
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(producer.attributes['enhancement.job_id']).toBe(jobId);
    expect(producer.parentSpanContext).toBeUndefined();

    const attempts = spansNamed(spans, 'enhancement.process').sort(
      (a, b) => Number(a.attributes['enhancement.attempt']) - Number(b.attributes['enhancement.attempt']),
    );
    expect(
      attempts.map((s) => [s.attributes['enhancement.attempt'], s.attributes['enhancement.outcome']]),
    ).toEqual([
      [1, 'retried'],
      [2, 'completed'],
    ]);
    for (const consumer of attempts) {
      expect(consumer.kind).toBe(SpanKind.CONSUMER);
      expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
      expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
      expect(consumer.attributes['messaging.destination.name']).toBe(t.names.jobs);
    }
    const [first, second] = attempts as [ReadableSpan, ReadableSpan];
    expect(first.status.code).toBe(SpanStatusCode.ERROR);
    expect(childrenOf(spans, first)).toEqual(['db claim', 'enhancement.pipeline', 'db retry']);
    expect(second.status.code).toBe(SpanStatusCode.UNSET);
    expect(childrenOf(spans, second)).toEqual(['db claim', 'enhancement.pipeline', 'db complete']);

    // The pipeline is handed its span's context, which is also active while it starts, so spans it
    // makes itself nest under it.
    const pipelineOf = (consumer: ReadableSpan) =>
      spansNamed(spans, 'enhancement.pipeline').find(
        (s) => s.parentSpanContext?.spanId === consumer.spanContext().spanId,
      );
    expect(activeInPipeline.get(2)).toBe(pipelineOf(second)?.spanContext().spanId);
    expect(handedToPipeline.get(2)).toBe(pipelineOf(second)?.spanContext().spanId);

    // Every log line of the job carries the trace and its attempt's consumer span.
    const lines = log.lines.filter((l) => l.fields.job_id === jobId);
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['job started', 'attempt failed', 'retry scheduled', 'job completed']),
    );
    for (const line of lines) {
      const consumer = line.fields.attempt === 1 ? first : second;
      expect(line.fields).toMatchObject({
        trace_id: producer.spanContext().traceId,
        span_id: consumer.spanContext().spanId,
      });
    }
  });
});
