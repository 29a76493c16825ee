/**
 * The Lease and Event ports on @kubernetes/client-node. The library (ESM, ~0.5 s to load) is imported
 * here only, lazily, so a worker outside a cluster never pays for it.
 */
import type { ConfigurationOptions, CoreV1Event, KubeConfig, V1Lease } from '@kubernetes/client-node';
import type { Clock } from '../lib/clock.js';
import { withTimeout } from '../lib/with-timeout.js';
import { LeaseConflict, type LeaseApi, type LeaseRecord } from './lease-elector.js';
import type { EventSink, PodEvent } from './events.js';

type Kube = typeof import('@kubernetes/client-node');

export interface KubeApis {
  readonly leases: LeaseApi;
  readonly events: EventSink;
}

/**
 * client-node sets no timeout: a request to a hung API server would wait forever. Every call here is
 * bounded, aborted when its time is up and then failed with a TimeoutError.
 */
export interface KubeTimeouts {
  readonly clock: Clock;
  /** Per Lease call; the renew deadline, as a renewal that slow is too late anyway. */
  readonly leaseMs: number;
  /** Per Event post. */
  readonly eventMs: number;
}

/**
 * `configure` fills the KubeConfig (tests point it at a fake); by default kubeconfig, else in-cluster.
 */
export async function kubeApis(
  configure: ((kc: KubeConfig) => void) | undefined,
  timeouts: KubeTimeouts,
): Promise<KubeApis> {
  const k8s: Kube = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  if (configure) configure(kc);
  else kc.loadFromDefault();
  return { leases: leaseApi(k8s, kc, timeouts), events: eventSink(k8s, kc, timeouts) };
}

const codeOf = (err: unknown) => (err as { code?: unknown } | undefined)?.code;

/** Per-call options that hand `signal` to the request, so a timed-out call is really aborted. */
function aborting(k8s: Kube, signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (ctx) => {
          ctx.setSignal(signal);
          return new k8s.Observable(Promise.resolve(ctx));
        },
        post: (res) => new k8s.Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

function leaseApi(k8s: Kube, kc: KubeConfig, t: KubeTimeouts): LeaseApi {
  const api = kc.makeApiClient(k8s.CoordinationV1Api);
  const call = async <T>(
    what: string,
    request: (options: ConfigurationOptions) => Promise<T>,
    outer: AbortSignal | undefined,
  ): Promise<T> => {
    try {
      return await withTimeout(t.clock, t.leaseMs, what, (signal) => request(aborting(k8s, signal)), outer);
    } catch (err) {
      if (codeOf(err) === 409) throw new LeaseConflict('the lease was written by another pod first');
      throw err;
    }
  };
  return {
    async read(name, namespace, signal) {
      try {
        return fromLease(
          await call('reading the lease', (o) => api.readNamespacedLease({ name, namespace }, o), signal),
        );
      } catch (err) {
        if (codeOf(err) === 404) return undefined;
        throw err;
      }
    },
    create: async (name, namespace, lease, signal) =>
      fromLease(
        await call(
          'creating the lease',
          (o) => api.createNamespacedLease({ namespace, body: toLease(k8s, name, lease) }, o),
          signal,
        ),
      ),
    replace: async (name, namespace, lease, signal) =>
      fromLease(
        await call(
          'updating the lease',
          (o) => api.replaceNamespacedLease({ name, namespace, body: toLease(k8s, name, lease) }, o),
          signal,
        ),
      ),
  };
}

// The API server accepts only MicroTime (6 fractional digits) here: a plain Date's 3 are refused.
function toLease(k8s: Kube, name: string, r: LeaseRecord): V1Lease {
  const micro = (ms: number | undefined) => (ms === undefined ? undefined : new k8s.V1MicroTime(ms));
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}) },
    spec: {
      holderIdentity: r.holder ?? '',
      // Whole seconds on the wire: round up, so nobody takes the lease early.
      leaseDurationSeconds: Math.max(1, Math.ceil(r.durationMs / 1000)),
      acquireTime: micro(r.acquireTime),
      renewTime: micro(r.renewTime),
      leaseTransitions: r.transitions,
    },
  };
}

// Read back, the times are strings, whatever the generated types say.
function fromLease(l: V1Lease): LeaseRecord {
  const time = (t: unknown) => (t === undefined || t === null ? undefined : new Date(t as string).getTime());
  return {
    holder: l.spec?.holderIdentity ?? undefined,
    durationMs: (l.spec?.leaseDurationSeconds ?? 0) * 1000,
    acquireTime: time(l.spec?.acquireTime),
    renewTime: time(l.spec?.renewTime),
    transitions: l.spec?.leaseTransitions ?? 0,
    resourceVersion: l.metadata?.resourceVersion,
  };
}

function eventSink(k8s: Kube, kc: KubeConfig, t: KubeTimeouts): EventSink {
  const api = kc.makeApiClient(k8s.CoreV1Api);
  return {
    async create(e: PodEvent) {
      const body: CoreV1Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: e.name, namespace: e.namespace },
        type: e.type,
        reason: e.reason,
        action: e.action,
        message: e.message,
        involvedObject: { apiVersion: 'v1', ...e.involvedObject },
        reportingComponent: e.reportingController,
        reportingInstance: e.reportingInstance,
        source: { component: e.reportingController, host: e.reportingInstance },
        eventTime: new k8s.V1MicroTime(e.at),
        firstTimestamp: new Date(e.at),
        lastTimestamp: new Date(e.at),
        count: 1,
      };
      await withTimeout(t.clock, t.eventMs, 'posting an Event', (signal) =>
        api.createNamespacedEvent({ namespace: e.namespace, body }, aborting(k8s, signal)),
      );
    },
  };
}
