/**
 * Holds up to `burst` tokens, refilled at `rate` per `periodMs`; each take spends one. Time comes in as
 * a number (the caller's clock), so this is pure arithmetic. The rate stays a fraction of the caller's
 * period (not per ms), so whole periods refill whole tokens exactly.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: number,
    private readonly periodMs: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.at = nowMs;
  }

  /** 0 when a token was taken, else the ms until one is there (nothing is taken then). */
  take(nowMs: number): number {
    this.tokens = Math.min(
      this.burst,
      this.tokens + (Math.max(0, nowMs - this.at) * this.rate) / this.periodMs,
    );
    this.at = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * this.periodMs) / this.rate);
  }
}
