import { trace, type Tracer } from '@opentelemetry/api';
import type { RetryPolicy } from '../../src/domain/retry-policy.js';
import { WorkerMetrics } from '../../src/observability/metrics.js';
import { processDelivery, type Outcome, type ProcessDeps } from '../../src/worker/process-delivery.js';
import type { Delivery } from '../../src/worker/ports.js';
import { FakeClock } from './fake-clock.js';
import {
  FakeBus,
  FakeEnhancer,
  FakeHistory,
  RecordingLogger,
  fakeDelivery,
  type EventLog,
  type FakeDelivery,
} from './fakes.js';
import { jobBody } from './jobs.js';

export const POLICY: RetryPolicy = { maxRetries: 3, baseMs: 2_000, maxDelayMs: 600_000, jitter: 0.2 };
export const SOFT_MS = 100;
export const HARD_MS = 200;
export const DELIVERY_LIMIT = 5;
export const START = Date.parse('2026-11-28T12:00:00.000Z');
export const WAIT_OUT_MAX_MS = 30_000;

/** Everything processDelivery touches, as fakes sharing one event log. */
export interface World {
  readonly events: EventLog;
  readonly history: FakeHistory;
  readonly bus: FakeBus;
  readonly enhancer: FakeEnhancer;
  readonly clock: FakeClock;
  readonly metrics: WorkerMetrics;
  readonly logger: RecordingLogger;
  readonly shutdown: AbortController;
  readonly deps: ProcessDeps;
  /** A delivery of a valid job (override the body or any other field). */
  delivery(fields?: Partial<Delivery>): FakeDelivery;
  run(d: Delivery, mode?: 'fresh' | 'solo'): Promise<Outcome>;
}

export function world(
  opts: { random?: number; logDescriptionChars?: number; tracer?: Tracer; outageMs?: number } = {},
): World {
  const events: EventLog = [];
  const history = new FakeHistory(events);
  const bus = new FakeBus(events);
  const enhancer = new FakeEnhancer(events);
  const clock = new FakeClock(START);
  const metrics = new WorkerMetrics(1000, false);
  const logger = new RecordingLogger();
  const shutdown = new AbortController();
  const deps: ProcessDeps = {
    history,
    bus,
    enhancer,
    clock,
    random: () => opts.random ?? 0,
    metrics,
    log: logger,
    retry: POLICY,
    softTimeoutMs: SOFT_MS,
    hardTimeoutMs: HARD_MS,
    deliveryLimit: DELIVERY_LIMIT,
    shutdown: shutdown.signal,
    running: new Set(),
    logDescriptionChars: opts.logDescriptionChars ?? 0,
    // No SDK here: the API's non-recording spans, unless a test passes a recording tracer.
    tracer: opts.tracer ?? trace.getTracer('test'),
    queues: { fresh: 'p.jobs', solo: 'p.suspect' },
    outageMs: (cause) => (cause === 'postgres' ? (opts.outageMs ?? 0) : 0),
    waitOutMaxMs: WAIT_OUT_MAX_MS,
  };
  return {
    events,
    history,
    bus,
    enhancer,
    clock,
    metrics,
    logger,
    shutdown,
    deps,
    delivery: (fields = {}) => fakeDelivery(events, { body: jobBody(), ...fields }),
    run: (d, mode = 'fresh') => processDelivery(d, deps, mode),
  };
}
