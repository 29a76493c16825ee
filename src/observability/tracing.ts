/**
 * Traces. Our own code makes every span (no auto-instrumentation), so they are deterministic and one
 * per attempt. The SDK (`@opentelemetry/sdk-node`) is loaded only when an exporter is configured;
 * without it the API hands out non-recording spans, which cost next to nothing and still carry the
 * producer's trace id from the message headers to the job's log lines.
 */
import {
  ROOT_CONTEXT,
  SpanStatusCode,
  TraceFlags,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Context,
  type Span,
  type SpanContext,
  type SpanOptions,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config/schema.js';
import { errorMessage } from '../lib/error-message.js';
import { redactSecrets } from '../lib/redact.js';
import { SyncContextManager } from './sync-context.js';

/** The instrumentation scope of every span enhancer makes. */
export const TRACER_NAME = 'enhancer';

/**
 * On only when an exporter is configured: OTEL_TRACES_EXPORTER other than `none`, or (unset) an OTLP
 * endpoint; and never with OTEL_SDK_DISABLED=true. Mirrors how the SDK itself reads those variables.
 */
export function tracingEnabled(config: Pick<Config, 'tracing'>): boolean {
  const t = config.tracing;
  if (t.sdkDisabled) return false;
  if (t.exporters.length > 0) return t.exporters[0] !== 'none';
  return t.otlpEndpoint !== undefined;
}

export interface Tracing {
  /** True when spans are recorded and exported. */
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** Flushes pending spans and stops the SDK; does nothing when tracing is off. */
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK when `tracingEnabled(config)`, or always with an explicit `exporter` (tests, the
 * benchmark). The SDK reads the remaining OTEL_* variables (endpoint, protocol, headers, sampler,
 * batch sizes) from the environment itself: that is the library's standard contract. It records
 * traces only: metrics stay on prom-client's /metrics and logs on stdout.
 */
export async function startTracing(
  config: Pick<Config, 'tracing'>,
  opts: { readonly exporter?: SpanExporter } = {},
): Promise<Tracing> {
  if (!opts.exporter && !tracingEnabled(config)) {
    return { enabled: false, tracer: trace.getTracer(TRACER_NAME), shutdown: () => Promise.resolve() };
  }
  // Heavy (about 100 ms to load): only a process that exports spans pays for it.
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    serviceName: config.tracing.serviceName,
    instrumentations: [],
    contextManager: new SyncContextManager(),
    metricReaders: [],
    logRecordProcessors: [],
    ...(opts.exporter ? { traceExporter: opts.exporter } : {}),
  });
  sdk.start();
  return {
    enabled: true,
    tracer: trace.getTracer(TRACER_NAME),
    shutdown: async () => {
      await sdk.shutdown();
      // Unregister, so a later startTracing in this process (tests) can register again.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

// The trace context travels in AMQP headers as W3C `traceparent` and `tracestate`. This instance is
// used directly, not through the global propagation API, so it works while the SDK is off.
const w3c = new W3CTraceContextPropagator();

type Headers = Record<string, unknown>;

const getter: TextMapGetter<Headers> = {
  keys: (h) => Object.keys(h),
  get: (h, key) => {
    const v = h[key];
    if (typeof v === 'string') return v;
    return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
  },
};

const setter: TextMapSetter<Headers> = {
  set: (h, key, value) => {
    h[key] = value;
  },
};

/** The producer's context from a message's headers; the root context when they carry none. */
export function extractTraceContext(headers: Readonly<Headers>): Context {
  return w3c.extract(ROOT_CONTEXT, headers, getter);
}

/** Writes `traceparent` (and `tracestate`) for the span in `ctx` into `headers`; nothing if it has none. */
export function injectTraceContext(ctx: Context, headers: Headers): Headers {
  w3c.inject(ctx, headers, setter);
  return headers;
}

/**
 * `ctx` as it is, when its span has ids of its own; otherwise (tracing off: a non-recording span that
 * only repeats the parent's ids, or none) with a stand-in span: fresh span id, the parent's trace id
 * or a fresh one. So every attempt's log lines name a span of their own, a job's
 * attempts share the trace id its producer sent, and a trace can still be found by id when tracing
 * is turned on downstream.
 */
export function withOwnIds(ctx: Context, parent: Context): Context {
  const own = trace.getSpanContext(ctx);
  const from = trace.getSpanContext(parent);
  if (own && isSpanContextValid(own) && own.spanId !== from?.spanId) return ctx;
  const id = randomUUID().replace(/-/g, '');
  const parentValid = from !== undefined && isSpanContextValid(from);
  const sc: SpanContext = {
    traceId: parentValid ? from.traceId : id,
    spanId: id.slice(0, 16),
    // Passes the caller's sampling decision on; a new trace is marked sampled, so a service that
    // does trace (with the default parent-based sampler) records it rather than inheriting "no"
    // from a producer that merely was not tracing.
    traceFlags: parentValid ? from.traceFlags : TraceFlags.SAMPLED,
  };
  return trace.setSpan(ctx, trace.wrapSpanContext(sc));
}

/** `trace_id` and `span_id` for log lines; empty when the span has no valid context. */
export function traceFields(span: Span): { trace_id?: string; span_id?: string } {
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

/** Marks `span` failed by `err` (status ERROR with the message, plus an exception event). */
export function markFailed(span: Span, err: unknown): void {
  if (!span.isRecording()) return;
  // Copied, not the error itself: its message and stack may quote a connection string's password.
  const message = redactSecrets(errorMessage(err));
  span.recordException(
    err instanceof Error
      ? { name: err.name, message, ...(err.stack ? { stack: redactSecrets(err.stack) } : {}) }
      : message,
  );
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/**
 * Runs `fn` in a child span of `parent` (passed explicitly, so nesting needs no context manager);
 * `fn` gets the context holding the new span. The span ends when `fn` settles, failed if it throws.
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  parent: Context,
  fn: (ctx: Context) => Promise<T>,
  options?: SpanOptions,
): Promise<T> {
  const span = tracer.startSpan(name, options, parent);
  try {
    return await fn(trace.setSpan(parent, span));
  } catch (err) {
    markFailed(span, err);
    throw err;
  } finally {
    span.end();
  }
}
