import { SpanKind, context, trace, type Context, type Tracer } from '@opentelemetry/api';
import type { AmqpBounds } from '../../config/schema.js';
import { DEFAULTS } from '../../config/schema.js';
import { systemClock } from '../../lib/clock.js';
import type { Job } from '../../domain/job.js';
import { TRACER_NAME, inSpan, injectTraceContext, withOwnIds } from '../../observability/tracing.js';
import { jobProperties, type ConfirmPublisher } from './confirm-publisher.js';
import { H } from './headers.js';
import { openLink } from './link.js';
import { JOB_ROUTING_KEY, describeTopology, names, type Names } from './topology.js';

/** Sends jobs through exchange P with key `job`, each confirmed by the broker. */
export interface JobSender {
  /**
   * In an `enhancement.enqueue` PRODUCER span, whose context travels as the `traceparent` header.
   * `parent` (default: the active context) is the caller's, e.g. a webhook request's `traceparent`.
   * `signal`: give up before sending (see ConfirmPublisher.publish).
   */
  publishJob(
    job: Job,
    headers?: Record<string, unknown>,
    parent?: Context,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Any bytes, as a producer with a bug might send them (demo and tests of poison handling). */
  publishRaw(body: Buffer, headers?: Record<string, unknown>): Promise<void>;
}

/** A sender over one link of its own, that does not reconnect (the CLI, tests, the demo). */
export interface Producer extends JobSender {
  readonly names: Names;
  close(): Promise<void>;
}

export async function openProducer(opts: {
  amqpUrl: string;
  queuePrefix: string;
  deliveryLimit: number;
  /** The global tracer (the SDK's, once started) when not given. */
  tracer?: Tracer;
  /** Shown by `rabbitmqctl list_connections client_properties`; default `enhancer-producer`. */
  connectionName?: string;
  /** Connect timeout, heartbeat and keepalive (AMQP_*); the defaults when absent. */
  amqp?: AmqpBounds;
}): Promise<Producer> {
  const link = await openLink({
    url: opts.amqpUrl,
    connectionName: opts.connectionName ?? 'enhancer-producer',
    bounds: opts.amqp ?? DEFAULTS.amqp,
    topology: describeTopology(opts.queuePrefix, opts.deliveryLimit),
    clock: systemClock,
  });
  const n = names(opts.queuePrefix);
  return {
    names: n,
    ...jobSender(link.publisher, n, opts.tracer ?? trace.getTracer(TRACER_NAME)),
    close: () => link.close(),
  };
}

/** Publishing of jobs over `publisher`, a link's confirm channel. */
export function jobSender(publisher: ConfirmPublisher, n: Names, tracer: Tracer): JobSender {
  const publishRaw = (
    body: Buffer,
    headers: Record<string, unknown> = {},
    id?: string,
    signal?: AbortSignal,
  ) =>
    publisher.publish(
      n.exchange,
      JOB_ROUTING_KEY,
      body,
      jobProperties(id, { [H.attempt]: 1, ...headers }),
      signal,
    );
  const publishJob = (
    job: Job,
    headers: Record<string, unknown> = {},
    parent = context.active(),
    signal?: AbortSignal,
  ) =>
    inSpan(
      tracer,
      'enhancement.enqueue',
      parent,
      (ctx) =>
        publishRaw(
          Buffer.from(JSON.stringify(job)),
          injectTraceContext(withOwnIds(ctx, parent), { ...headers }),
          job.job_id,
          signal,
        ),
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'rabbitmq',
          'messaging.operation.type': 'send',
          'messaging.destination.name': n.exchange,
          'messaging.rabbitmq.destination.routing_key': JOB_ROUTING_KEY,
          'messaging.message.id': job.job_id,
          'enhancement.job_id': job.job_id,
          'enhancement.tenant_id': job.tenant_id,
        },
      },
    );
  return { publishJob, publishRaw: (body, headers) => publishRaw(body, headers) };
}
