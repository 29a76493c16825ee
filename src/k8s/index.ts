/**
 * The operator-style extras of a worker in a cluster: a Lease-elected leader runs the janitor, and
 * every dead letter becomes a Warning Event on the worker's Pod. Imported lazily by run-worker.
 */
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/schema.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../observability/logger.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import { DeadLetterEvents, type DeadLetterNotice } from './events.js';
import { Janitor, abandonAfterMs } from './janitor.js';
import { kubeApis } from './kube-api.js';
import { LeaderElector } from './lease-elector.js';
import { resolveNamespace } from './namespace.js';

export interface ClusterDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: WorkerMetrics;
  readonly clock: Clock;
  /** The history store, once open: the janitor's sweep. */
  readonly history: Promise<{ abandonStale(olderThanMs: number, detail: string): Promise<number> }>;
  /** Tests point the client at a fake API server; by default kubeconfig, else in-cluster. */
  readonly configureKube?: (kc: KubeConfig) => void;
  /** Reads the service account's namespace file (tests replace it). */
  readonly readFile?: (path: string) => Promise<string>;
}

export interface ClusterServices {
  readonly namespace: string;
  readonly elector: LeaderElector;
  notifyDeadLetter(notice: DeadLetterNotice): void;
  /**
   * Steps down and releases the Lease, so another pod takes over at once; at most twice the renew
   * deadline, so it can run alongside the drain at shutdown.
   */
  stopLeading(): Promise<void>;
  /** Resolves when no janitor sweep runs: before the database closes. */
  janitorIdle(): Promise<void>;
  /** After the drain, so its dead letters are still reported; at most {@link EVENT_TIMEOUT_MS}. */
  stopEvents(): Promise<void>;
}

/** How long one Event post may take, and how long shutdown waits for the posts under way. */
export const EVENT_TIMEOUT_MS = 5_000;

export async function startCluster(deps: ClusterDeps): Promise<ClusterServices> {
  const { config, log, metrics, clock } = deps;
  const c = config.cluster;
  const [apis, namespace] = await Promise.all([
    // A Lease call slower than the renew deadline is too late anyway.
    kubeApis(deps.configureKube, { clock, leaseMs: c.lease.renewDeadlineMs, eventMs: EVENT_TIMEOUT_MS }),
    resolveNamespace(c.namespace, deps.readFile),
  ]);
  const pod = c.podName ?? hostname();
  const janitor = new Janitor({
    sweep: async (ms, detail) => (await deps.history).abandonStale(ms, detail),
    clock,
    log: log.child({ component: 'janitor' }),
    intervalMs: c.janitor.intervalMs,
    thresholdMs: abandonAfterMs({
      retry: config.retry,
      hardTimeoutMs: config.hardTimeoutMs,
      marginMs: c.janitor.marginMs,
    }),
    onAbandoned: (n) => metrics.janitorAbandoned.inc(n),
  });
  const elector = new LeaderElector({
    api: apis.leases,
    clock,
    log,
    name: c.lease.name,
    namespace,
    identity: pod,
    durationMs: c.lease.durationMs,
    renewDeadlineMs: c.lease.renewDeadlineMs,
    retryMs: c.lease.retryMs,
    onStartedLeading: (signal) => janitor.lead(signal),
    onStoppedLeading: () => undefined,
  }).start();
  const events =
    c.events.perMinute > 0
      ? new DeadLetterEvents({
          sink: apis.events,
          clock,
          log,
          pod: { name: pod, namespace, uid: c.podUid },
          perMinute: c.events.perMinute,
          burst: c.events.burst,
          onSuppressed: () => metrics.eventsSuppressed.inc(),
          stopWaitMs: EVENT_TIMEOUT_MS,
        })
      : undefined;
  log.info('cluster features started', { namespace, lease: c.lease.name, holder: pod });
  return {
    namespace,
    elector,
    notifyDeadLetter: (notice) => events?.notify(notice),
    stopLeading: () => elector.stop(),
    janitorIdle: () => janitor.idle(),
    stopEvents: async () => events?.stop(),
  };
}
