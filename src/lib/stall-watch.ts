import type { Clock } from './clock.js';

/**
 * Watches a stream of calls (the history writes) for a stall: one still pending, or every one failing,
 * for too long. Probes and the wait-out delays read it; it is plain bookkeeping on an injected clock.
 */
export class StallWatch {
  /** Start time of each pending call, oldest first (tokens increase, and so does time). */
  private readonly pending = new Map<number, number>();
  private next = 0;
  private failingSince: number | undefined;
  private lastError = '';

  constructor(private readonly clock: Clock) {}

  /**
   * Tracks `call`: pending until it settles. A rejection that `counts` (an outage, not a refusal of the
   * data) starts or extends a failing streak; a success ends it.
   */
  track<T>(call: Promise<T>, counts: (err: unknown) => boolean): Promise<T> {
    const token = this.next++;
    this.pending.set(token, this.clock.now());
    return call.then(
      (value) => {
        this.pending.delete(token);
        this.failingSince = undefined;
        return value;
      },
      (err: unknown) => {
        this.pending.delete(token);
        if (counts(err)) {
          this.failingSince ??= this.clock.now();
          this.lastError = err instanceof Error ? err.message : String(err);
        }
        throw err;
      },
    );
  }

  /** How long the oldest pending call has been waiting; 0 when none is. */
  oldestPendingMs(): number {
    const first = this.pending.values().next();
    return first.done ? 0 : this.clock.now() - first.value;
  }

  /** How long calls have been failing with no success since; 0 when the last one settled succeeded. */
  failingMs(): number {
    return this.failingSince === undefined ? 0 : this.clock.now() - this.failingSince;
  }

  /** How long no call got through: the longer of the two. */
  stalledMs(): number {
    return Math.max(this.oldestPendingMs(), this.failingMs());
  }

  /** The message of the last failure of the current streak ('' when none). */
  get lastFailure(): string {
    return this.failingSince === undefined ? '' : this.lastError;
  }
}
