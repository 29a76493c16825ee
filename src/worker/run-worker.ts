import type { Config } from '../config/schema';
import { PgHistoryStore } from '../adapters/db/history-store';
import { openOrm } from '../adapters/db/orm';
import { systemClock } from '../domain/clock';
import { errorMessage } from '../domain/errors';
import { enhancerFor } from '../pipeline';
import type { Enhancer } from '../pipeline/enhancer';
import type { Logger } from '../observability/logger';
import { WorkerMetrics } from '../observability/metrics';
import { startHealthServer, type HealthServer } from '../observability/http-server';
import { Worker } from './worker';
import type { Outcome } from './process-delivery';

export interface RunningWorker {
  readonly worker: Worker;
  readonly metrics: WorkerMetrics;
  readonly http: HealthServer;
  /** Graceful stop: drain, then release everything in reverse order of acquisition. */
  stop(): Promise<void>;
  /** Resolves when the worker has stopped, by `stop` or because the broker went away (rejects). */
  readonly done: Promise<void>;
}

/** The composition root of `enhancer worker`: every resource it opens registers its own release. */
export async function runWorker(
  config: Config,
  log: Logger,
  hooks: { onOutcome?: (o: Outcome) => void; enhancer?: Enhancer } = {},
): Promise<RunningWorker> {
  const releasers: (() => Promise<void>)[] = [];
  const release = async () => {
    for (const r of releasers.splice(0).reverse()) {
      await r().catch((err: unknown) => log.warn('release failed', { error_message: errorMessage(err) }));
    }
  };
  let fail!: (e: Error) => void;
  let finish!: () => void;
  const done = new Promise<void>((res, rej) => ((finish = res), (fail = rej)));
  try {
    const metrics = new WorkerMetrics();
    // The ORM opens while the worker connects to the broker: start-up pays for the slower, not both.
    // A worker that cannot reach Postgres at start exits (its pod restarts, visibly) instead of
    // taking jobs only to wait each one out.
    const opening = openOrm({ databaseUrl: config.databaseUrl, poolMax: config.databasePoolMax }).then(
      async (orm) => {
        const store = new PgHistoryStore(orm);
        await store.ping().catch(async (err: unknown) => {
          await orm.close(true);
          throw err;
        });
        return store;
      },
    );
    // Awaited below with the broker start; until then, an early failure must not go unhandled.
    opening.catch(() => undefined);
    // Released last, after the worker stopped writing; a failed open has nothing to release.
    releasers.push(async () => (await opening.catch(() => undefined))?.close());
    const enhancer = hooks.enhancer ?? enhancerFor(config.pipeline);
    const worker = new Worker(
      {
        amqpUrl: config.amqpUrl,
        queuePrefix: config.queuePrefix,
        concurrency: config.concurrency,
        deliveryLimit: config.deliveryLimit,
        suspectPollMs: config.suspectPollMs,
        onOutcome: hooks.onOutcome,
        onFatal: (err) => {
          log.error('lost the broker; exiting so the pod restarts', { error_message: err.message });
          void release().then(() => fail(err));
        },
      },
      async (bus, shutdown) => ({
        history: await opening,
        bus,
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
      }),
    );
    const http = await startHealthServer({
      port: config.httpPort,
      registry: metrics.registry,
      live: () => null,
      ready: async () => worker.notReadyReason() ?? (await dbReason(await opening)),
    });
    releasers.push(() => http.close());
    releasers.push(() => worker.stop(config.shutdownGraceMs));
    // Both settle before any release, so a half-opened connection is never left behind.
    const failed = (await Promise.allSettled([worker.start(), opening])).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    log.info('worker started', {
      queue_prefix: config.queuePrefix,
      concurrency: config.concurrency,
      pipeline: enhancer.name,
      http_port: http.port,
      startup_ms: Math.round(process.uptime() * 1000),
    });
    return {
      worker,
      metrics,
      http,
      done,
      stop: async () => {
        await release();
        finish();
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}

async function dbReason(history: PgHistoryStore): Promise<string | null> {
  try {
    await Promise.race([
      history.ping(),
      new Promise((_, rej) => setTimeout(() => rej(new Error('postgres ping timed out')), 2_000).unref()),
    ]);
    return null;
  } catch (err) {
    return errorMessage(err);
  }
}
