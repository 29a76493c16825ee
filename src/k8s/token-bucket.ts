import type { Clock } from '../domain/clock';

/** Up to `burst` at once, refilled at `perMinute`; time from the injected clock. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly o: {
      readonly perMinute: number;
      readonly burst: number;
      readonly clock: Pick<Clock, 'now'>;
    },
  ) {
    this.tokens = o.burst;
    this.at = o.clock.now();
  }

  take(): boolean {
    const now = this.o.clock.now();
    this.tokens = Math.min(this.o.burst, this.tokens + ((now - this.at) * this.o.perMinute) / 60_000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
