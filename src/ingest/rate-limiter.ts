/**
 * One token bucket per tenant: it holds up to `burst` tokens, refills at `ratePerSecond`, and each
 * request takes one. Time comes in as a number (the caller's clock), so this is pure arithmetic.
 * Buckets exist only for tenants in the tenants file, so the map is bounded by it.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  /** 0 when the request may go ahead (a token was taken), else the ms until a token is there. */
  take(key: string, nowMs: number): number {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: nowMs };
    const elapsed = Math.max(0, nowMs - b.at);
    b.tokens = Math.min(this.burst, b.tokens + (elapsed * this.ratePerSecond) / 1000);
    b.at = nowMs;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) * 1000) / this.ratePerSecond);
  }

  /** Drops the buckets of tenants no longer in the file. */
  retain(keep: (key: string) => boolean): void {
    for (const key of this.buckets.keys()) if (!keep(key)) this.buckets.delete(key);
  }
}
