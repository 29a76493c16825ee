import type { Context, Tracer } from '@opentelemetry/api';
import type { Job } from '../domain/job.js';

/** The narrow logger a pipeline gets: it already carries the job's fields. */
export interface JobLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface EnhanceContext {
  /** 1 for the first attempt, +1 per retry. */
  readonly attempt: number;
  /** Fires at the soft deadline and at shutdown; honour it. */
  readonly signal: AbortSignal;
  /** When `signal` fires at the latest (the soft deadline), in the worker clock's milliseconds. */
  readonly deadlineAt: number;
  readonly log: JobLogger;
  /**
   * The attempt's `enhancement.pipeline` span context: pass it as the parent of spans the pipeline
   * makes (`ctx.tracer.startSpan(name, options, ctx.trace)`). It is the active context only until the
   * pipeline's first await; the worker runs without an async context manager, for speed.
   */
  readonly trace: Context;
  readonly tracer: Tracer;
}

export interface EnhancementResult {
  /** Stored in enhancement_history.result_summary: one line. */
  readonly summary: string;
  /** Stored in enhancement_history.result (jsonb): the note and what it was built from. */
  readonly result?: Readonly<Record<string, unknown>>;
}

/**
 * The enhancement pipeline. Throw PermanentError when retrying cannot help, TransientError (or
 * anything else) when it may, InfrastructureError when Postgres or another shared service is down
 * (the job waits the outage out without spending a retry).
 */
export interface Enhancer {
  readonly name: string;
  enhance(job: Job, ctx: EnhanceContext): Promise<EnhancementResult>;
}
