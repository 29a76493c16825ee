import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { Lifetime } from '../lib/lifetime.js';
import { openHistoryStore, type PgHistoryStore } from '../adapters/db/history-store.js';
import { openReadPool } from '../adapters/db/orm.js';
import { PgLinks } from '../adapters/db/pg-links.js';
import { readFile } from 'node:fs/promises';
import { PgContextStore } from '../adapters/db/context-store.js';
import { PgWritebackStore } from '../adapters/db/writeback-store.js';
import type { OpenAiChat } from '../adapters/llm/openai-chat.js';
import { SdpClient } from '../adapters/servicedesk/sdp-client.js';
import { ConfigError } from '../config/load.js';
import { Synthesizer } from '../pipeline/synthesis/synthesize.js';
import { openTenants } from '../tenants/open.js';
import { backgroundClock, systemClock } from '../lib/clock.js';
import { type InfrastructureCause } from '../domain/errors.js';
import { errorMessage } from '../lib/error-message.js';
import { enhancerFor } from '../pipeline/index.js';
import type { Enhancer } from '../pipeline/enhancer.js';
import type { Logger } from '../observability/logger.js';
import { WorkerMetrics } from '../observability/metrics.js';
import { startLoopLagMonitor } from '../observability/loop-lag.js';
import { livenessReason } from '../observability/liveness.js';
import { startHealthServer, type HealthServer } from '../observability/http-server.js';
import { startTracing } from '../observability/tracing.js';
import { AmqpConsumer } from '../adapters/amqp/consumer.js';
import { AmqpSession } from '../adapters/amqp/session.js';
import { describeTopology, names } from '../adapters/amqp/topology.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Worker } from './worker.js';
import type { Outcome } from './process-delivery.js';
import type { ClusterServices } from '../k8s/index.js';

export interface RunningWorker {
  readonly worker: Worker;
  readonly metrics: WorkerMetrics;
  readonly http: HealthServer;
  /** Graceful stop: drain, then release everything in reverse order of acquisition. */
  stop(): Promise<void>;
  /** Resolves when the worker has stopped. A lost broker is reconnected to, not a reason to stop. */
  readonly done: Promise<void>;
}

/** What tests, the demo and the benchmark may swap in. */
export interface WorkerHooks {
  readonly onOutcome?: (o: Outcome) => void;
  readonly enhancer?: Enhancer;
  /** Records spans into this exporter whatever OTEL_* says (tests, the benchmark's no-op exporter). */
  readonly traceExporter?: SpanExporter;
}

/** The composition root of `enhancer worker`: every resource it opens registers its own release. */
export async function runWorker(
  config: Config,
  log: Logger,
  hooks: WorkerHooks = {},
): Promise<RunningWorker> {
  const life = new Lifetime((message) => log.warn('release failed', { error_message: message }));
  try {
    // Loads the SDK only when an exporter is configured (or given); it starts while the broker
    // connects. Released last of all, so the spans of the final drain are flushed.
    const tracing = startTracing(config, { exporter: hooks.traceExporter });
    tracing.catch(() => undefined);
    life.add(async () => (await tracing.catch(() => undefined))?.shutdown());
    const metrics = new WorkerMetrics(config.metricsMaxTenants);
    const loopLag = startLoopLagMonitor(config.health);
    life.add(() => loopLag.stop());
    // The ORM opens while the worker connects to the broker: start-up pays for the slower, not both.
    // A worker that cannot reach Postgres at start exits (its pod restarts, visibly) instead of
    // taking jobs only to wait each one out.
    const opening = openHistoryStore({
      databaseUrl: config.databaseUrl,
      poolMax: config.databasePoolMax,
      bounds: config.db,
      warn: (message) => log.warn('postgres connection pool', { detail: message }),
    });
    // Awaited below with the broker start; until then, an early failure must not go unhandled.
    opening.catch(() => undefined);
    // Liveness reads it synchronously (a probe must answer even while the pool is stuck).
    let history: PgHistoryStore | undefined;
    void opening.then(
      (h) => (history = h),
      () => undefined,
    );
    // Released last, after the worker stopped writing; a failed open has nothing to release.
    life.add(async () => (await opening.catch(() => undefined))?.close());
    // Off outside a cluster: then @kubernetes/client-node is not even loaded. It starts in the
    // background; the worker does not wait for the API server.
    const cluster = config.cluster.enabled ? startClusterFeatures(config, log, metrics, opening) : undefined;
    // Just before the pool closes: the janitor's last sweep still writes, and the Events of the drain's
    // dead letters are still posted. Stepping down first is a no-op after the release below did it.
    life.add(async () => {
      const c = await cluster;
      await c?.stopLeading();
      await Promise.all([c?.janitorIdle(), c?.stopEvents()]);
    });
    const enhancer = hooks.enhancer ?? (await pipelineFor(config, log, metrics, life));
    const session = new AmqpSession({
      url: config.amqpUrl,
      connectionName: `enhancer-worker ${config.log.pod ?? hostname()}`,
      bounds: config.amqp,
      topology: describeTopology(config.queuePrefix, config.deliveryLimit),
      consumes: true,
      reconnect: config.reconnect,
      clock: systemClock,
      random: Math.random,
      log,
    });
    const worker = new Worker(
      {
        concurrency: config.concurrency,
        prefetch: config.prefetch,
        suspectPollMs: config.suspectPollMs,
        log,
        clock: systemClock,
        onOutcome: hooks.onOutcome,
      },
      new AmqpConsumer(session, names(config.queuePrefix)),
      async (shutdown) => ({
        history: await opening,
        // Only Postgres outages are tracked (by the writes themselves); other wait-outs stay short.
        outageMs: outageOf(await opening),
        waitOutMaxMs: config.waitOutMaxMs,
        enhancer,
        clock: systemClock,
        random: Math.random,
        metrics,
        log,
        retry: config.retry,
        softTimeoutMs: config.softTimeoutMs,
        hardTimeoutMs: config.hardTimeoutMs,
        deliveryLimit: config.deliveryLimit,
        shutdown,
        running: new Set(),
        logDescriptionChars: config.log.descriptionChars,
        tracer: (await tracing).tracer,
        queues: { fresh: names(config.queuePrefix).jobs, solo: names(config.queuePrefix).suspect },
        onDeadLetter: cluster && ((info) => void cluster.then((c) => c?.notifyDeadLetter(info))),
      }),
    );
    const http = await startHealthServer({
      port: config.httpPort,
      registry: metrics.registry,
      live: () =>
        livenessReason({
          loopLag: () => loopLag.reason(),
          abandonedRunning: () => metrics.abandonedStillRunning,
          maxAbandoned: config.health.maxAbandoned,
          historyWrite: {
            pendingMs: () => history?.writes.oldestPendingMs() ?? 0,
            maxPendingMs: config.writeStall.liveMs,
          },
        }),
      ready: async () =>
        worker.notReadyReason() ?? (await (await opening).notReadyReason(config.writeStall.readyMs)),
    });
    life.add(() => http.close());
    // Released first: the drain starts at once, and stepping down (bounded, whatever the API server
    // does) runs beside it, so another pod's janitor takes over without waiting for this drain.
    life.add(() =>
      allSettledThenThrow([
        worker.stop(config.shutdownGraceMs),
        (async () => (await cluster)?.stopLeading())(),
      ]),
    );
    // Both settle before any release, so a half-opened connection is never left behind.
    const failed = (await Promise.allSettled([worker.start(), opening])).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    log.info('worker started', {
      queue_prefix: config.queuePrefix,
      concurrency: config.concurrency,
      prefetch: config.prefetch,
      pipeline: enhancer.name,
      http_port: http.port,
      startup_ms: Math.round(process.uptime() * 1000),
    });
    return {
      worker,
      metrics,
      http,
      done: life.done,
      stop: life.stop,
    };
  } catch (err) {
    await life.release();
    throw err;
  }
}

/**
 * The configured pipeline. The `context` one gets its own connection pool (its reads and the
 * write-back's state), the tenants file (kept live: where each tenant's notes go) and, when
 * LLM_BASE_URL is set, the model; all released with the worker.
 */
async function pipelineFor(
  config: Config,
  log: Logger,
  metrics: WorkerMetrics,
  life: Lifetime,
): Promise<Enhancer> {
  if (config.pipeline !== 'context') return enhancerFor(config.pipeline);
  const file = config.ingest.tenantsFile;
  const tenants = file ? await openTenants(file, log) : undefined;
  if (tenants) life.add(() => tenants.close());
  const llm = config.llm ? await chatModel(config.llm) : undefined;
  const links = new PgLinks();
  const pool = openReadPool({
    databaseUrl: config.databaseUrl,
    poolMax: config.context.poolMax,
    applicationName: 'enhancer-context',
    bounds: config.db,
    links,
    warn: (message) => log.warn('postgres read pool', { detail: message }),
  });
  life.add(async () => {
    await pool.destroy();
    // A connection stuck on a silent server would keep the process alive.
    links.destroyAll();
  });
  return enhancerFor('context', {
    store: new PgContextStore(pool, links),
    clock: systemClock,
    stepTimeoutMs: config.context.stepTimeoutMs,
    limits: config.context.limits,
    noteMaxChars: config.context.noteMaxChars,
    metrics,
    ...(llm && config.llm
      ? {
          synthesizer: new Synthesizer({
            model: llm,
            clock: systemClock,
            timeoutMs: config.llm.timeoutMs,
            maxTokens: config.llm.maxTokens,
            temperature: config.llm.temperature,
            noteMaxChars: config.context.noteMaxChars,
            metrics,
          }),
        }
      : {}),
    writeback: {
      tenants: tenants?.registry ?? { get: () => undefined },
      helpdesk: new SdpClient(),
      store: new PgWritebackStore(pool, config.servicedesk.timeoutMs, links),
      clock: systemClock,
      timeoutMs: config.servicedesk.timeoutMs,
      // A lookup of earlier notes and the post itself.
      reserveMs: 2 * config.servicedesk.timeoutMs,
      metrics,
    },
  });
}

async function chatModel(llm: NonNullable<Config['llm']>): Promise<OpenAiChat> {
  let apiKey = llm.apiKey;
  if (llm.apiKeyFile) {
    apiKey = await readFile(llm.apiKeyFile, 'utf8').then(
      (text) => text.trim(),
      (err: unknown) => {
        throw new ConfigError(
          `cannot read LLM_API_KEY_FILE=${JSON.stringify(llm.apiKeyFile)}: ${errorMessage(err)}`,
        );
      },
    );
  }
  // The openai package is ~110 modules and ~10 MB of heap: loaded only by workers that have a model.
  const { OpenAiChat } = await import('../adapters/llm/openai-chat.js');
  return new OpenAiChat({ baseUrl: llm.baseUrl, model: llm.model, ...(apiKey ? { apiKey } : {}) });
}

/** The Lease-elected janitor and dead-letter Events; a failure to start leaves the worker running without them. */
function startClusterFeatures(
  config: Config,
  log: Logger,
  metrics: WorkerMetrics,
  history: Promise<PgHistoryStore>,
): Promise<ClusterServices | undefined> {
  return import('../k8s/index.js')
    .then((k8s) => k8s.startCluster({ config, log, metrics, clock: backgroundClock, history }))
    .catch((err: unknown) => {
      log.error('kubernetes features off: could not start them', { error_message: errorMessage(err) });
      return undefined;
    });
}

/** Waits for every one, so no later release starts while one still runs; then fails if any failed. */
async function allSettledThenThrow(work: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).flatMap((r) =>
    r.status === 'rejected' ? [r.reason as unknown] : [],
  );
  if (failed.length === 1) throw failed[0];
  if (failed.length > 1) throw new Error(failed.map(errorMessage).join('; '));
}

/** How long this worker has seen an outage of each cause: Postgres's from its history writes. */
function outageOf(history: PgHistoryStore): (cause: InfrastructureCause) => number {
  return (cause) => (cause === 'postgres' ? history.writes.stalledMs() : 0);
}
