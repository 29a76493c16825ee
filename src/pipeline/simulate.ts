import type { Enhancer } from './enhancer.js';
import { PermanentError, TransientError } from '../domain/errors.js';
import { AttemptAborted } from '../domain/deadline.js';

export interface SimulateEffects {
  /** Waits `ms`; rejects with the signal's reason on abort when `signal` is given. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Holds the thread for `ms`: no timer, I/O or abort runs meanwhile, as a wedged handler would. */
  block(ms: number): void;
  /** Ends the process the hard way, as an out-of-memory kill would. */
  crash(): never;
}

/**
 * Obeys the job's `simulate` object so operators can load-test and drill failures in staging:
 * crash, block the event loop, sleep (honouring or ignoring the abort), then fail the first
 * `fail_times` attempts.
 */
export function simulateEnhancer(effects: SimulateEffects): Enhancer {
  return {
    name: 'simulate',
    async enhance(job, { attempt, signal, log }) {
      const sim = job.simulate ?? {};
      if (sim.crash) {
        log.warn('simulated crash');
        effects.crash();
      }
      if (sim.block_ms) {
        log.warn('simulated event-loop block', { block_ms: sim.block_ms });
        effects.block(sim.block_ms);
      }
      if (sim.sleep_ms) {
        await effects.sleep(sim.sleep_ms, sim.ignore_abort ? undefined : signal);
      }
      if (attempt <= (sim.fail_times ?? 0)) {
        const message = `simulated ${sim.error ?? 'transient'} failure on attempt ${attempt}`;
        throw sim.error === 'permanent' ? new PermanentError(message) : new TransientError(message);
      }
      return { summary: `simulated enhancement of ticket ${job.ticket_id} on attempt ${attempt}` };
    },
  };
}

export const realEffects: SimulateEffects = {
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const t = setTimeout(done, ms);
      function done() {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }
      function onAbort() {
        clearTimeout(t);
        reject(abortReason(signal!));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  block(ms) {
    // Atomics.wait holds the thread like a busy loop does, without burning a core in drills and tests.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  },
  crash() {
    process.kill(process.pid, 'SIGKILL');
    throw new Error('SIGKILL did not end the process');
  },
};

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new AttemptAborted('deadline');
}
