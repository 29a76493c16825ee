import { SpanKind, context, trace, type Context, type Tracer } from '@opentelemetry/api';
import type { ChannelModel } from 'amqplib';
import { connectAmqp, destroySocket } from './connect';
import type { AmqpBounds } from '../../config/schema';
import { systemClock } from '../../lib/clock';
import type { Job } from '../../domain/job';
import { settlesWithin } from '../../lib/with-timeout';
import { TRACER_NAME, inSpan, injectTraceContext, withOwnIds } from '../../observability/tracing';
import { ConfirmPublisher, jobProperties } from './confirm-publisher';
import { H } from './headers';
import { JOB_ROUTING_KEY, assertTopology, describeTopology, names, type Names } from './topology';

/** Publishes jobs through exchange P with key `job`, each confirmed by the broker. */
export interface Producer {
  readonly names: Names;
  readonly publisher: ConfirmPublisher;
  readonly connection: ChannelModel;
  /**
   * In an `enhancement.enqueue` PRODUCER span, whose context travels as the `traceparent` header.
   * `parent` (default: the active context) is the caller's, e.g. a webhook request's `traceparent`.
   */
  /** `signal`: give up before sending (see ConfirmPublisher.publish). */
  publishJob(
    job: Job,
    headers?: Record<string, unknown>,
    parent?: Context,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Any bytes, as a producer with a bug might send them (demo and tests of poison handling). */
  publishRaw(body: Buffer, headers?: Record<string, unknown>): Promise<void>;
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
  const connection = await connectAmqp(opts.amqpUrl, opts.connectionName ?? 'enhancer-producer', opts.amqp);
  connection.on('error', () => undefined);
  try {
    const ch = await connection.createConfirmChannel();
    // Declaring is idempotent; a producer that starts before any worker must not publish into nothing.
    await assertTopology(connection, describeTopology(opts.queuePrefix, opts.deliveryLimit));
    const publisher = new ConfirmPublisher(ch);
    const n = names(opts.queuePrefix);
    const tracer = opts.tracer ?? trace.getTracer(TRACER_NAME);
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
    return {
      names: n,
      publisher,
      connection,
      publishJob,
      publishRaw: (body, headers) => publishRaw(body, headers),
      // Each step bounded, then the socket cut: a silent broker must not hold up a stop.
      close: async () => {
        await settlesWithin(systemClock, CLOSE_TIMEOUT_MS, ch.close());
        await settlesWithin(systemClock, CLOSE_TIMEOUT_MS, connection.close());
        destroySocket(connection);
      },
    };
  } catch (err) {
    await settlesWithin(systemClock, CLOSE_TIMEOUT_MS, connection.close());
    destroySocket(connection);
    throw err;
  }
}

/** How long a close may wait for the broker's answer. */
const CLOSE_TIMEOUT_MS = 3_000;
