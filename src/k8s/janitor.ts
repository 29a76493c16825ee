import type { RetryPolicy } from '../domain/retry-policy.js';
import type { Clock, Timer } from '../lib/clock.js';
import { errorMessage } from '../lib/error-message.js';
import { backoffMs } from '../domain/retry-policy.js';
import type { Logger } from '../observability/logger.js';

/**
 * How long a row may legitimately stay pending: every attempt running to its hard timeout, plus every
 * retry delay at full length (no jitter taken off), plus a margin for queueing and clock skew.
 */
export function abandonAfterMs(p: {
  readonly retry: RetryPolicy;
  readonly hardTimeoutMs: number;
  readonly marginMs: number;
}): number {
  let delays = 0;
  for (let n = 1; n <= p.retry.maxRetries; n++) delays += backoffMs(n, p.retry, 0);
  return (p.retry.maxRetries + 1) * p.hardTimeoutMs + delays + p.marginMs;
}

export interface JanitorOptions {
  /** Marks pending rows idle for `olderThanMs` as failed; resolves to how many. */
  readonly sweep: (olderThanMs: number, detail: string) => Promise<number>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly intervalMs: number;
  readonly thresholdMs: number;
  readonly onAbandoned?: (count: number) => void;
}

/**
 * The leader's chore: sweep at once, then every interval, until leadership ends. Never two sweeps at
 * once, even when a re-election starts a new loop while the old loop's sweep still runs.
 */
export class Janitor {
  private sweeping?: Promise<number>;

  constructor(private readonly o: JanitorOptions) {}

  /** Runs while `signal` is not aborted. */
  lead(signal: AbortSignal): void {
    let timer: Timer | undefined;
    signal.addEventListener('abort', () => timer?.clear(), { once: true });
    const loop = () => {
      if (signal.aborted) return;
      void this.sweepOnce().finally(() => {
        if (!signal.aborted) timer = this.o.clock.setTimer(loop, this.o.intervalMs);
      });
    };
    loop();
  }

  /** Resolves when no sweep is running (for shutdown, before the database closes). */
  async idle(): Promise<void> {
    while (this.sweeping) await this.sweeping;
  }

  /** Sweeps once; while a sweep runs, a second call joins it rather than starting another. */
  sweepOnce(): Promise<number> {
    if (this.sweeping) return this.sweeping;
    const sweep = this.sweep().finally(() => {
      if (this.sweeping === sweep) this.sweeping = undefined;
    });
    this.sweeping = sweep;
    return sweep;
  }

  private async sweep(): Promise<number> {
    const { thresholdMs } = this.o;
    try {
      const count = await this.o.sweep(
        thresholdMs,
        `pending for over ${Math.round(thresholdMs / 1000)} s with no worker holding the job`,
      );
      if (count > 0) {
        this.o.onAbandoned?.(count);
        this.o.log.warn('janitor marked abandoned jobs failed', { count, older_than_ms: thresholdMs });
      }
      return count;
    } catch (err) {
      this.o.log.warn('janitor sweep failed', { error_message: errorMessage(err) });
      return 0;
    }
  }
}
