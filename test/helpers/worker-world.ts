import type { Job } from '../../src/domain/job.js';
import type { EnhanceContext, EnhancementResult } from '../../src/pipeline/enhancer.js';
import type { Outcome } from '../../src/worker/process-delivery.js';
import { Worker } from '../../src/worker/worker.js';
import { deferred, flushMicrotasks, type Deferred } from './deferred.js';
import { FakeConsumerPort } from './fake-consumer.js';
import { world, type World } from './process-world.js';

export const SUSPECT_POLL_MS = 5_000;

/** One enhancer call held until the test lets it go. */
export interface HeldCall {
  readonly jobId: string;
  readonly attempt: number;
  readonly signal: AbortSignal;
  release(): void;
  fail(err: Error): void;
}

/** A worker on a fake broker, with the fakes of processDelivery and an enhancer the test drives. */
export interface WorkerWorld {
  readonly w: World;
  readonly port: FakeConsumerPort;
  readonly worker: Worker;
  readonly outcomes: Outcome[];
  /** Enhancer calls not yet released, oldest first. */
  readonly held: HeldCall[];
  /** The most enhancer calls that ran at once so far. */
  readonly maxRunning: () => number;
  readonly running: () => number;
}

/**
 * `concurrency` is WORKER_CONCURRENCY and `prefetch` WORKER_PREFETCH (default: the concurrency). Every enhancer call waits for the test (`held`) unless `hold` is
 * false. `noOutcomeHook`: no `onOutcome`, as in production (`outcomes` stays empty). The attempt deadlines are far beyond any clock advance the tests make, so only a shutdown
 * aborts an attempt.
 */
export function workerWorld(
  opts: { concurrency?: number; prefetch?: number; hold?: boolean; noOutcomeHook?: boolean } = {},
): WorkerWorld {
  const w = world();
  const port = new FakeConsumerPort();
  const outcomes: Outcome[] = [];
  const held: HeldCall[] = [];
  let running = 0;
  let maxRunning = 0;
  if (opts.hold !== false) {
    w.enhancer.run = (job: Job, ctx: EnhanceContext) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      const d: Deferred<EnhancementResult> = deferred();
      const call: HeldCall = {
        jobId: job.job_id,
        attempt: ctx.attempt,
        signal: ctx.signal,
        release: () => d.resolve({ summary: `enhanced ${job.ticket_id}` }),
        fail: (err) => d.reject(err),
      };
      held.push(call);
      return d.promise.finally(() => {
        running--;
        held.splice(held.indexOf(call), 1);
      });
    };
  }
  const worker = new Worker(
    {
      concurrency: opts.concurrency ?? 2,
      ...(opts.prefetch !== undefined ? { prefetch: opts.prefetch } : {}),
      suspectPollMs: SUSPECT_POLL_MS,
      log: w.logger,
      clock: w.clock,
      ...(opts.noOutcomeHook ? {} : { onOutcome: (o: Outcome) => outcomes.push(o) }),
    },
    port,
    (shutdown) => {
      const { bus: _perLink, ...base } = w.deps;
      return { ...base, shutdown, softTimeoutMs: 3_600_000, hardTimeoutMs: 7_200_000 };
    },
  );
  return {
    w,
    port,
    worker,
    outcomes,
    held,
    maxRunning: () => maxRunning,
    running: () => running,
  };
}

/** Lets every chain of already-settled promises run (processDelivery's are long). */
export const settle = () => flushMicrotasks(500);
