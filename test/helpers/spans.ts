import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import type { Tracer } from '@opentelemetry/api';

/**
 * An in-memory exporter that keeps its spans through shutdown (the SDK's forgets them then), so a
 * test can stop a worker, which flushes its spans, and look at them afterwards.
 */
export class KeepingSpanExporter extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return this.forceFlush();
  }
}

/** A tracer that records every span as it ends, registered nowhere global. */
export function recordingTracer(): { tracer: Tracer; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { tracer: provider.getTracer('test'), exporter };
}

export function spansNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((s) => s.name === name);
}

/** The one span with this name; throws if there are none or several. */
export function onlySpan(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spansNamed(spans, name);
  if (found.length !== 1) throw new Error(`expected one ${name} span, found ${found.length}`);
  return found[0]!;
}

/** The names of the spans whose parent is `parent`, in the order they ended. */
export function childrenOf(spans: readonly ReadableSpan[], parent: ReadableSpan): string[] {
  return spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId).map((s) => s.name);
}
