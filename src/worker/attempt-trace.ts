import {
  SpanKind,
  context,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import type { AttemptOutcome } from '../domain/deadline.js';
import type { Job } from '../domain/job.js';
import type { Fields } from '../observability/logger.js';
import {
  extractTraceContext,
  inSpan,
  markFailed,
  traceFields,
  withOwnIds,
} from '../observability/tracing.js';
import type { Delivery } from './ports.js';

/** The history store calls that get a `db <operation>` span. */
export type HistoryOp = 'claim' | 'complete' | 'retry' | 'fail' | 'forceFail';

function dbSpan(op: HistoryOp): { readonly name: string; readonly options: SpanOptions } {
  return {
    name: `db ${op}`,
    options: {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.collection.name': 'enhancement_history',
        'db.operation.name': op,
      },
    },
  };
}

/** Made once: a history call allocates no span name or attribute set. */
const DB_SPANS: Readonly<Record<HistoryOp, ReturnType<typeof dbSpan>>> = {
  claim: dbSpan('claim'),
  complete: dbSpan('complete'),
  retry: dbSpan('retry'),
  fail: dbSpan('fail'),
  forceFail: dbSpan('forceFail'),
};

/**
 * The CONSUMER span of one delivery attempt (`enhancement.process`), continuing the producer's trace
 * from the message headers, and its children: `db <operation>` and `enhancement.pipeline`. Children
 * get this span's context explicitly, so their nesting does not depend on a context manager. With
 * the SDK off every span is non-recording and keeps the producer's ids, so logs still carry them.
 */
export class AttemptTrace {
  readonly span: Span;
  /** `trace_id` and `span_id` of the attempt, for log lines written before the job is decoded. */
  readonly fields: Fields;
  private readonly ctx: Context;
  private failed = false;

  constructor(
    private readonly tracer: Tracer,
    d: Delivery,
    queue: string,
  ) {
    const parent = extractTraceContext(d.headers);
    this.span = tracer.startSpan(
      'enhancement.process',
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'rabbitmq',
          'messaging.operation.type': 'process',
          'messaging.destination.name': queue,
          ...(d.messageId ? { 'messaging.message.id': d.messageId } : {}),
          'enhancement.attempt': d.attempt,
        },
      },
      parent,
    );
    this.ctx = withOwnIds(trace.setSpan(parent, this.span), parent);
    this.fields = traceFields(trace.getSpan(this.ctx)!);
  }

  /** Tags the span with the job, and returns the trace fields for its log lines (the job's own `trace_id` as `job_trace_id`). */
  job(job: Job): Fields {
    if (this.span.isRecording()) {
      this.span.setAttributes({
        'enhancement.job_id': job.job_id,
        'enhancement.tenant_id': job.tenant_id,
        'enhancement.ticket_id': job.ticket_id,
      });
    }
    return job.trace_id ? { ...this.fields, job_trace_id: job.trace_id } : this.fields;
  }

  /** The attempt failed (the first error is the one recorded). */
  fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    markFailed(this.span, err);
  }

  /** Ends the span with how the delivery ended; call exactly once, in `finally`. */
  end(outcome: string): void {
    this.span.setAttribute('enhancement.outcome', outcome);
    this.span.end();
  }

  /** One history store call in a `db <op>` child span. */
  db<T>(op: HistoryOp, fn: () => Promise<T>): Promise<T> {
    const s = DB_SPANS[op];
    return inSpan(this.tracer, s.name, this.ctx, fn, s.options);
  }

  /**
   * The deadline-bounded pipeline run in an `enhancement.pipeline` child span. `run` gets that span's
   * context to parent its own spans on; it is also the active context while `run` starts (the
   * worker's context manager does not follow awaits: see SyncContextManager). Marked failed when the
   * attempt's outcome is an error; it ends when the outcome is known, even if an abandoned handler
   * is still running.
   */
  async pipeline<T>(run: (ctx: Context) => Promise<AttemptOutcome<T>>): Promise<AttemptOutcome<T>> {
    const span = this.tracer.startSpan('enhancement.pipeline', undefined, this.ctx);
    const ctx = trace.setSpan(this.ctx, span);
    try {
      const outcome = await context.with(ctx, run, undefined, ctx);
      if (outcome.kind === 'error') markFailed(span, outcome.error);
      return outcome;
    } finally {
      span.end();
    }
  }
}
