import { ROOT_CONTEXT, TraceFlags, createTraceState, trace, type SpanContext } from '@opentelemetry/api';
import { loadConfig } from '../../../src/config/load.js';
import {
  extractTraceContext,
  injectTraceContext,
  startTracing,
  traceFields,
  tracingEnabled,
} from '../../../src/observability/tracing.js';
import { KeepingSpanExporter, recordingTracer } from '../../helpers/spans.js';

// Records whether the SDK module was loaded at all (it must not be while tracing is off).
const mockSdkLoads: string[] = [];
jest.mock('@opentelemetry/sdk-node', () => {
  mockSdkLoads.push('@opentelemetry/sdk-node');
  return jest.requireActual<object>('@opentelemetry/sdk-node');
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

const remote = (sc: Partial<SpanContext> = {}) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
    ...sc,
  });

describe('tracingEnabled', () => {
  const enabled = (env: Record<string, string>) => tracingEnabled(loadConfig(env));

  it('is off with no exporter configured', () => {
    expect(enabled({})).toBe(false);
    expect(enabled({ OTEL_SERVICE_NAME: 'x' })).toBe(false);
  });

  it('is on with an OTLP endpoint, general or for traces only', () => {
    expect(enabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(enabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
  });

  it('is on with an exporter other than none, and off with none whatever the endpoint', () => {
    expect(enabled({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(enabled({ OTEL_TRACES_EXPORTER: 'otlp, console' })).toBe(true);
    expect(enabled({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(
      false,
    );
  });

  it('is off with OTEL_SDK_DISABLED=true (any case), whatever else is set', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(enabled({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(enabled({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
    expect(enabled({ ...endpoint, OTEL_SDK_DISABLED: 'false' })).toBe(true);
  });

  it('names the service enhancer unless OTEL_SERVICE_NAME says otherwise', () => {
    expect(loadConfig({}).tracing.serviceName).toBe('enhancer');
    expect(loadConfig({ OTEL_SERVICE_NAME: 'enhancer-eu' }).tracing.serviceName).toBe('enhancer-eu');
  });

  it('refuses an unknown exporter or a malformed endpoint at start-up, naming the variable', () => {
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(
      /^OTEL_TRACES_EXPORTER must be otlp, zipkin, console or none, got "jaeger"$/,
    );
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(
      /^OTEL_EXPORTER_OTLP_ENDPOINT must be a URL, got "not a url"$/,
    );
  });
});

describe('startTracing', () => {
  it('does nothing, and loads no SDK, when tracing is off', async () => {
    const tracing = await startTracing(loadConfig({}));
    expect(tracing.enabled).toBe(false);
    expect(tracing.tracer.startSpan('x').isRecording()).toBe(false);
    await tracing.shutdown();
    expect(mockSdkLoads).toEqual([]);
  });

  it('with an exporter, records spans with the service name and flushes them at shutdown', async () => {
    const exporter = new KeepingSpanExporter();
    const tracing = await startTracing(loadConfig({ OTEL_SERVICE_NAME: 'enhancer-test' }), { exporter });
    expect(mockSdkLoads).toEqual(['@opentelemetry/sdk-node']);
    expect(tracing.enabled).toBe(true);
    tracing.tracer.startSpan('one').end();
    await tracing.shutdown();

    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['one']);
    expect(spans[0]!.resource.attributes['service.name']).toBe('enhancer-test');
    // Unregistered: the global API is back to non-recording spans, and can be started again.
    expect(trace.getTracer('after').startSpan('x').isRecording()).toBe(false);
  });
});

describe('trace context in message headers', () => {
  it('injects the span in a context as traceparent and tracestate', () => {
    const headers = injectTraceContext(remote({ traceState: createTraceState('acme=1') }), { keep: 'me' });
    expect(headers).toEqual({ keep: 'me', traceparent: TRACEPARENT, tracestate: 'acme=1' });
  });

  it('injects nothing when the context holds no valid span', () => {
    expect(injectTraceContext(ROOT_CONTEXT, {})).toEqual({});
  });

  it('round-trips: what a producer injects, the consumer extracts as a remote parent', () => {
    const { tracer } = recordingTracer();
    const producer = tracer.startSpan('producer');
    const headers = injectTraceContext(trace.setSpan(ROOT_CONTEXT, producer), {});

    const parent = trace.getSpanContext(extractTraceContext(headers));
    expect(parent).toEqual({
      traceId: producer.spanContext().traceId,
      spanId: producer.spanContext().spanId,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
  });

  it('reads headers that arrive as Buffers, and tracestate with them', () => {
    const sc = trace.getSpanContext(
      extractTraceContext({ traceparent: Buffer.from(TRACEPARENT), tracestate: 'acme=1' }),
    );
    expect(sc).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true });
    expect(sc?.traceState?.get('acme')).toBe('1');
  });

  it('gives the root context for missing or malformed headers', () => {
    expect(trace.getSpanContext(extractTraceContext({}))).toBeUndefined();
    expect(trace.getSpanContext(extractTraceContext({ traceparent: 'garbage' }))).toBeUndefined();
    expect(trace.getSpanContext(extractTraceContext({ traceparent: 42 }))).toBeUndefined();
  });

  it('with no SDK, a span under the extracted context keeps the producer ids for the log lines', () => {
    const span = trace
      .getTracer('x')
      .startSpan('consumer', {}, extractTraceContext({ traceparent: TRACEPARENT }));
    expect(span.isRecording()).toBe(false);
    expect(traceFields(span)).toEqual({ trace_id: TRACE_ID, span_id: SPAN_ID });
    expect(traceFields(trace.getTracer('x').startSpan('no parent'))).toEqual({});
  });
});
