import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { Lifetime } from '../lib/lifetime.js';
import { ConfigError } from '../config/load.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { startHealthServer, type HealthServer } from '../observability/http-server.js';
import { livenessReason } from '../observability/liveness.js';
import type { Logger } from '../observability/logger.js';
import { startLoopLagMonitor } from '../observability/loop-lag.js';
import { startTracing } from '../observability/tracing.js';
import { AmqpSession } from '../adapters/amqp/session.js';
import { describeTopology } from '../adapters/amqp/topology.js';
import { Dedup } from './dedup.js';
import { CONFIRM_TIMEOUT_MS, JobPublisher } from './job-publisher.js';
import { IngestMetrics } from './metrics.js';
import { TokenBuckets } from './rate-limiter.js';
import type { TenantRegistry } from '../tenants/tenants.js';
import { openTenants } from '../tenants/open.js';
import { webhookHandler } from './webhook.js';
import { windowJobId } from './job-ids.js';

/** In-flight requests wait at most for their confirm; then the server closes what is left. */
export const DRAIN_GRACE_MS = CONFIRM_TIMEOUT_MS + 5_000;

export interface RunningIngest {
  readonly http: HealthServer;
  readonly metrics: IngestMetrics;
  readonly publisher: JobPublisher;
  readonly tenants: TenantRegistry;
  /** Resolves once the first broker connection is up (the server answers 503 until then). */
  readonly connected: Promise<void>;
  /** Graceful stop: refuse new connections, let in-flight requests finish, then release everything. */
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

/** What tests may swap in. */
export interface IngestHooks {
  readonly clock?: Clock;
}

/** The composition root of `enhancer ingest`: every resource it opens registers its own release. */
export async function runIngest(
  config: Config,
  log: Logger,
  hooks: IngestHooks = {},
): Promise<RunningIngest> {
  const file = config.ingest.tenantsFile;
  if (file === undefined) throw new ConfigError('TENANTS_FILE is required by `enhancer ingest`');
  const clock = hooks.clock ?? systemClock;
  const life = new Lifetime((message) => log.warn('release failed', { error_message: message }));
  try {
    const tracing = await startTracing(config);
    life.add(() => tracing.shutdown());
    const metrics = new IngestMetrics(config.metricsMaxTenants);
    const loopLag = startLoopLagMonitor(config.health);
    life.add(() => loopLag.stop());
    const limiter = new TokenBuckets(config.ingest.ratePerSecond, config.ingest.burst);
    const opened = await openTenants(file, log, (registry) =>
      limiter.retain((id) => registry.get(id) !== undefined),
    );
    life.add(() => opened.close());
    const tenants = opened.registry;
    const session = new AmqpSession({
      url: config.amqpUrl,
      connectionName: `enhancer-ingest ${config.log.pod ?? hostname()}`,
      bounds: config.amqp,
      topology: describeTopology(config.queuePrefix, config.deliveryLimit),
      reconnect: config.reconnect,
      clock,
      random: Math.random,
      log,
    });
    const publisher = new JobPublisher(session, {
      queuePrefix: config.queuePrefix,
      clock,
      log,
      tracer: tracing.tracer,
    });
    const connected = publisher.start();
    life.add(() => publisher.close());
    let draining = false;
    const http = await startHealthServer({
      port: config.ingest.port,
      registry: metrics.registry,
      live: () =>
        livenessReason({
          loopLag: () => loopLag.reason(),
          abandonedRunning: () => 0,
          maxAbandoned: 0,
        }),
      // Not ready only before the first connection: afterwards a broker problem is answered per request
      // (503 with Retry-After), rather than every replica leaving the Service at once.
      ready: () => (draining ? 'shutting down' : publisher.startupReason()),
      handle: webhookHandler({
        tenants,
        limiter,
        dedup: new Dedup(config.ingest.dedupMs),
        publish: (job, parent) => publisher.publish(job, parent),
        clock,
        newJobId: (tenantId, ticketId, nowMs) =>
          config.ingest.dedupMs > 0
            ? windowJobId(tenantId, ticketId, nowMs, config.ingest.dedupMs)
            : randomUUID(),
        metrics,
        log,
        maxSkewMs: config.ingest.maxSkewMs,
      }),
    });
    life.add(async () => {
      draining = true;
      await http.close(DRAIN_GRACE_MS);
    });
    log.info('ingest started', {
      queue_prefix: config.queuePrefix,
      http_port: http.port,
      tenants: tenants.size,
      rate_per_tenant: config.ingest.ratePerSecond,
      dedup_seconds: config.ingest.dedupMs / 1000,
      startup_ms: Math.round(process.uptime() * 1000),
    });
    return {
      http,
      metrics,
      publisher,
      tenants,
      connected,
      done: life.done,
      stop: life.stop,
    };
  } catch (err) {
    await life.release();
    throw err;
  }
}
