import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { EnhanceContext, JobLogger } from '../../src/pipeline/enhancer.js';

export const silentJobLogger: JobLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** An EnhanceContext for calling a pipeline directly: attempt 1, never aborted, no deadline soon. */
export function enhanceContext(overrides: Partial<EnhanceContext> = {}): EnhanceContext {
  return {
    attempt: 1,
    signal: new AbortController().signal,
    deadlineAt: Number.MAX_SAFE_INTEGER,
    log: silentJobLogger,
    trace: ROOT_CONTEXT,
    tracer: trace.getTracer('test'),
    ...overrides,
  };
}
